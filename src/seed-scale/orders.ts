import type { OrderStatus } from "../db/schema";
import { NEGATIVE_REVIEW_FLAGS, POSITIVE_REVIEW_FLAGS } from "../db/schema";
import { DAY, HOUR, iso, MINUTE } from "../lib/time";
import { platformRevenue, userAvailable, userHeld } from "../modules/ledger/service";
import type { ActionName } from "../modules/marketplace/orders/machine";
import { fundWallet, fundWalletNow } from "./payments";
import {
  CANCEL_REASONS,
  CHAT_LINES,
  DECLINE_REASONS,
  DISPUTE_REASONS,
  orderDescription,
  orderTitle,
  RESOLVE_NOTES,
  REVISION_REASONS,
  reviewComment,
} from "./texts";
import { nextRun, type Person, roundTo, type World } from "./world";

type Step = { t: number; run: () => void };

/** Base prices in roubles per work type (a consultation: per hour), by catalog name. */
const BASE_RUB: Record<string, number> = {
  Consultation: 1500,
  Essay: 2500,
  Coursework: 9000,
  "Lab report": 3500,
  Thesis: 35_000,
};
const COMPLEXITY_FACTOR: Record<string, number> = { Basic: 0.8, Intermediate: 1, Advanced: 1.5 };
/** Minor units of one rouble's worth, and the step prices are rounded to, per currency. */
const MONEY: Record<string, { perRub: number; step: number }> = {
  RUB: { perRub: 100, step: 5000 },
  USD: { perRub: 100 / 90, step: 500 },
  EUR: { perRub: 100 / 100, step: 500 },
};
const SESSION_MINUTES = [30, 45, 60, 90, 120];
const SESSION_WEIGHTS = [10, 15, 45, 20, 10];
const SUBJECT_WEIGHTS = [30, 15, 25, 18, 12];
const WORK_WEIGHTS: Record<string, number> = { Essay: 35, Coursework: 25, "Lab report": 30, Thesis: 10 };
// Past these the SLA no longer binds (marketplace/orders/schedules.ts).
const SLA_DONE: readonly OrderStatus[] = ["delivered", "completed", "cancelled", "declined_by_expert"];

/** The order row as it stands at the end of the history. */
type Row = {
  status: OrderStatus;
  expertId: number | null;
  price: number | null;
  paymentMethod: "wallet" | "manual" | null;
  escrow: number;
  round: number;
  slaBreachedAt: number | null;
  takenAt: number | null;
  paidAt: number | null;
  startedAt: number | null;
  deliveredAt: number | null;
  completedAt: number | null;
  cancelledAt: number | null;
  reason: string | null;
  updatedAt: number;
};

type Money = { refunded: number; payout: number; commission: number };

/**
 * One order's history, planned when the client places it: the transitions of the order machine
 * (marketplace/orders/machine.ts) with their times, money and timeline events, the chat and the
 * reviews. Steps after the end of the history are dropped; the row is written in the state the
 * last applied step left it in.
 */
class OrderPlan {
  readonly steps: Step[] = [];
  readonly transitions: { t: number; to: OrderStatus }[] = [];
  status: OrderStatus = "new";
  t: number;
  /** Set once a step falls after the end of the history: nothing later happens. */
  stopped = false;
  readonly row: Row;

  constructor(
    readonly w: World,
    readonly id: number,
    readonly client: Person,
    readonly currency: string,
    readonly price: number,
    created: number,
  ) {
    this.t = created;
    this.row = {
      status: "new",
      expertId: null,
      price: null,
      paymentMethod: null,
      escrow: 0,
      round: 0,
      slaBreachedAt: null,
      takenAt: null,
      paidAt: null,
      startedAt: null,
      deliveredAt: null,
      completedAt: null,
      cancelledAt: null,
      reason: null,
      updatedAt: created,
    };
  }

  /**
   * The next transition, `delay` after the previous one (or at `at`). Returns false when it falls
   * after the end of the history (then it and everything after it never happen).
   */
  go(
    delay: number,
    action: ActionName,
    to: OrderStatus,
    actorId: number | null,
    o: {
      payload?: Record<string, unknown>;
      set?: (r: Row, t: number) => unknown;
      money?: (t: number) => void;
      at?: number;
    } = {},
  ): boolean {
    if (this.stopped) return false;
    const t = o.at ?? this.w.after(this.t, delay);
    const from = this.status;
    this.t = t;
    this.status = to;
    this.transitions.push({ t, to });
    if (t > this.w.end) {
      this.stopped = true;
      return false;
    }
    this.row.status = to;
    this.row.updatedAt = t;
    o.set?.(this.row, t);
    const { w, id } = this;
    this.steps.push({
      t,
      run: () => {
        o.money?.(t);
        w.w.event(t, `order.${action}`, actorId, "order", id, { from, to, ...o.payload });
      },
    });
    return true;
  }

