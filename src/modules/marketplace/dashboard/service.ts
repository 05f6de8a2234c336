import {
  and,
  count,
  desc,
  eq,
  gte,
  inArray,
  isNull,
  lt,
  ne,
  notInArray,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable } from "../../../db/client";
import {
  complexities,
  expertApplications,
  expertDocuments,
  expertProfiles,
  expertSpecializations,
  ledgerAccounts,
  ledgerTransfers,
  ORDER_STATUSES,
  type OrderStatus,
  orders,
  ROLES,
  type Role,
  subjects,
  users,
  workTypes,
} from "../../../db/schema";
import { offset, type PageQuery, pageOf } from "../../../lib/pagination";
import { DAY, iso, isoOrNull } from "../../../lib/time";
import { unreadCount } from "../../platform/notifications/service";
import { expertScoreOf } from "../../scoring/read";
import { activeExpertExists } from "../experts/service";
import { ACTIVE_STATUSES, ESCROW_STATUSES, FINAL_STATUSES, serializeOrder } from "../orders/access";
import { ratingSummary } from "../reviews/service";
import type { AvailableOrdersQuery, TransactionsQuery } from "./schemas";

/*
 * Read-only queries of seed 000's expert dashboard and seed 001's role-aware /dashboard. Every
 * number is an aggregate in SQL (no per-order loops); no read opens a transaction.
 */

const countWhere = (cond: SQL) => sql<number>`coalesce(sum(case when ${cond} then 1 else 0 end), 0)`;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Statuses that end an order the expert took without success (success_rate's denominator). */
export const FAILED_STATUSES: readonly OrderStatus[] = ["cancelled", "declined_by_expert"];
/** Roles that see the platform-wide /dashboard. */
export const STAFF_ROLES: readonly Role[] = ["admin", "support", "arbitrator"];

/** [first ms of the calendar month (UTC) containing `now`, first ms of the next one). */
export function monthOf(now: number): [number, number] {
  const d = new Date(now);
  return [
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
  ];
}

// ---------- building blocks (each one SQL statement) ----------

/** The user's own ledger account (as a join condition on ledger_accounts). */
const userAccount = (userId: number, kind: "available" | "held", currency: string) =>
  and(
    eq(ledgerAccounts.ownerType, "user"),
    eq(ledgerAccounts.ownerId, String(userId)),
    eq(ledgerAccounts.kind, kind),
    eq(ledgerAccounts.currency, currency),
  );

/** Available and held balances of a user in one currency (missing accounts are 0). */
export function balances(db: Queryable, userId: number, currency: string) {
  const rows = db
    .select({ kind: ledgerAccounts.kind, balance: ledgerAccounts.balance })
    .from(ledgerAccounts)
    .where(
      and(
        eq(ledgerAccounts.ownerType, "user"),
        eq(ledgerAccounts.ownerId, String(userId)),
        inArray(ledgerAccounts.kind, ["available", "held"]),
        eq(ledgerAccounts.currency, currency),
      ),
    )
    .all();
  const of = (k: string) => rows.find((r) => r.kind === k)?.balance ?? 0;
  return { available: of("available"), held: of("held") };
}

/** Sum of "payout" transfers credited to the expert's available account: all time and this UTC month. */
export function earnings(db: Queryable, expertId: number, currency: string, now: number) {
  const [from, to] = monthOf(now);
  const t = ledgerTransfers;
  return db
    .select({
      total: sql<number>`coalesce(sum(${t.amount}), 0)`,
      monthly: sql<number>`coalesce(sum(case when ${t.createdAt} >= ${from} and ${t.createdAt} < ${to} then ${t.amount} else 0 end), 0)`,
    })
    .from(t)
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, t.creditAccountId))
    .where(and(userAccount(expertId, "available", currency), eq(t.kind, "payout")))
    .get()!;
}

/** Average (2 decimals, null when none) and count of the published client->expert reviews. */
export function ratingOf(db: Queryable, expertId: number) {
  const r = ratingSummary(db, expertId, "client_to_expert");
  return { average_rating: r.average_rating, reviews_count: r.count };
}

/** One pass over the expert's orders: counts by group and the mean time from creation to taking. */
function expertOrderCounts(db: Queryable, expertId: number) {
  return db
    .select({
      total: count(),
      active: countWhere(inArray(orders.status, ACTIVE_STATUSES)),
      completed: countWhere(eq(orders.status, "completed")),
      failed: countWhere(inArray(orders.status, FAILED_STATUSES)),
      responseMs: sql<number | null>`avg(${orders.takenAt} - ${orders.createdAt})`,
    })
    .from(orders)
    .where(eq(orders.expertId, expertId))
    .get()!;
}

