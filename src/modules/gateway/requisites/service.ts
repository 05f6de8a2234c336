import { and, asc, desc, eq, inArray, type SQL } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable } from "../../../db/client";
import { gatewayRequisites, gatewayTraders, users } from "../../../db/schema";
import { write } from "../../../db/write";
import { notFound, validation } from "../../../lib/errors";
import { pageOf } from "../../../lib/pagination";
import { DAY, iso, isoOrNull } from "../../../lib/time";
import type { AdminActor } from "../../accounts/admin";
import { recordAdminAction } from "../../platform/audit";
import { emit } from "../../platform/events/service";
import { notify } from "../../platform/notifications/service";
import { ownTrader } from "../traders/service";
import type {
  ModerationInput,
  ModerationQueueQuery,
  RequisiteCreate,
  RequisitePatch,
  TraderRequisitesQuery,
} from "./schemas";

type RequisiteRow = typeof gatewayRequisites.$inferSelect;

/** The requisite with today's (UTC) use of its daily limits: counters of another day count as zero. */
export function serializeRequisite(r: RequisiteRow, now: number) {
  const today = r.usageDay === Math.floor(now / DAY);
  return {
    id: r.id,
    trader_id: r.traderId,
    payment_method: r.paymentMethod,
    bank: r.bank,
    details: r.details,
    owner_name: r.ownerName,
    pay_in: r.payIn,
    pay_out: r.payOut,
    currency: r.currency,
    min_amount: r.minAmount,
    max_amount: r.maxAmount,
    daily_limit: r.dailyLimit,
    daily_count_limit: r.dailyCountLimit,
    status: r.status,
    used_today: { amount: today ? r.usedAmount : 0, count: today ? r.usedCount : 0 },
    last_used_at: isoOrNull(r.lastUsedAt),
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
  };
}

const FIELDS = {
  paymentMethod: "payment_method",
  bank: "bank",
  details: "details",
  ownerName: "owner_name",
  payIn: "pay_in",
  payOut: "pay_out",
  minAmount: "min_amount",
  maxAmount: "max_amount",
  dailyLimit: "daily_limit",
  dailyCountLimit: "daily_count_limit",
  currency: "currency",
} as const satisfies Partial<Record<keyof RequisiteRow, string>>;
type Field = keyof typeof FIELDS;

/** Changing where the money goes needs staff to look again; limits and direction flags do not. */
const REMODERATED: readonly Field[] = ["paymentMethod", "bank", "details", "ownerName", "currency"];

/** A trader's own requisite; another trader's is not found. */
function loadOwnRequisite(db: Queryable, id: number, traderId: number): RequisiteRow {
  const r = db
    .select()
    .from(gatewayRequisites)
    .where(and(eq(gatewayRequisites.id, id), eq(gatewayRequisites.traderId, traderId)))
    .get();
  if (!r) throw notFound("requisite");
  return r;
}

