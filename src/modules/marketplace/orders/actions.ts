import { eq } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { type ORDER_STATUSES, type OrderStatus, orders } from "../../../db/schema";
import type { Principal } from "../../../http/types";
import { ApiError, conflict, notFound, validation } from "../../../lib/errors";
import { insertFile, storeUpload, type Upload } from "../../../lib/files";
import type { AdminActor } from "../../accounts/admin";
import { recordAdminAction } from "../../platform/audit";
import { emit } from "../../platform/events/service";
import { ESCROW_STATUSES, findOrder, type OrderRow } from "./access";
import { holdEscrow, settleEscrow } from "./escrow";
import type { ResolveBody } from "./schemas";
import { notifyParties, transition, withOrder } from "./transition";

/** The expert quotes a price: in_review -> awaiting_payment. */
export const setPrice = (ctx: AppContext, p: Principal, id: number, price: number) =>
  withOrder(ctx, p, id, "set_price", (tx, o) =>
    transition(ctx, tx, o, { action: "set_price", actorId: p.user.id, set: { price }, payload: { price } }),
  );

/** The client pays the price from the wallet into escrow: awaiting_payment -> paid. */
export const payOrder = (ctx: AppContext, p: Principal, id: number) =>
  withOrder(ctx, p, id, "pay", (tx, o, now) => {
    const price = o.price;
    if (price == null) throw conflict("the order has no price yet", { status: o.status });
    const round = o.paymentRound + 1;
    const row = transition(ctx, tx, o, {
      action: "pay",
      actorId: p.user.id,
      set: { paymentMethod: "wallet", escrowAmount: price, paidAt: now, paymentRound: round },
      payload: { amount: price, currency: o.currency, payment_method: "wallet", payment_round: round },
    });
    // After the status check (a second pay is invalid_transition, not a second hold), keyed by the
    // new round; a 402 here rolls the whole transaction back.
    holdEscrow(ctx, tx, row, price);
    return row;
  });

/**
 * The client uploads proof of a manual transfer: awaiting_payment -> payment_proof_uploaded, or,
 * while the proof still waits for confirmation, replaces it. Bytes are written before the
 * transaction and removed if it refuses.
 */
export function uploadPaymentProof(ctx: AppContext, p: Principal, id: number, up: Upload) {
  return storeUpload(ctx, up, ({ storageKey, sha256 }) =>
    withOrder(ctx, p, id, "upload_payment_proof", (tx, o, now) => {
      // From any other status transition() refuses, the transaction rolls back, the bytes go.
      const replacing = o.status === "payment_proof_uploaded";
      const file = insertFile(tx, now, {
        ownerId: p.user.id,
        purpose: "payment_proof",
        upload: up,
        storageKey,
        sha256,
      });
      if (!replacing) {
        return transition(ctx, tx, o, {
          action: "upload_payment_proof",
          actorId: p.user.id,
          set: { paymentProofFileId: file.id, paymentMethod: "manual" },
          payload: { file_id: file.id },
        });
      }
      emit(tx, now, {
        type: "order.payment_proof_replaced",
        actorId: p.user.id,
        subjectType: "order",
        subjectId: o.id,
        payload: { file_id: file.id, previous_file_id: o.paymentProofFileId },
      });
      return tx
        .update(orders)
        .set({ paymentProofFileId: file.id, updatedAt: now })
        .where(eq(orders.id, o.id))
        .returning()
        .get();
    }),
  );
}

/** The client says a manual transfer was sent (proof may follow): awaiting_payment -> payment_proof_uploaded. */
export const markPaid = (ctx: AppContext, p: Principal, id: number, note?: string) =>
  withOrder(ctx, p, id, "mark_paid", (tx, o) =>
    transition(ctx, tx, o, {
      action: "mark_paid",
      actorId: p.user.id,
      set: { paymentMethod: "manual", statusReason: note ?? null },
      payload: note ? { note } : {},
    }),
  );

/**
 * The expert (or staff with orders:manage, by either route) confirms the manual payment arrived:
 * payment_proof_uploaded -> paid. Staff confirmations are audited.
 */
