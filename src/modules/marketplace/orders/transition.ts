import type { Statement } from "bun:sqlite";
import { type Column, getTableColumns } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import { type OrderStatus, orders } from "../../../db/schema";
import { write } from "../../../db/write";
import { can } from "../../../http/auth";
import type { Principal } from "../../../http/types";
import { conflict, forbidden } from "../../../lib/errors";
import { emit } from "../../platform/events/service";
import { type NotificationType, notify } from "../../platform/notifications/service";
import { MP } from "../permissions";
import { ORDER_COLUMNS, type OrderRole, type OrderRow, orderFor } from "./access";
import { ACTIONS, type ActionName, type Actor, assertTransition } from "./machine";

/** Does the caller's part in the order (or their staff permission) allow this kind of actor? */
function allowed(p: Principal, role: OrderRole, by: Actor) {
  switch (by) {
    case "client":
      return role === "client";
    case "expert":
      return role === "expert";
    case "party":
      return role === "client" || role === "expert";
    case "confirmer":
      return role === "expert" || can(p, MP.ordersManage);
    case "resolver":
      return role === "staff" && can(p, MP.disputesResolve);
    case "system":
      return false;
  }
}

/**
 * Opens the write transaction, loads the order (404 when the caller cannot see it), checks that
 * the caller plays the part `action` needs (403 otherwise) and runs `fn` inside.
 */
export function withOrder<T>(
  ctx: AppContext,
  p: Principal,
  id: number,
  action: ActionName,
  fn: (tx: Tx, o: OrderRow, now: number, role: OrderRole) => T,
): T {
  return write(ctx, (tx, now) => {
    const { order, role } = actorOrder(ctx, p, id, action, tx);
    return fn(tx, order, now, role);
  });
}

/** The order if the caller may perform `action` on it: 404 when they cannot see it, 403 for the wrong part. */
export function actorOrder(
  ctx: AppContext,
  p: Principal,
  id: number,
  action: ActionName,
  db: Queryable = ctx.db,
) {
  const found = orderFor(ctx, p, id, db);
  if (!allowed(p, found.role, ACTIONS[action].by)) {
    throw forbidden(`only the order's ${ACTIONS[action].by} may ${action.replace(/_/g, " ")}`);
  }
  return found;
}

const NOTIFY_TYPE: Partial<Record<ActionName, NotificationType>> = {
  take: "order_assigned",
  pay: "payment_received",
  confirm_payment: "payment_received",
  dispute: "dispute_opened",
};

/**
 * Moves the order along one edge: checks the edge (409 invalid_transition), updates the row only if
 * nobody changed its status meanwhile, records `order.<action>` on the timeline and notifies the
 * party that did not act (both, when the system or staff acted).
 */
export function transition(
  ctx: AppContext,
  tx: Tx,
  o: OrderRow,
  t: {
    action: ActionName;
    actorId: number | null;
    to?: OrderStatus;
    set?: Partial<typeof orders.$inferInsert>;
    payload?: Record<string, unknown>;
  },
): OrderRow {
  const to = t.to ?? ACTIONS[t.action].to;
  assertTransition(t.action, o.status, to);
  const now = ctx.clock.now();
  const row = guardedUpdate(tx, o, { ...t.set, status: to, updatedAt: now });
  if (!row) throw conflict("the order changed meanwhile; reload it", { order_id: o.id });
  emit(tx, now, {
    type: `order.${t.action}`,
    actorId: t.actorId,
    subjectType: "order",
    subjectId: o.id,
    payload: { from: o.status, to, ...t.payload },
  });
  notifyParties(
    ctx,
    tx,
    row,
    t.actorId,
    NOTIFY_TYPE[t.action] ?? (to === "completed" ? "order_completed" : "order_status_changed"),
    {
      action: t.action,
      from: o.status,
      to,
    },
  );
  return row;
}

type OrderSet = Partial<typeof orders.$inferInsert>;
type UpdateStmt = Statement<OrderRow, (string | number | null)[]>;

const ORDER_FIELDS = getTableColumns(orders) as Record<string, Column>;
// One prepared UPDATE per set of columns (a handful: each action sets its own), per connection.
const updateFor = preparedPer((db) => {
  const byShape = new Map<string, UpdateStmt>();
  return (cols: Column[]): UpdateStmt => {
    const shape = cols.map((c) => c.name).join(",");
    let stmt = byShape.get(shape);
    if (!stmt) {
      stmt = prepare<OrderRow, (string | number | null)[]>(
        db,
        `UPDATE orders SET ${cols.map((c) => `"${c.name}" = ?`).join(", ")} WHERE id = ? AND status = ? RETURNING ${ORDER_COLUMNS}`,
      );
      byShape.set(shape, stmt);
    }
    return stmt;
  };
});

/**
 * `UPDATE orders SET … WHERE id = ? AND status = ? RETURNING *`: the row, or undefined when the
 * status changed meanwhile. Like Drizzle's `.set()`, undefined values and unknown keys are skipped.
 */
function guardedUpdate(tx: Tx, o: OrderRow, set: OrderSet): OrderRow | undefined {
  const cols: Column[] = [];
  const values: (string | number | null)[] = [];
  for (const [key, value] of Object.entries(set)) {
    if (value === undefined) continue;
    const col = ORDER_FIELDS[key];
    if (!col) continue;
    cols.push(col);
    values.push(value === null ? null : (col.mapToDriverValue(value) as string | number));
  }
  return updateFor(tx)(cols).get(...values, o.id, o.status) ?? undefined;
}

/** Notifies the order's client and expert, except whoever acted. */
export function notifyParties(
  ctx: AppContext,
  tx: Tx,
  o: OrderRow,
  actorId: number | null,
  type: NotificationType,
  data: Record<string, unknown>,
) {
  const to = data.to ?? o.status;
  for (const userId of [o.clientId, o.expertId]) {
    if (userId == null || userId === actorId) continue;
    notify(ctx, tx, {
      userId,
      type,
      title: `Order #${o.id}: ${String(to).replace(/_/g, " ")}`,
      message: `"${o.title}" is now ${String(to).replace(/_/g, " ")}.`,
      data: { order_id: o.id, ...data },
    });
  }
}