/** A new requisite of the caller, pending until staff approve it. */
export function createRequisite(ctx: AppContext, userId: number, b: RequisiteCreate) {
  return write(ctx, (tx, now) => {
    const trader = ownTrader(tx, userId);
    const r = tx
      .insert(gatewayRequisites)
      .values({
        traderId: trader.id,
        paymentMethod: b.payment_method,
        bank: b.bank,
        details: b.details,
        ownerName: b.owner_name,
        payIn: b.pay_in,
        payOut: b.pay_out,
        currency: b.currency,
        minAmount: b.min_amount,
        maxAmount: b.max_amount,
        dailyLimit: b.daily_limit,
        dailyCountLimit: b.daily_count_limit,
        status: "pending",
        // Selection walks requisites in their trader's priority order.
        traderPriority: trader.priority,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    emit(tx, now, {
      type: "gateway.requisite.created",
      actorId: userId,
      subjectType: "gateway_requisite",
      subjectId: r.id,
      payload: { trader_id: trader.id, payment_method: r.paymentMethod, bank: r.bank, currency: r.currency },
    });
    return serializeRequisite(r, now);
  });
}

export function listOwnRequisites(ctx: AppContext, userId: number, q: TraderRequisitesQuery) {
  const trader = ownTrader(ctx.db, userId);
  const conds: SQL[] = [eq(gatewayRequisites.traderId, trader.id)];
  if (q.status) conds.push(eq(gatewayRequisites.status, q.status));
  const { total, rows } = pageOf(ctx.db, gatewayRequisites, and(...conds), q, desc(gatewayRequisites.id));
  const now = ctx.clock.now();
  return { total, results: rows.map((r) => serializeRequisite(r, now)) };
}

export function ownRequisite(ctx: AppContext, userId: number, id: number) {
  const trader = ownTrader(ctx.db, userId);
  return serializeRequisite(loadOwnRequisite(ctx.db, id, trader.id), ctx.clock.now());
}

/**
 * The trader changes a requisite. A change of where the money goes (method, bank, details, owner,
 * currency) sends an approved requisite back to `pending`; a blocked one stays blocked.
 */
export function updateOwnRequisite(ctx: AppContext, userId: number, id: number, b: RequisitePatch) {
  return write(ctx, (tx, now) => {
    const trader = ownTrader(tx, userId);
    const before = loadOwnRequisite(tx, id, trader.id);
    const set: Partial<Pick<RequisiteRow, Field>> = {
      paymentMethod: b.payment_method,
      bank: b.bank,
      details: b.details,
      ownerName: b.owner_name,
      payIn: b.pay_in,
      payOut: b.pay_out,
      minAmount: b.min_amount,
      maxAmount: b.max_amount,
      dailyLimit: b.daily_limit,
      dailyCountLimit: b.daily_count_limit,
      currency: b.currency,
    };
    const keys = (Object.keys(set) as Field[]).filter((k) => set[k] !== undefined && set[k] !== before[k]);
    const min = set.minAmount ?? before.minAmount;
    const max = set.maxAmount ?? before.maxAmount;
    if (min > max) {
      throw validation(
        b.max_amount !== undefined ? "json.max_amount" : "json.min_amount",
        "min_amount must not exceed max_amount",
      );
    }
    if (keys.length === 0) return serializeRequisite(before, now);
    const remoderate = before.status === "approved" && keys.some((k) => REMODERATED.includes(k));
    const after = tx
      .update(gatewayRequisites)
      .set({
        ...Object.fromEntries(keys.map((k) => [k, set[k]])),
        ...(remoderate ? { status: "pending" as const } : {}),
        updatedAt: now,
      })
      .where(eq(gatewayRequisites.id, id))
      .returning()
      .get();
    const changes = Object.fromEntries(keys.map((k) => [FIELDS[k], { from: before[k], to: after[k] }]));
    if (remoderate) changes.status = { from: before.status, to: after.status };
    emit(tx, now, {
      type: "gateway.requisite.updated",
      actorId: userId,
      subjectType: "gateway_requisite",
      subjectId: id,
      payload: { trader_id: trader.id, changes },
    });
    return serializeRequisite(after, now);
  });
}

/** Staff's list: `status=pending` is the moderation queue, oldest first. */
export function listRequisitesForStaff(ctx: AppContext, q: ModerationQueueQuery) {
  const conds: SQL[] = [];
  if (q.status) conds.push(eq(gatewayRequisites.status, q.status));
  if (q.trader_id !== undefined) conds.push(eq(gatewayRequisites.traderId, q.trader_id));
  const { total, rows } = pageOf(ctx.db, gatewayRequisites, and(...conds), q, asc(gatewayRequisites.id));
  const now = ctx.clock.now();
  const traders = tradersOf(ctx.db, [...new Set(rows.map((r) => r.traderId))]);
  return {
    total,
    results: rows.map((r) => ({ ...serializeRequisite(r, now), trader: traders.get(r.traderId)! })),
  };
}

/** Who the moderator is judging: each trader of a page once, with their username. */
function tradersOf(db: Queryable, ids: number[]) {
  const rows = !ids.length
    ? []
    : db
        .select({
          id: gatewayTraders.id,
          user_id: gatewayTraders.userId,
          username: users.username,
          teamlead_id: gatewayTraders.teamleadId,
        })
        .from(gatewayTraders)
        .innerJoin(users, eq(users.id, gatewayTraders.userId))
        .where(inArray(gatewayTraders.id, ids))
        .all();
  return new Map(rows.map((t) => [t.id, t]));
}

/** Staff approve or block a requisite, audited; the trader is told, with the reason when given. */
export function moderateRequisite(ctx: AppContext, actor: AdminActor, id: number, b: ModerationInput) {
  return write(ctx, (tx, now) => {
    const before = tx.select().from(gatewayRequisites).where(eq(gatewayRequisites.id, id)).get();
    if (!before) throw notFound("requisite");
    const after = tx
      .update(gatewayRequisites)
      .set({ status: b.status, updatedAt: now })
      .where(eq(gatewayRequisites.id, id))
      .returning()
      .get();
    const changed = before.status !== after.status;
    recordAdminAction(tx, now, actor, {
      action: "gateway.requisite.moderated",
      targetType: "gateway_requisite",
      targetId: id,
      details: {
        trader_id: before.traderId,
        from: before.status,
        to: after.status,
        reason: b.reason ?? null,
      },
      changed,
    });
    if (changed) {
      const trader = tx
        .select({ userId: gatewayTraders.userId })
        .from(gatewayTraders)
        .where(eq(gatewayTraders.id, before.traderId))
        .get()!;
      const what = `${after.bank} ${after.paymentMethod} ending ${after.details.slice(-4)}`;
      notify(ctx, tx, {
        userId: trader.userId,
        type: "system",
        title: after.status === "approved" ? "Requisite approved" : "Requisite blocked",
        message:
          after.status === "approved"
            ? `Your requisite ${what} was approved and can receive orders.`
            : `Your requisite ${what} was blocked${b.reason ? `: ${b.reason}` : "."}`,
        data: { requisite_id: id, status: after.status, reason: b.reason ?? null },
      });
    }
    return serializeRequisite(after, now);
  });
}
