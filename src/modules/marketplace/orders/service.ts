import { and, asc, desc, eq, inArray, or, type SQL } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import { events, type OrderStatus, orders } from "../../../db/schema";
import { can } from "../../../http/auth";
import type { Principal } from "../../../http/types";
import { ApiError, forbidden, notFound, validation } from "../../../lib/errors";
import { pageOf } from "../../../lib/pagination";
import { iso } from "../../../lib/time";
import { emit } from "../../platform/events/service";
import { notify } from "../../platform/notifications/service";
import { clientRiskOf } from "../../scoring/read";
import { type CatalogKind, findActiveCatalogEntry } from "../catalog/service";
import { ACTIVE_EXPERT_SQL, isActiveExpert } from "../experts/service";
import { MP } from "../permissions";
import { ACTIVE_STATUSES, findOrder, ORDER_COLUMNS, type OrderRow, roleIn, serializeOrder } from "./access";
import { assertTransition } from "./machine";
import type { OrderCreate, OrderListQuery } from "./schemas";
import { transition } from "./transition";

/** A catalog reference in a body must name an active entry (400 otherwise, on that field). */
function activeEntry(db: Queryable, kind: CatalogKind, id: number | undefined, field: string) {
  if (id != null && !findActiveCatalogEntry(db, kind, id))
    throw validation(field, `no active entry with id ${id}`);
}

type OrderInsert = [
  kind: string,
  clientId: number,
  title: string,
  description: string | null,
  subjectId: number | null,
  workTypeId: number | null,
  complexityId: number | null,
  deadline: number | null,
  scheduledAt: number | null,
  durationMinutes: number | null,
  budget: number | null,
  currency: string,
  slaDueAt: number | null,
  createdAt: number,
  updatedAt: number,
];

// The order write path (create, take) runs these on every order: prepared once per connection (DESIGN.md §1).
const stmts = preparedPer((db) => ({
  // Columns not named here are NULL, as Drizzle's insert would write them.
  insertOrder: prepare<OrderRow, OrderInsert>(
    db,
    `INSERT INTO orders (kind, status, client_id, title, description, subject_id, work_type_id, complexity_id,
       deadline, scheduled_at, duration_minutes, budget, currency, escrow_amount, sla_due_at, created_at, updated_at)
     VALUES (?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) RETURNING ${ORDER_COLUMNS}`,
  ),
  verifiedSpecialization: prepare<{ id: number }, [number, number]>(
    db,
    "SELECT id FROM expert_specializations WHERE user_id = ? AND subject_id = ? AND is_verified = 1",
  ),
  candidates: prepare<{ id: number }, [number]>(
    db,
    `SELECT s.user_id AS id FROM expert_specializations s
     JOIN expert_profiles p ON p.user_id = s.user_id
     JOIN users u ON u.id = s.user_id
     WHERE s.subject_id = ? AND s.is_verified = 1 AND ${ACTIVE_EXPERT_SQL}`,
  ),
}));

/** Why the user may not take the order (null when they may): an active expert verified in its subject. */
function whyNotTaker(db: Queryable, userId: number, o: OrderRow): string | null {
  if (!isActiveExpert(db, userId)) return "your expert profile is not active";
  if (!stmts(db).verifiedSpecialization.get(userId, o.subjectId)) {
    return "you have no verified specialization in this order's subject";
  }
  return null;
}

/** Creates an order in status `new`, records it and tells the verified experts of its subject. */
export function createOrder(ctx: AppContext, p: Principal, input: OrderCreate): OrderRow {
  const now = ctx.clock.now();
  const deadline = input.deadline ? Date.parse(input.deadline) : null;
  const scheduledAt = input.scheduled_at ? Date.parse(input.scheduled_at) : null;
  if (deadline != null && deadline <= now) throw validation("body.deadline", "must be in the future");
  if (scheduledAt != null && scheduledAt <= now)
    throw validation("body.scheduled_at", "must be in the future");
  const kind = input.kind ?? "work";
  if (kind === "session" && (scheduledAt == null || input.duration_minutes == null)) {
    throw validation("body.scheduled_at", "a session needs scheduled_at and duration_minutes");
  }
  return ctx.db.transaction(
    (tx) => {
      activeEntry(tx, "subjects", input.subject_id, "body.subject_id");
      activeEntry(tx, "work-types", input.work_type_id, "body.work_type_id");
      activeEntry(tx, "complexities", input.complexity_id, "body.complexity_id");
      const o = stmts(tx).insertOrder.get(
        kind,
        p.user.id,
        input.title,
        input.description ?? null,
        input.subject_id ?? null,
        input.work_type_id ?? null,
        input.complexity_id ?? null,
        deadline,
        scheduledAt,
        input.duration_minutes ?? null,
        input.budget ?? null,
        input.currency ?? "RUB",
        // The SLA is the client's deadline, or the session's start.
        deadline ?? scheduledAt,
        now,
        now,
      )!;
      emit(tx, now, {
        type: "order.created",
        actorId: p.user.id,
        subjectType: "order",
        subjectId: o.id,
        payload: { to: "new", kind, subject_id: o.subjectId, budget: o.budget },
      });
      for (const expertId of candidateExperts(tx, o.subjectId, p.user.id)) {
        notify(ctx, tx, {
          userId: expertId,
          type: "new_order",
          title: "New order in your specialization",
          message: `A new order is available: ${o.title}`,
          data: { order_id: o.id },
        });
      }
      return o;
    },
    { behavior: "immediate" },
  );
}