  /** A step that is not a transition (funding the wallet, chat, reviews, the SLA sweep). */
  also(t: number, run: () => void) {
    if (t <= this.w.end) this.steps.push({ t, run });
  }

  statusAt(t: number): OrderStatus {
    let s: OrderStatus = "new";
    for (const x of this.transitions) {
      if (x.t > t) break;
      s = x.to;
    }
    return s;
  }

  /** Ledger legs of settling the escrow (marketplace/orders/escrow.ts settleEscrow), in its order. */
  settle(t: number, toClient: number, expertId: number) {
    const { w, id, client, currency } = this;
    const m = escrowSplit(w, this.price, toClient);
    const from = userHeld(client.id, currency);
    const meta = { order_id: id, expert_id: expertId, client_id: client.id };
    const legs = [
      { to: userAvailable(client.id, currency), amount: m.refunded, kind: "refund" as const },
      { to: userAvailable(expertId, currency), amount: m.payout, kind: "payout" as const },
      { to: platformRevenue(currency), amount: m.commission, kind: "commission" as const },
    ];
    for (const leg of legs) {
      if (leg.amount <= 0) continue;
      w.books.move(t, {
        from,
        to: leg.to,
        amount: leg.amount,
        kind: leg.kind,
        key: `order:${id}:r1:${leg.kind}`,
        reference: { type: "order", id },
        metadata: meta,
      });
    }
  }
}

function escrowSplit(w: World, held: number, toClient: number): Money {
  const gross = held - toClient;
  const commission = Math.round((gross * w.settings.commissionPercent) / 100);
  return { refunded: toClient, payout: gross - commission, commission };
}

/** An active expert verified in the subject (the take rule), drawn by how much work they attract. */
function pickExpert(w: World, subjectId: number, t: number, clientId: number): Person | undefined {
  const pool = w.expertsBySubject.get(subjectId)!;
  for (let i = 0; i < 4; i++) {
    const e = pool.draw(w.rng);
    if (!e) return undefined;
    if (e.id !== clientId && e.expert!.suspendedAt > t + 3 * DAY) return e;
  }
  return undefined;
}

const hourOf = (t: number) => Math.floor(t / HOUR) * HOUR;

/** The client places orders as a Poisson process while they are active. */
export function startOrdering(w: World, p: Person, from: number) {
  const t = w.nextArrival(from, p.orderRate, Math.min(p.churnAt, p.bannedAt, w.end));
  if (!Number.isFinite(t)) return;
  w.at(t, () => {
    placeOrder(w, p, t);
    startOrdering(w, p, t);
  });
}

