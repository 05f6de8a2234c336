import type { OrderStatus } from "../db/schema";
import { platformRevenue, userAvailable, userHeld } from "../modules/ledger/service";
import type { ActionName } from "../modules/marketplace/orders/machine";
import { nextRun, type Person, type World } from "./world";

export type Step = { t: number; run: () => void };

// Past these the SLA no longer binds (marketplace/orders/schedules.ts).
const SLA_DONE: readonly OrderStatus[] = ["delivered", "completed", "cancelled", "declined_by_expert"];

/** The order row as it stands at the end of the history. */
export type Row = {
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
export class OrderPlan {
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
        w.w.event(
          t,
          `order.${action}`,
          actorId,
          "order",
          id,
          o.payload ? { from, to, ...o.payload } : { from, to },
        );
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

export function escrowSplit(w: World, held: number, toClient: number): Money {
  const gross = held - toClient;
  const commission = Math.round((gross * w.settings.commissionPercent) / 100);
  return { refunded: toClient, payout: gross - commission, commission };
}

/**
 * When the five-minute SLA sweep first finds the order past its due time and not yet delivered
 * (nor over): at the first run after the due time, or after a later step reopened it. A session
 * that has started is on time (the sweep's rule).
 */
export function slaBreach(
  plan: OrderPlan,
  due: number,
  session = false,
): { t: number; status: OrderStatus } | null {
  const started = session ? plan.transitions.find((x) => x.to === "in_progress")?.t : undefined;
  const runs = [nextRun(due, 5)];
  for (const x of plan.transitions) if (x.t > due && !SLA_DONE.includes(x.to)) runs.push(nextRun(x.t, 5));
  runs.sort((a, b) => a - b);
  for (const t of runs) {
    if (t > plan.w.end) return null;
    if (started !== undefined && t >= started) return null;
    const status = plan.statusAt(t);
    if (!SLA_DONE.includes(status)) return { t, status };
  }
  return null;
}

/** Runs the plan's steps one after the other, each at its instant. */
export function runSteps(w: World, steps: Step[], i: number) {
  const s = steps[i];
  if (!s) return;
  w.at(s.t, () => {
    s.run();
    runSteps(w, steps, i + 1);
  });
}
