import { eq } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { type GatewayOrderStatus, gatewayOrders, gatewayRequisites } from "../../../db/schema";
import { ApiError, notFound } from "../../../lib/errors";
import { audit } from "../../platform/audit";
import { emit } from "../../platform/events/service";
import { sendOrderCallback } from "../callbacks";
import { canMove } from "./machine";
import type { GatewayOrderRow, RequisiteRow } from "./serialize";

/** Who moved an order: a person (with the request's address and id), a job or the expiry sweep (null). */
export type GatewayActor = { id: number | null; ip?: string | null; requestId?: string | null };

export function findGatewayOrder(db: Queryable, id: number): GatewayOrderRow | undefined {
  return db.select().from(gatewayOrders).where(eq(gatewayOrders.id, id)).get();
}

export function loadGatewayOrder(db: Queryable, id: number): GatewayOrderRow {
  const o = findGatewayOrder(db, id);
  if (!o) throw notFound("gateway order");
  return o;
}

export function findRequisite(db: Queryable, id: number | null): RequisiteRow | undefined {
  return id == null
    ? undefined
    : db.select().from(gatewayRequisites).where(eq(gatewayRequisites.id, id)).get();
}

export type MoveOptions = {
  actor: GatewayActor;
  reason?: string | null;
  /** Columns that change with the status (times, requisite, receipts). */
  set?: Partial<typeof gatewayOrders.$inferInsert>;
  /** Extra facts for the event and the audit row. */
  details?: Record<string, unknown>;
};

/**
 * The one way an order changes status: checked against the machine (409 invalid_transition), then,
 * in the caller's transaction, the row, its event `gateway.order.<to>`, an audit row and the signed
 * callback to the store. Money moves are the caller's, in the same transaction.
 */
export function moveOrder(
  ctx: AppContext,
  tx: Tx,
  o: GatewayOrderRow,
  to: GatewayOrderStatus,
  opts: MoveOptions,
): GatewayOrderRow {
  if (!canMove(o.status, to)) {
    throw new ApiError("invalid_transition", `a ${o.status} order cannot become ${to}`, {
      from: o.status,
      to,
    });
  }
  const now = ctx.clock.now();
  const reason = opts.reason === undefined ? {} : { statusReason: opts.reason };
  const row = tx
    .update(gatewayOrders)
    .set({ ...opts.set, ...reason, status: to, updatedAt: now })
    .where(eq(gatewayOrders.id, o.id))
    .returning()
    .get()!;
  const details = {
    from: o.status === to && to === "new" ? null : o.status,
    to,
    store_id: row.storeId,
    direction: row.direction,
    client_order_id: row.clientOrderId,
    amount: row.amount,
    currency: row.currency,
    amount_crypto: row.amountCrypto,
    trader_id: row.traderId,
    requisite_id: row.requisiteId,
    reason: row.statusReason,
    ...opts.details,
  };
  const eventId = emit(tx, now, {
    type: `gateway.order.${to}`,
    actorId: opts.actor.id,
    subjectType: "gateway_order",
    subjectId: row.id,
    payload: details,
  });
  audit(tx, now, {
    actorId: opts.actor.id,
    action: `gateway.order.${to}`,
    targetType: "gateway_order",
    targetId: row.id,
    details,
    ip: opts.actor.ip ?? null,
    requestId: opts.actor.requestId ?? null,
  });
  sendOrderCallback(ctx, tx, row, eventId, findRequisite(tx, row.requisiteId));
  return row;
}