function placeOrder(w: World, client: Person, c: number) {
  const { rng, catalog } = w;
  if (rng.chance(0.15)) login(w, client, c);
  const session = rng.chance(0.3);
  const subject = catalog.subjects[rng.weighted(catalog.subjects.map((_, i) => SUBJECT_WEIGHTS[i] ?? 10))]!;
  const workTypes = catalog.workTypes.filter((x) => (x.name === "Consultation") === session);
  const workType =
    workTypes[rng.weighted(workTypes.map((x) => WORK_WEIGHTS[x.name] ?? 20))] ?? catalog.workTypes[0]!;
  const complexity = catalog.complexities[rng.weighted([40, 45, 15])] ?? catalog.complexities[0]!;
  const currency = client.currency;
  const money = MONEY[currency]!;
  const duration = session ? SESSION_MINUTES[rng.weighted(SESSION_WEIGHTS)]! : null;
  const baseRub =
    (BASE_RUB[workType.name] ?? 3000) *
    (duration ? duration / 60 : 1) *
    (COMPLEXITY_FACTOR[complexity.name] ?? 1);
  const base = baseRub * money.perRub;
  const budget = rng.chance(0.6) ? roundTo(base * rng.logNormal(1, 0.2), money.step) : null;
  const price = roundTo(
    (budget ?? base) * (budget ? rng.uniform(0.85, 1.2) : rng.logNormal(1, 0.2)),
    money.step,
  );
  let scheduledAt: number | null = null;
  let deadline: number | null = null;
  if (session) {
    const day = Math.floor((c + rng.uniform(1, 10) * DAY) / DAY) * DAY;
    scheduledAt = day + rng.int(6, 18) * HOUR;
  } else {
    deadline = hourOf(c + (workType.name === "Thesis" ? rng.uniform(14, 45) : rng.uniform(3, 21)) * DAY);
  }
  const slaDue = deadline ?? scheduledAt!;
  const expert = pickExpert(w, subject.id, c, client.id);
  const id = w.w.nextId("orders");
  const plan = new OrderPlan(w, id, client, currency, price, c);
  lifecycle(plan, expert, { session, deadline, scheduledAt, duration });
  const r = plan.row;

  const breach = slaBreach(plan, slaDue);
  if (breach) {
    r.slaBreachedAt = breach.t;
    plan.also(breach.t, () =>
      w.w.event(breach.t, "order.sla_breached", null, "order", id, {
        status: breach.status,
        sla_due_at: iso(slaDue),
      }),
    );
  }
  const title = orderTitle(rng, subject.name, workType.name, session);
  if (expert && r.takenAt != null) chat(plan, expert);
  if (expert && r.status === "completed") reviews(plan, expert);

  w.w.insert(
    "orders",
    session ? "session" : "work",
    r.status,
    client.id,
    r.expertId,
    title,
    orderDescription(rng, subject.name),
    subject.id,
    workType.id,
    complexity.id,
    deadline,
    scheduledAt,
    duration,
    budget,
    r.price,
    currency,
    r.paymentMethod,
    r.escrow,
    r.round,
    slaDue,
    r.slaBreachedAt,
    r.takenAt,
    r.paidAt,
    r.startedAt,
    r.deliveredAt,
    r.completedAt,
    r.cancelledAt,
    r.reason,
    c,
    r.updatedAt,
  );
  w.countStatus(r.status);
  w.w.event(c, "order.created", client.id, "order", id, {
    to: "new",
    kind: session ? "session" : "work",
    subject_id: subject.id,
    budget,
  });
  plan.steps.sort((a, b) => a.t - b.t);
  runSteps(w, plan.steps, 0);
}

/**
 * When the five-minute SLA sweep first finds the order past its due time and not yet delivered
 * (nor over): at the first run after the due time, or after a later step reopened it.
 */
function slaBreach(plan: OrderPlan, due: number): { t: number; status: OrderStatus } | null {
  const runs = [nextRun(due, 5)];
  for (const x of plan.transitions) if (x.t > due && !SLA_DONE.includes(x.to)) runs.push(nextRun(x.t, 5));
  runs.sort((a, b) => a - b);
  for (const t of runs) {
    if (t > plan.w.end) return null;
    const status = plan.statusAt(t);
    if (!SLA_DONE.includes(status)) return { t, status };
  }
  return null;
}

/** Runs the plan's steps one after the other, each at its instant. */
function runSteps(w: World, steps: Step[], i: number) {
  const s = steps[i];
  if (!s) return;
  w.at(s.t, () => {
    s.run();
    runSteps(w, steps, i + 1);
  });
}

export function login(w: World, p: Person, t: number) {
  w.noteLogin(p, t);
  w.w.event(t, "user.logged_in", p.id, "user", p.id, { via: p.telegram ? "telegram" : "password" });
}

type Shape = {
  session: boolean;
  deadline: number | null;
  scheduledAt: number | null;
  duration: number | null;
};

