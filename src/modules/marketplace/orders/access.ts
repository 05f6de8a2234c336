import type { AppContext } from "../../../context";
import type { Queryable } from "../../../db/client";
import { prepare, preparedPer, selectList } from "../../../db/prepared";
import { type OrderStatus, orders } from "../../../db/schema";
import { can } from "../../../http/auth";
import type { Principal } from "../../../http/types";
import { notFound } from "../../../lib/errors";
import { iso, isoOrNull } from "../../../lib/time";
import { MP } from "../permissions";

export type OrderRow = typeof orders.$inferSelect;

/** Statuses in which an order is being worked on (the "active" lists of seeds 000 and 001). */
export const ACTIVE_STATUSES: readonly OrderStatus[] = [
  "in_review",
  "awaiting_payment",
  "payment_proof_uploaded",
  "paid",
  "in_progress",
  "delivered",
  "revision",
  "disputed",
];
/** Statuses in which a wallet-paid order may hold escrow (paid, until accepted or resolved). */
export const ESCROW_STATUSES: readonly OrderStatus[] = [
  "paid",
  "in_progress",
  "delivered",
  "revision",
  "disputed",
];
export const FINAL_STATUSES: readonly OrderStatus[] = ["completed", "cancelled", "declined_by_expert"];

export type OrderRole = "client" | "expert" | "staff";

/** The caller's part in an order, or null when it is none of theirs. */
export function roleIn(p: Principal, o: OrderRow): OrderRole | null {
  if (o.clientId === p.user.id) return "client";
  if (o.expertId === p.user.id) return "expert";
  if (can(p, MP.ordersReadAny)) return "staff";
  return null;
}

/** Every column of an order, aliased to its `OrderRow` key (the RETURNING list of order writes too). */
export const ORDER_COLUMNS = selectList(orders);

const stmts = preparedPer((db) => ({
  byId: prepare<OrderRow, [number]>(db, `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ?`),
}));

export function findOrder(db: Queryable, id: number): OrderRow | undefined {
  return stmts(db).byId.get(id) ?? undefined;
}

/**
 * The order if the caller is its client, its expert or staff who may read any order; otherwise
 * 404, so other people's orders are indistinguishable from missing ones.
 */
export function orderFor(ctx: Pick<AppContext, "db">, p: Principal, id: number, db: Queryable = ctx.db) {
  const o = findOrder(db, id);
  const role = o ? roleIn(p, o) : null;
  if (!o || !role) throw notFound("order");
  return { order: o, role };
}

/** The API shape of an order (seed 000 fields, seed 001 appointment fields; money in minor units). */
export function serializeOrder(o: OrderRow) {
  return {
    id: o.id,
    kind: o.kind,
    status: o.status,
    client_id: o.clientId,
    expert_id: o.expertId,
    title: o.title,
    description: o.description,
    subject_id: o.subjectId,
    work_type_id: o.workTypeId,
    complexity_id: o.complexityId,
    deadline: isoOrNull(o.deadline),
    scheduled_at: isoOrNull(o.scheduledAt),
    duration_minutes: o.durationMinutes,
    budget: o.budget,
    price: o.price,
    currency: o.currency,
    payment_method: o.paymentMethod,
    payment_proof_file_id: o.paymentProofFileId,
    escrow_amount: o.escrowAmount,
    sla_due_at: isoOrNull(o.slaDueAt),
    sla_breached_at: isoOrNull(o.slaBreachedAt),
    status_reason: o.statusReason,
    taken_at: isoOrNull(o.takenAt),
    paid_at: isoOrNull(o.paidAt),
    started_at: isoOrNull(o.startedAt),
    delivered_at: isoOrNull(o.deliveredAt),
    completed_at: isoOrNull(o.completedAt),
    cancelled_at: isoOrNull(o.cancelledAt),
    created_at: iso(o.createdAt),
    updated_at: iso(o.updatedAt),
  };
}
