import type { Statement } from "bun:sqlite";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { onePer, prepare, preparedPer, sqliteOf, tableCodec } from "../../../db/prepared";
import { type GatewayOrderStatus, gatewayOrders, gatewayRequisites } from "../../../db/schema";
import { ApiError, notFound } from "../../../lib/errors";
import { audit } from "../../platform/audit";
import { emit } from "../../platform/events/service";
import { sendOrderCallback } from "../callbacks";
import { canMove } from "./machine";
import type { GatewayOrderRow, RequisiteRow } from "./serialize";

/** Who moved an order: a person (with the request's address and id), a job or the expiry sweep (null). */
export type GatewayActor = { id: number | null; ip?: string | null; requestId?: string | null };

const orderCodec = tableCodec(gatewayOrders);
const requisiteCodec = tableCodec(gatewayRequisites);
type Raw = Record<string, unknown>;

// Every order route reads the order and moves it: prepared once per connection (pay-in creation
// is the gateway's hot path).
const stmts = preparedPer((db) => ({
  order: prepare<Raw, [number]>(db, `SELECT ${orderCodec.select} FROM gateway_orders WHERE id = ?`),
  requisite: prepare<Raw, [number]>(
    db,
    `SELECT ${requisiteCodec.select} FROM gateway_requisites WHERE id = ?`,
  ),
}));

/** `UPDATE … SET <these columns> … RETURNING` per set of columns, prepared once per connection. */
const updates = onePer(() => new Map<string, Statement<Raw, never[]>>());
function updateOrder(tx: Tx, id: number, set: Partial<typeof gatewayOrders.$inferInsert>): GatewayOrderRow {
  const db = sqliteOf(tx);
  const keys = Object.keys(set).filter((k) => set[k as keyof typeof set] !== undefined);
  const shape = keys.join(",");
  let stmt = updates(db).get(shape);
  if (!stmt) {
    stmt = prepare<Raw, never[]>(
      db,
      `UPDATE gateway_orders SET ${orderCodec.assignments(keys)} WHERE id = ? RETURNING ${orderCodec.select}`,
    );
    updates(db).set(shape, stmt);
  }
  const values = keys.map((k) => orderCodec.encode(k, set[k as keyof typeof set]));
  return orderCodec.decode((stmt.get as (...a: unknown[]) => Raw)(...values, id));
}

export function findGatewayOrder(db: Queryable, id: number): GatewayOrderRow | undefined {
  const raw = stmts(db).order.get(id);
  return raw ? orderCodec.decode(raw) : undefined;
}

export function loadGatewayOrder(db: Queryable, id: number): GatewayOrderRow {
  const o = findGatewayOrder(db, id);
  if (!o) throw notFound("gateway order");
  return o;
}

export function findRequisite(db: Queryable, id: number | null): RequisiteRow | undefined {
  const raw = id == null ? null : stmts(db).requisite.get(id);
  return raw ? requisiteCodec.decode(raw) : undefined;
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
  const row = updateOrder(tx, o.id, { ...opts.set, ...reason, status: to, updatedAt: now });
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
  sendOrderCallback(ctx, tx, row, eventId, () => findRequisite(tx, row.requisiteId));
  return row;
}