// ---------- statistics, profile ----------

export function expertStatistics(ctx: AppContext, expertId: number, currency: string) {
  const { db } = ctx;
  const o = expertOrderCounts(db, expertId);
  const e = earnings(db, expertId, currency, ctx.clock.now());
  const r = ratingOf(db, expertId);
  const verified = db
    .select({ n: count() })
    .from(expertSpecializations)
    .where(and(eq(expertSpecializations.userId, expertId), eq(expertSpecializations.isVerified, true)))
    .get()!.n;
  const ended = o.completed + o.failed;
  return {
    total_earnings: e.total,
    monthly_earnings: e.monthly,
    currency,
    active_orders: o.active,
    completed_orders: o.completed,
    average_rating: r.average_rating,
    reviews_count: r.reviews_count,
    verified_specializations: verified,
    success_rate: ended ? round2((o.completed * 100) / ended) : 0,
    total_orders: o.total,
    response_time_avg_seconds: o.responseMs == null ? null : Math.round(o.responseMs / 1000),
    ...expertScoreOf(db, expertId),
  };
}

export function expertProfile(ctx: AppContext, expertId: number) {
  const { db } = ctx;
  const u = db
    .select({ user: users, profile: expertProfiles })
    .from(users)
    .leftJoin(expertProfiles, eq(expertProfiles.userId, users.id))
    .where(eq(users.id, expertId))
    .get()!;
  const specs = db
    .select({
      id: expertSpecializations.id,
      isVerified: expertSpecializations.isVerified,
      createdAt: expertSpecializations.createdAt,
      subject: { id: subjects.id, name: subjects.name },
    })
    .from(expertSpecializations)
    .innerJoin(subjects, eq(subjects.id, expertSpecializations.subjectId))
    .where(eq(expertSpecializations.userId, expertId))
    .orderBy(expertSpecializations.id)
    .all();
  const docs = db
    .select()
    .from(expertDocuments)
    .where(eq(expertDocuments.userId, expertId))
    .orderBy(desc(expertDocuments.createdAt), desc(expertDocuments.id))
    .all();
  const { user, profile } = u;
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    bio: user.bio,
    experience_years: user.experienceYears,
    education: user.education,
    skills: user.skills,
    avatar_url: user.avatarUrl,
    // No profile row (an expert by role change, never approved) cannot take orders: not active.
    is_active: profile?.isActive ?? false,
    suspended_reason: profile?.suspendedReason ?? null,
    approved_at: isoOrNull(profile?.approvedAt),
    specializations: specs.map((s) => ({
      id: s.id,
      subject: s.subject,
      is_verified: s.isVerified,
      created_at: iso(s.createdAt),
    })),
    documents: docs.map((d) => ({
      id: d.id,
      title: d.title,
      is_verified: d.isVerified,
      created_at: iso(d.createdAt),
    })),
    ...ratingOf(db, expertId),
  };
}

// ---------- order lists ----------

function orderPage(db: Queryable, where: SQL | undefined, q: PageQuery, ...order: SQL[]) {
  const { total, rows } = pageOf(db, orders, where, q, ...order);
  return { total, results: rows.map(serializeOrder) };
}

/** The expert's orders being worked on, newest first. */
export const activeOrders = (ctx: AppContext, expertId: number, q: PageQuery) =>
  orderPage(
    ctx.db,
    and(eq(orders.expertId, expertId), inArray(orders.status, ACTIVE_STATUSES)),
    q,
    desc(orders.createdAt),
    desc(orders.id),
  );

/** The expert's finished orders (completed, cancelled, declined), most recently changed first. */
export const recentOrders = (ctx: AppContext, expertId: number, q: PageQuery) =>
  orderPage(
    ctx.db,
    and(eq(orders.expertId, expertId), inArray(orders.status, FINAL_STATUSES)),
    q,
    desc(orders.updatedAt),
    desc(orders.id),
  );

/**
 * What the expert may take (the same rules as takeOrder in orders.ts): new, nobody's, not their
 * own, in a subject of one of their VERIFIED specializations, and nothing at all unless their
 * expert profile exists and is active. The conditions are subqueries, so a count and a page are
 * the only statements.
 */