/** The order's path through the machine: who acts, when, and what it costs. */
function lifecycle(plan: OrderPlan, expert: Person | undefined, shape: Shape) {
  const { w, client, price, currency, id } = plan;
  const { rng } = w;
  const cancel = (delay: number) => {
    const reason = rng.pick(CANCEL_REASONS);
    plan.go(delay, "cancel", "cancelled", client.id, {
      payload: reasonPayload(reason),
      set: (r, t) => Object.assign(r, { cancelledAt: t, reason }),
    });
  };
  if (!expert) {
    // Nobody may take it: the client gives up after a few days (or it is still waiting).
    cancel(rng.uniform(3, 14) * DAY);
    return;
  }
  const e = expert.expert!;
  const takeDelay = rng.exp(e.responseHours * HOUR) + 2 * MINUTE;
  if (rng.chance(0.05)) {
    const giveUp = rng.exp(30 * HOUR) + 10 * MINUTE;
    if (giveUp < takeDelay) {
      cancel(giveUp);
      return;
    }
  }
  const taken = plan.go(takeDelay, "take", "in_review", expert.id, {
    set: (r, t) => Object.assign(r, { expertId: expert.id, takenAt: t }),
    money: (t) => {
      if (rng.chance(0.1)) login(w, expert, t);
    },
  });
  if (!taken) return;
  let r = rng.next();
  if (r < 0.04) {
    decline(plan, expert, rng.exp(4 * HOUR) + 5 * MINUTE);
    return;
  }
  if (r < 0.07) {
    cancel(rng.exp(10 * HOUR) + 5 * MINUTE);
    return;
  }
  if (
    !plan.go(rng.exp(3 * HOUR) + 5 * MINUTE, "set_price", "awaiting_payment", expert.id, {
      payload: { price },
      set: (r) => Object.assign(r, { price }),
    })
  )
    return;
  r = rng.next();
  if (r < 0.07) {
    cancel(rng.exp(24 * HOUR) + 10 * MINUTE);
    return;
  }
  if (r < 0.08) {
    decline(plan, expert, rng.exp(12 * HOUR) + 10 * MINUTE);
    return;
  }
  const manual = rng.chance(0.25);
  if (manual) {
    if (
      !plan.go(rng.exp(8 * HOUR) + 10 * MINUTE, "mark_paid", "payment_proof_uploaded", client.id, {
        set: (r) => Object.assign(r, { paymentMethod: "manual" }),
      })
    )
      return;
    const byAdmin = rng.chance(0.15);
    const confirmer = byAdmin ? w.pickAdmin() : expert.id;
    const from = plan.status;
    if (
      !plan.go(rng.exp(10 * HOUR) + 5 * MINUTE, "confirm_payment", "paid", confirmer, {
        payload: { payment_method: "manual", by: byAdmin ? "admin" : "expert" },
        set: (r, t) => Object.assign(r, { paymentMethod: "manual", paidAt: t }),
        money: (t) => {
          if (byAdmin) w.w.audit(t, confirmer, "order.confirm_payment", "order", id, { from });
        },
      })
    )
      return;
  } else {
    const payAt = w.after(plan.t, 20 * MINUTE + rng.exp(8 * HOUR));
    plan.also(payAt - rng.int(6, 15) * MINUTE, () => fundWallet(w, client, currency, price, w.timeline.now));
    const paid = plan.go(0, "pay", "paid", client.id, {
      at: payAt,
      payload: { amount: price, currency, payment_method: "wallet", payment_round: 1 },
      set: (row, t) => {
        row.paymentMethod = "wallet";
        row.escrow = price;
        row.paidAt = t;
        row.round = 1;
      },
      money: (t) => {
        fundWalletNow(w, client, currency, price);
        w.books.move(t, {
          from: userAvailable(client.id, currency),
          to: userHeld(client.id, currency),
          amount: price,
          kind: "hold",
          key: `order:${id}:r1:hold`,
          reference: { type: "order", id },
          metadata: { order_id: id, expert_id: expert.id, client_id: client.id },
        });
      },
    });
    if (!paid) return;
  }
  work(plan, expert, shape, manual);
}

function reasonPayload(reason: string | null) {
  return reason ? { reason } : {};
}

function decline(plan: OrderPlan, expert: Person, delay: number) {
  const reason = plan.w.rng.pick(DECLINE_REASONS);
  plan.go(delay, "decline", "declined_by_expert", expert.id, {
    payload: reasonPayload(reason),
    set: (r) => Object.assign(r, { reason }),
  });
}