/** Active experts with a verified specialization in the subject (who may take its orders). */
function candidateExperts(db: Queryable, subjectId: number, exceptUserId: number): number[] {
  return stmts(db)
    .candidates.all(subjectId)
    .map((r) => r.id)
    .filter((id) => id !== exceptUserId);
}

/**
 * An expert takes a new order. Only an active expert with a verified specialization in its subject
 * (403 otherwise); the first taker wins, the rest get 409 already_taken. The status guard in the
 * UPDATE makes the race safe even across processes sharing the database.
 */
export function takeOrder(ctx: AppContext, p: Principal, id: number): OrderRow {
  if (!can(p, MP.expertOrders)) throw forbidden("only experts take orders");
  return ctx.db.transaction(
    (tx) => {
      const o = findOrder(tx, id);
      if (!o) throw notFound("order");
      if (o.expertId != null && o.expertId !== p.user.id) {
        throw new ApiError("already_taken", "another expert has taken this order", { order_id: o.id });
      }
      assertTransition("take", o.status, "in_review");
      if (o.clientId === p.user.id) throw forbidden("you cannot take your own order");
      const refused = whyNotTaker(tx, p.user.id, o);
      if (refused) throw forbidden(refused);
      const now = ctx.clock.now();
      return transition(ctx, tx, o, {
        action: "take",
        actorId: p.user.id,
        set: { expertId: p.user.id, takenAt: now },
      });
    },
    { behavior: "immediate" },
  );
}

/**
 * An order as its client, expert or staff see it; an expert who could take a still-new order in
 * their verified subject may read it too (to decide). Anyone else: 404.
 */
export function viewOrder(ctx: AppContext, p: Principal, id: number): OrderRow {
  const o = findOrder(ctx.db, id);
  if (o && roleIn(p, o)) return o;
  if (o && o.status === "new" && can(p, MP.expertOrders) && !whyNotTaker(ctx.db, p.user.id, o)) return o;
  throw notFound("order");
}

/**
 * The order's detail: `viewOrder` plus, for its expert and for staff who may read users, the
 * client's risk (seed 001: the assigned master sees whom they work for; other clients never do).
 */
export function orderDetail(ctx: AppContext, p: Principal, id: number) {
  const o = viewOrder(ctx, p, id);
  const body = serializeOrder(o);
  const seesRisk = (o.expertId != null && o.expertId === p.user.id) || can(p, "users:read");
  return seesRisk ? { ...body, client_risk: clientRiskOf(ctx.db, o.clientId) } : body;
}

/** The order's timeline: every platform event recorded on it, oldest first. */
export function orderTimeline(db: Queryable, orderId: number) {
  return db
    .select()
    .from(events)
    .where(and(eq(events.subjectType, "order"), eq(events.subjectId, String(orderId))))
    .orderBy(asc(events.id))
    .all()
    .map((e) => ({
      id: e.id,
      type: e.type,
      actor_id: e.actorId,
      payload: e.payload,
      created_at: iso(e.createdAt),
    }));
}

/** The caller's orders as client or expert (`role` narrows), newest first. */
export function listMyOrders(
  ctx: AppContext,
  p: Principal,
  q: OrderListQuery,
  statuses?: readonly OrderStatus[],
) {
  const mine =
    q.role === "client"
      ? eq(orders.clientId, p.user.id)
      : q.role === "expert"
        ? eq(orders.expertId, p.user.id)
        : or(eq(orders.clientId, p.user.id), eq(orders.expertId, p.user.id));
  const where: (SQL | undefined)[] = [mine, q.kind ? eq(orders.kind, q.kind) : undefined];
  if (q.status) where.push(eq(orders.status, q.status));
  if (statuses) where.push(inArray(orders.status, [...statuses]));
  return pageOf(ctx.db, orders, and(...where), q, desc(orders.createdAt), desc(orders.id));
}

export const listActiveOrders = (ctx: AppContext, p: Principal, q: OrderListQuery) =>
  listMyOrders(ctx, p, q, ACTIVE_STATUSES);