function availableWhere(db: Queryable, expertId: number, f: Partial<AvailableOrdersQuery> = {}) {
  const verifiedSubjects = db
    .select({ id: expertSpecializations.subjectId })
    .from(expertSpecializations)
    .where(and(eq(expertSpecializations.userId, expertId), eq(expertSpecializations.isVerified, true)));
  const conds: SQL[] = [
    eq(orders.status, "new"),
    isNull(orders.expertId),
    ne(orders.clientId, expertId),
    inArray(orders.subjectId, verifiedSubjects),
    activeExpertExists(expertId),
  ];
  if (f.subject_id !== undefined) conds.push(eq(orders.subjectId, f.subject_id));
  if (f.work_type_id !== undefined) conds.push(eq(orders.workTypeId, f.work_type_id));
  if (f.complexity_id !== undefined) conds.push(eq(orders.complexityId, f.complexity_id));
  // A date alone is the start of that day, UTC (Date.parse reads date-only forms as UTC).
  if (f.deadline_before !== undefined) conds.push(lt(orders.deadline, Date.parse(f.deadline_before)));
  if (f.budget_min !== undefined) conds.push(gte(orders.budget, f.budget_min));
  return and(...conds);
}

export const availableCount = (db: Queryable, expertId: number) =>
  db.select({ n: count() }).from(orders).where(availableWhere(db, expertId)).get()!.n;

/**
 * Available orders, newest first, each with its subject, work type, complexity and client, in
 * exactly two statements (a count and one page query with JOINs) whatever the number of orders.
 */
export function availableOrders(ctx: AppContext, expertId: number, q: AvailableOrdersQuery) {
  const { db } = ctx;
  const where = availableWhere(db, expertId, q);
  const total = db.select({ n: count() }).from(orders).where(where).get()!.n;
  const rows = db
    .select({
      order: orders,
      // The three catalog tables share one generic type, so their columns are typed by hand.
      subjectName: sql<string>`${subjects.name}`,
      workTypeName: sql<string | null>`${workTypes.name}`,
      complexityName: sql<string | null>`${complexities.name}`,
      client: { id: users.id, username: users.username },
    })
    .from(orders)
    .innerJoin(subjects, eq(subjects.id, orders.subjectId))
    .leftJoin(workTypes, eq(workTypes.id, orders.workTypeId))
    .leftJoin(complexities, eq(complexities.id, orders.complexityId))
    .innerJoin(users, eq(users.id, orders.clientId))
    .where(where)
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(q.page_size)
    .offset(offset(q))
    .all();
  return {
    total,
    results: rows.map(({ order: o, ...r }) => ({
      ...serializeOrder(o),
      subject: { id: o.subjectId, name: r.subjectName },
      work_type: o.workTypeId == null ? null : { id: o.workTypeId, name: r.workTypeName ?? "" },
      complexity: o.complexityId == null ? null : { id: o.complexityId, name: r.complexityName ?? "" },
      client: r.client,
    })),
  };
}

// ---------- money ----------

/**
 * Seed 000's financial summary. balance / frozen_balance are the ledger's available / held
 * accounts; pending_payouts is the escrow still held for the expert's paid-but-unfinished orders
 * (gross: the platform commission is taken when it is released).
 */
export function financialSummary(ctx: AppContext, expertId: number, currency: string) {
  const { db } = ctx;
  const b = balances(db, expertId, currency);
  const e = earnings(db, expertId, currency, ctx.clock.now());
  const pending = db
    .select({ n: sql<number>`coalesce(sum(${orders.escrowAmount}), 0)` })
    .from(orders)
    .where(
      and(
        eq(orders.expertId, expertId),
        inArray(orders.status, ESCROW_STATUSES),
        eq(orders.currency, currency),
      ),
    )
    .get()!.n;
  const last = db
    .select({ amount: ledgerTransfers.amount, at: ledgerTransfers.createdAt })
    .from(ledgerTransfers)
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerTransfers.creditAccountId))
    .where(and(userAccount(expertId, "available", currency), eq(ledgerTransfers.kind, "payout")))
    .orderBy(desc(ledgerTransfers.id))
    .limit(1)
    .get();
  return {
    currency,
    current_balance: b.available + b.held,
    frozen_balance: b.held,
    available_balance: b.available,
    total_earnings: e.total,
    monthly_earnings: e.monthly,
    pending_payouts: pending,
    last_payout: last ? { amount: last.amount, date: iso(last.at) } : null,
  };
}

/**
 * Transfers that debit or credit one of the expert's accounts (available or held), newest first,
 * with the referenced order joined in the same query. "in" = money arrived from outside the
 * expert's accounts; anything else (including a move between their own accounts) is "out".
 */