/** From paid to the end: work, delivery, revisions, acceptance, or a dispute on the way. */
function work(plan: OrderPlan, expert: Person, shape: Shape, manual: boolean) {
  const { w } = plan;
  const { rng } = w;
  const disputeAt = rng.chance(0.035)
    ? rng.pick<OrderStatus>(["paid", "in_progress", "in_progress", "delivered", "delivered", "revision"])
    : null;
  const late = rng.chance(shape.session ? 0 : 0.1 + (1 - expert.expert!.quality) * 0.15);
  for (let round = 0; round < 3; round++) {
    if (disputeAt === plan.status) return dispute(plan, expert, manual);
    const startDelay = shape.session
      ? Math.max(10 * MINUTE, shape.scheduledAt! - rng.uniform(0, 20) * MINUTE - plan.t)
      : round > 0
        ? rng.exp(14 * HOUR) + 30 * MINUTE
        : rng.exp(6 * HOUR) + 10 * MINUTE;
    if (
      !plan.go(startDelay, "start", "in_progress", expert.id, {
        set: (r, t) => Object.assign(r, { startedAt: r.startedAt ?? t }),
      })
    )
      return;
    if (disputeAt === "in_progress") return dispute(plan, expert, manual);
    let workTime: number;
    if (shape.session) workTime = shape.duration! * MINUTE + rng.uniform(0, 15) * MINUTE;
    else if (round > 0) workTime = rng.uniform(2 * HOUR, 2 * DAY);
    else {
      const left = Math.max(HOUR, shape.deadline! - plan.t);
      workTime = late ? left + rng.exp(2 * DAY) : left * rng.uniform(0.3, 0.97);
    }
    if (manual) {
      plan.go(workTime, "complete", "completed", expert.id, {
        set: (r, t) => Object.assign(r, { completedAt: t }),
      });
      return;
    }
    if (
      !plan.go(workTime, "complete", "delivered", expert.id, {
        set: (r, t) => Object.assign(r, { deliveredAt: t }),
      })
    )
      return;
    if (disputeAt === "delivered") return dispute(plan, expert, manual);
    const delivered = plan.t;
    if (!shape.session && round < 2 && rng.chance(disputeAt === "revision" ? 0.9 : 0.2)) {
      const reason = rng.pick(REVISION_REASONS);
      if (
        !plan.go(rng.exp(16 * HOUR) + 10 * MINUTE, "request_revision", "revision", plan.client.id, {
          payload: reasonPayload(reason),
          set: (r) => Object.assign(r, { reason }),
        })
      )
        return;
      continue;
    }
    accept(plan, expert, delivered);
    return;
  }
}

/** The client accepts, or after auto_accept_days the 10-minute schedule does; escrow is released. */
function accept(plan: OrderPlan, expert: Person, delivered: number) {
  const { w } = plan;
  const money = escrowSplit(w, plan.price, 0);
  const autoAt = nextRun(delivered + w.settings.autoAcceptDays * DAY, 10);
  const byClient = w.after(delivered, w.rng.exp(20 * HOUR) + 10 * MINUTE);
  const auto = byClient >= autoAt || w.rng.chance(0.05);
  const settle = {
    payload: { payout: money.payout, commission: money.commission },
    set: (r: Row, t: number) => Object.assign(r, { escrow: 0, completedAt: t }),
    money: (t: number) => plan.settle(t, 0, expert.id),
  };
  if (auto) plan.go(0, "auto_accept", "completed", null, { ...settle, at: autoAt });
  else plan.go(0, "accept", "completed", plan.client.id, { ...settle, at: byClient });
}

/** Either party disputes; an arbitrator (or admin) refunds, releases or splits the escrow. */
function dispute(plan: OrderPlan, expert: Person, manual: boolean) {
  const { w, client, price, id } = plan;
  const { rng } = w;
  const byClient = rng.chance(0.75);
  const reason = rng.pick(DISPUTE_REASONS);
  if (
    !plan.go(rng.exp(20 * HOUR) + 10 * MINUTE, "dispute", "disputed", byClient ? client.id : expert.id, {
      payload: { reason, opened_by: byClient ? "client" : "expert" },
      set: (r) => Object.assign(r, { reason }),
    })
  )
    return;
  const held = manual ? 0 : price;
  const outcome =
    held > 0
      ? rng.pick(["refund", "refund", "release", "release", "split"] as const)
      : rng.pick(["refund", "release"] as const);
  const toClient =
    outcome === "refund"
      ? held
      : outcome === "release"
        ? 0
        : Math.min(held - 1, Math.max(1, Math.round(held * rng.uniform(0.2, 0.8))));
  const money = held > 0 ? escrowSplit(w, held, toClient) : { refunded: 0, payout: 0, commission: 0 };
  const note = rng.pick(RESOLVE_NOTES);
  const to: OrderStatus = outcome === "refund" ? "cancelled" : "completed";
  const resolver = w.pickResolver();
  plan.go(rng.exp(40 * HOUR) + HOUR, "resolve", to, resolver, {
    payload: { outcome, ...money, ...(note ? { note } : {}) },
    set: (r, t) => {
      r.escrow = 0;
      r.reason = note ?? r.reason;
      if (to === "cancelled") r.cancelledAt = t;
      else r.completedAt = t;
    },
    money: (t) => {
      if (held > 0) plan.settle(t, toClient, expert.id);
      w.w.audit(t, resolver, "order.resolve", "order", id, { outcome, ...money });
    },
  });
}

