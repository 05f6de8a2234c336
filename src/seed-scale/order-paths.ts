import type { OrderStatus } from "../db/schema";
import { DAY, HOUR, MINUTE } from "../lib/time";
import { userAvailable, userHeld } from "../modules/ledger/service";
import { escrowSplit, type OrderPlan, type Row } from "./order-plan";
import { fundWallet, fundWalletNow } from "./payments";
import { CANCEL_REASONS, DECLINE_REASONS, DISPUTE_REASONS, RESOLVE_NOTES, REVISION_REASONS } from "./texts";
import { nextRun, type Person } from "./world";

export type Shape = {
  session: boolean;
  deadline: number | null;
  scheduledAt: number | null;
  duration: number | null;
};

/** The order's path through the machine: who acts, when, and what it costs. */
export function lifecycle(plan: OrderPlan, expert: Person | undefined, shape: Shape) {
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
      if (rng.chance(0.1)) w.login(expert, t);
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