export function confirmPayment(ctx: AppContext, p: Principal, actor: AdminActor, id: number) {
  return withOrder(ctx, p, id, "confirm_payment", (tx, o, now, role) => {
    const by = role === "expert" ? "expert" : "admin";
    const row = transition(ctx, tx, o, {
      action: "confirm_payment",
      actorId: p.user.id,
      set: { paymentMethod: "manual", paidAt: now },
      payload: { payment_method: "manual", by },
    });
    if (by === "admin")
      recordAdminAction(tx, now, actor, auditOf("order.confirm_payment", o.id, { from: o.status }));
    return row;
  });
}

export const startOrder = (ctx: AppContext, p: Principal, id: number) =>
  withOrder(ctx, p, id, "start", (tx, o, now) =>
    transition(ctx, tx, o, { action: "start", actorId: p.user.id, set: { startedAt: o.startedAt ?? now } }),
  );

/** The expert finishes: escrow orders wait for the client (delivered); manual orders complete. */
export const completeOrder = (ctx: AppContext, p: Principal, id: number) =>
  withOrder(ctx, p, id, "complete", (tx, o, now) =>
    o.escrowAmount > 0
      ? transition(ctx, tx, o, {
          action: "complete",
          actorId: p.user.id,
          to: "delivered",
          set: { deliveredAt: now },
        })
      : transition(ctx, tx, o, {
          action: "complete",
          actorId: p.user.id,
          to: "completed",
          set: { completedAt: now },
        }),
  );

/** Releases the escrow (minus commission) to the expert and completes the order. */
function release(
  ctx: AppContext,
  tx: Tx,
  o: OrderRow,
  action: "accept" | "auto_accept",
  actorId: number | null,
  now: number,
) {
  const money = settleEscrow(ctx, tx, o, 0);
  return transition(ctx, tx, o, {
    action,
    actorId,
    set: { escrowAmount: 0, completedAt: now },
    payload: { payout: money.payout, commission: money.commission },
  });
}

export const acceptOrder = (ctx: AppContext, p: Principal, id: number) =>
  withOrder(ctx, p, id, "accept", (tx, o, now) => release(ctx, tx, o, "accept", p.user.id, now));

export const requestRevision = (ctx: AppContext, p: Principal, id: number, reason?: string) =>
  withOrder(ctx, p, id, "request_revision", (tx, o) =>
    transition(ctx, tx, o, {
      action: "request_revision",
      actorId: p.user.id,
      set: { statusReason: reason ?? null },
      payload: reason ? { reason } : {},
    }),
  );

export const declineOrder = (ctx: AppContext, p: Principal, id: number, reason?: string) =>
  withOrder(ctx, p, id, "decline", (tx, o) =>
    transition(ctx, tx, o, {
      action: "decline",
      actorId: p.user.id,
      set: { statusReason: reason ?? null },
      payload: reason ? { reason } : {},
    }),
  );

/**
 * The client cancels before work is paid for. Nothing is held in those statuses (pay moves to
 * `paid`, and set-status never strands escrow), so paid work is undone through a dispute.
 */
export const cancelOrder = (ctx: AppContext, p: Principal, id: number, reason?: string) =>
  withOrder(ctx, p, id, "cancel", (tx, o, now) =>
    transition(ctx, tx, o, {
      action: "cancel",
      actorId: p.user.id,
      set: { statusReason: reason ?? null, cancelledAt: now },
      payload: reason ? { reason } : {},
    }),
  );

export const disputeOrder = (ctx: AppContext, p: Principal, id: number, reason: string) =>
  withOrder(ctx, p, id, "dispute", (tx, o) =>
    transition(ctx, tx, o, {
      action: "dispute",
      actorId: p.user.id,
      set: { statusReason: reason },
      payload: { reason, opened_by: o.clientId === p.user.id ? "client" : "expert" },
    }),
  );

/**
 * An arbitrator or admin settles a dispute: refund (all back to the client, cancelled), release
 * (all to the expert minus commission, completed) or split (client_amount back, the rest released).
 */