/** A few orders get a conversation between taking and the last step (cancelled ones close the chat). */
function chat(plan: OrderPlan, expert: Person) {
  const { w, client, id } = plan;
  const { rng } = w;
  if (!rng.chance(0.1)) return;
  const from = plan.row.takenAt! + MINUTE;
  const closed = plan.row.status === "cancelled" || plan.row.status === "declined_by_expert";
  const last = plan.transitions.filter((x) => x.t <= w.end).at(-1)!.t;
  const until = Math.min(w.end, closed ? last - 1000 : Math.max(last, from + 2 * DAY));
  if (until <= from) return;
  const n = rng.int(1, 4);
  const times = Array.from({ length: n }, () => Math.floor(rng.uniform(from, until))).sort((a, b) => a - b);
  let clientSpeaks = rng.chance(0.6);
  for (const t of times) {
    const sender = clientSpeaks ? client : expert;
    const role = clientSpeaks ? "client" : "expert";
    const body = rng.pick(CHAT_LINES[role]);
    const deletedAt = rng.chance(0.03) ? Math.floor(t + rng.uniform(1, 30) * MINUTE) : null;
    const deleted = deletedAt != null && deletedAt <= w.end ? deletedAt : null;
    plan.also(t, () => {
      const m = w.w.insert(
        "order_messages",
        id,
        sender.id,
        body,
        deleted,
        deleted == null ? null : sender.id,
        t,
      );
      w.w.event(t, "order.message_sent", sender.id, "order", id, { message_id: m, sender_role: role });
      if (deleted != null) {
        w.at(deleted, () =>
          w.w.event(deleted, "order.message_deleted", sender.id, "order", id, { message_id: m }),
        );
      }
    });
    clientSpeaks = !clientSpeaks;
  }
}

const RATINGS = [1, 2, 3, 4, 5];

/** After completion: the client rates the expert, the expert rates the client (with behaviour flags). */
function reviews(plan: OrderPlan, expert: Person) {
  const { w, client, id } = plan;
  const { rng } = w;
  const done = plan.row.completedAt!;
  const troubled = plan.row.slaBreachedAt != null || plan.transitions.some((x) => x.to === "disputed");
  const review = (t: number, direction: "client_to_expert" | "expert_to_client") => {
    const ofExpert = direction === "client_to_expert";
    const author = ofExpert ? client : expert;
    const target = ofExpert ? expert : client;
    const q = ofExpert ? expert.expert!.quality : client.conduct;
    const weights = RATINGS.map((_, i) => {
      const high = [1, 1, 3, 20, 75][i]!;
      const low = [10, 10, 20, 30, 30][i]!;
      return low + (high - low) * q;
    });
    let rating = RATINGS[rng.weighted(weights)]!;
    if (troubled && rng.chance(0.5)) rating = Math.max(1, rating - rng.int(1, 2));
    let flags: string[] = [];
    if (!ofExpert) {
      if (rating <= 3 && rng.chance(0.6)) flags = pickSome(w, NEGATIVE_REVIEW_FLAGS);
      else if (rating >= 4 && rng.chance(0.35)) flags = pickSome(w, POSITIVE_REVIEW_FLAGS);
    }
    const comment = reviewComment(rng, ofExpert, rating);
    plan.also(t, () => {
      const rid = w.w.insert(
        "reviews",
        id,
        direction,
        author.id,
        target.id,
        rating,
        comment,
        JSON.stringify(flags),
        1,
        t,
      );
      w.w.event(t, "order.review_created", author.id, "order", id, {
        review_id: rid,
        direction,
        rating,
        target_id: target.id,
        flags,
      });
    });
  };
  if (rng.chance(0.6)) review(w.after(done, rng.exp(20 * HOUR) + 5 * MINUTE), "client_to_expert");
  if (rng.chance(0.45)) review(w.after(done, rng.exp(30 * HOUR) + 5 * MINUTE), "expert_to_client");
}

function pickSome(w: World, from: readonly string[]): string[] {
  const n = w.rng.chance(0.75) ? 1 : 2;
  const out = new Set<string>();
  while (out.size < n) out.add(w.rng.pick(from));
  return [...out];
}