export function expertTransactions(ctx: AppContext, expertId: number, q: TransactionsQuery) {
  const { db } = ctx;
  const t = ledgerTransfers;
  const mine = db
    .select({ id: ledgerAccounts.id })
    .from(ledgerAccounts)
    .where(
      and(
        eq(ledgerAccounts.ownerType, "user"),
        eq(ledgerAccounts.ownerId, String(expertId)),
        inArray(ledgerAccounts.kind, ["available", "held"]),
        q.currency ? eq(ledgerAccounts.currency, q.currency) : undefined,
      ),
    );
  const conds: SQL[] = [or(inArray(t.debitAccountId, mine), inArray(t.creditAccountId, mine))!];
  if (q.type) conds.push(eq(t.kind, q.type));
  if (q.date_from) conds.push(gte(t.createdAt, Date.parse(q.date_from)));
  if (q.date_to) conds.push(lt(t.createdAt, Date.parse(q.date_to) + DAY));
  const where = and(...conds);
  const total = db.select({ n: count() }).from(t).where(where).get()!.n;
  const rows = db
    .select({
      id: t.id,
      kind: t.kind,
      amount: t.amount,
      currency: t.currency,
      createdAt: t.createdAt,
      incoming: sql<number>`(${inArray(t.creditAccountId, mine)} and ${notInArray(t.debitAccountId, mine)})`,
      order: { id: orders.id, title: orders.title },
    })
    .from(t)
    .leftJoin(
      orders,
      and(eq(t.referenceType, "order"), eq(orders.id, sql`cast(${t.referenceId} as integer)`)),
    )
    .where(where)
    .orderBy(desc(t.createdAt), desc(t.id))
    .limit(q.page_size)
    .offset(offset(q))
    .all();
  return {
    total,
    results: rows.map((r) => ({
      id: r.id,
      type: r.kind,
      amount: r.amount,
      currency: r.currency,
      direction: r.incoming ? ("in" as const) : ("out" as const),
      order: r.order,
      timestamp: iso(r.createdAt),
      // Ledger transfers are immutable and applied when written.
      status: "completed" as const,
    })),
  };
}

// ---------- role-aware /dashboard (seed 001) ----------

function clientDashboard(ctx: AppContext, userId: number, currency: string) {
  const { db } = ctx;
  const o = db
    .select({
      total: count(),
      new: countWhere(eq(orders.status, "new")),
      active: countWhere(inArray(orders.status, ACTIVE_STATUSES)),
      awaiting_payment: countWhere(eq(orders.status, "awaiting_payment")),
      completed: countWhere(eq(orders.status, "completed")),
      cancelled: countWhere(inArray(orders.status, FAILED_STATUSES)),
    })
    .from(orders)
    .where(eq(orders.clientId, userId))
    .get()!;
  return {
    view: "client" as const,
    orders: o,
    wallet: { ...balances(db, userId, currency), currency },
    unread_notifications: unreadCount(db, userId),
  };
}

function expertDashboard(ctx: AppContext, userId: number, currency: string) {
  const { db } = ctx;
  const o = expertOrderCounts(db, userId);
  return {
    view: "expert" as const,
    active_orders: o.active,
    available_orders: availableCount(db, userId),
    completed_orders: o.completed,
    monthly_earnings: earnings(db, userId, currency, ctx.clock.now()).monthly,
    currency,
    average_rating: ratingOf(db, userId).average_rating,
    unread_notifications: unreadCount(db, userId),
  };
}

function staffDashboard(ctx: AppContext, userId: number) {
  const { db } = ctx;
  const byRole = Object.fromEntries(ROLES.map((r) => [r, 0])) as Record<string, number>;
  for (const r of db.select({ role: users.role, n: count() }).from(users).groupBy(users.role).all()) {
    byRole[r.role] = r.n;
  }
  const byStatus = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<string, number>;
  for (const r of db
    .select({ status: orders.status, n: count() })
    .from(orders)
    .groupBy(orders.status)
    .all()) {
    byStatus[r.status] = r.n;
  }
  const pendingApplications = db
    .select({ n: count() })
    .from(expertApplications)
    .where(eq(expertApplications.status, "pending"))
    .get()!.n;
  return {
    view: "staff" as const,
    users_by_role: byRole,
    orders_by_status: byStatus,
    open_disputes: byStatus.disputed ?? 0,
    pending_expert_applications: pendingApplications,
    payments_awaiting_confirmation: byStatus.payment_proof_uploaded ?? 0,
    unread_notifications: unreadCount(db, userId),
  };
}

/**
 * Seed 001's role-aware counts. Staff (admin, support, arbitrator) see the platform; experts their
 * work; everyone else (clients, partners, merchants, …) their own orders and wallet.
 */
export function homeDashboard(ctx: AppContext, user: { id: number; role: Role }, currency: string) {
  const body = STAFF_ROLES.includes(user.role)
    ? staffDashboard(ctx, user.id)
    : user.role === "expert"
      ? expertDashboard(ctx, user.id, currency)
      : clientDashboard(ctx, user.id, currency);
  return { role: user.role, ...body };
}