export function resolveDispute(ctx: AppContext, p: Principal, actor: AdminActor, id: number, r: ResolveBody) {
  return withOrder(ctx, p, id, "resolve", (tx, o, now) => {
    const held = o.escrowAmount;
    let toClient: number;
    if (r.outcome === "refund") toClient = held;
    else if (r.outcome === "release") toClient = 0;
    else {
      if (r.client_amount == null) throw validation("body.client_amount", "a split needs client_amount");
      if (held === 0) throw conflict("nothing is held in escrow to split", { escrow_amount: 0 });
      if (r.client_amount <= 0 || r.client_amount >= held)
        throw validation("body.client_amount", `must be between 1 and ${held - 1} (the escrow is ${held})`);
      toClient = r.client_amount;
    }
    const money = held > 0 ? settleEscrow(ctx, tx, o, toClient) : { refunded: 0, payout: 0, commission: 0 };
    const to: OrderStatus = r.outcome === "refund" ? "cancelled" : "completed";
    const row = transition(ctx, tx, o, {
      action: "resolve",
      actorId: p.user.id,
      to,
      set: {
        escrowAmount: 0,
        statusReason: r.note ?? o.statusReason,
        ...(to === "cancelled" ? { cancelledAt: now } : { completedAt: now }),
      },
      payload: { outcome: r.outcome, ...money, ...(r.note ? { note: r.note } : {}) },
    });
    recordAdminAction(tx, now, actor, auditOf("order.resolve", o.id, { outcome: r.outcome, ...money }));
    return row;
  });
}

/** Delivered orders the client left alone for `auto_accept_days` accept themselves (the system acts). */
export function autoAccept(ctx: AppContext, id: number) {
  return ctx.db.transaction(
    (tx) => {
      const o = findOrder(tx, id);
      if (o?.status !== "delivered") return null;
      return release(ctx, tx, o, "auto_accept", null, ctx.clock.now());
    },
    { behavior: "immediate" },
  );
}

/**
 * A completed or cancelled order that was paid from the wallet: its escrow was released, split or
 * refunded, so its money has moved for good and its status is final.
 */
export const isSettled = (o: OrderRow) =>
  (o.status === "completed" || o.status === "cancelled") &&
  (o.paymentMethod === "wallet" || o.paymentRound > 0);

/**
 * Admin override of an order's status (seed 001 set-status), audited. It moves no money, so an
 * order holding escrow stays among the statuses that may hold it (/resolve settles money), and a
 * settled order is never reopened: paying it again would hold money that its settled ledger legs
 * no longer account for.
 */
export function adminSetStatus(
  ctx: AppContext,
  actor: AdminActor,
  id: number,
  body: { status: (typeof ORDER_STATUSES)[number]; reason: string },
) {
  return ctx.db.transaction(
    (tx) => {
      const o = findOrder(tx, id);
      if (!o) throw notFound("order");
      if (o.status === body.status) {
        throw new ApiError("invalid_transition", `the order already is ${o.status}`, {
          from: o.status,
          to: body.status,
        });
      }
      if (isSettled(o)) {
        throw conflict(
          `the order's wallet payment was settled when it became ${o.status}; a settled order keeps its status`,
          { status: o.status, payment_method: o.paymentMethod },
        );
      }
      if (o.escrowAmount > 0 && !ESCROW_STATUSES.includes(body.status)) {
        throw conflict("the order holds escrow; settle it with POST /orders/{id}/resolve", {
          escrow_amount: o.escrowAmount,
        });
      }
      if (body.status !== "new" && o.expertId == null && body.status !== "cancelled") {
        throw conflict("an order without an expert can only be new or cancelled", { to: body.status });
      }
      const now = ctx.clock.now();
      const row = tx
        .update(orders)
        .set({ status: body.status, statusReason: body.reason, updatedAt: now })
        .where(eq(orders.id, o.id))
        .returning()
        .get();
      emit(tx, now, {
        type: "order.status_overridden",
        actorId: actor.id,
        subjectType: "order",
        subjectId: o.id,
        payload: { from: o.status, to: body.status, reason: body.reason },
      });
      recordAdminAction(
        tx,
        now,
        actor,
        auditOf("order.set_status", o.id, { from: o.status, to: body.status, reason: body.reason }),
      );
      notifyParties(ctx, tx, row, actor.id, "order_status_changed", {
        action: "set_status",
        from: o.status,
        to: body.status,
      });
      return row;
    },
    { behavior: "immediate" },
  );
}

/** The audit row of a staff action on an order; its timeline event is written by the action. */
const auditOf = (action: string, id: number, details: Record<string, unknown>) => ({
  action,
  targetType: "order",
  targetId: id,
  details,
  changed: false,
});
