import type { Database } from "bun:sqlite";
import { and, asc, eq, gte, lte } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable } from "../../../db/client";
import { sqliteOf } from "../../../db/prepared";
import { dailyMetrics } from "../../../db/schema";
import { write } from "../../../db/write";
import { iso } from "../../../lib/time";
import { DEFAULT_CURRENCY } from "../../billing/balance";
import { USDT } from "../../gateway/money";
import { emit } from "../../platform/events/service";
import { dateOf, datesFrom, dayBounds } from "./dates";
import { dayStatements } from "./queries";
import { idRange } from "./rowid-range";

export type DailyMetricsRow = typeof dailyMetrics.$inferSelect;

/**
 * The currency of the money columns: the platform's default (DESIGN.md §3, RUB). Amounts in other
 * currencies are left out of gmv, platform_revenue and purchases_amount (never converted); counts
 * include them, and a computation reports how many it left out.
 */
export const metricsCurrency = () => DEFAULT_CURRENCY;

/** What one computation did, beyond the row it wrote. */
export type DaySummary = {
  metrics: DailyMetricsRow;
  /** A row for the date existed and was replaced. */
  replaced: boolean;
  /** Completed orders and package purchases of the day in other currencies (counted, not summed). */
  other_currency: { orders_completed: number; purchases: number };
  duration_ms: number;
};

/** Ratings are shown with 2 decimals, like the scores. */
const round2 = (x: number) => Math.round(x * 100) / 100;

type DayFigures = {
  row: Omit<DailyMetricsRow, "computedAt">;
  other: DaySummary["other_currency"];
};

/** The figures of one date, read on one connection (DAY_QUERIES, docs/daily-metrics.md). */
function readDay(db: Database, date: string): DayFigures {
  const { start, end } = dayBounds(date);
  const currency = metricsCurrency();
  const events = idRange(db, "events", start, end);
  const usage = idRange(db, "usage_events", start, end);
  const p = {
    $start: start,
    $end: end,
    $currency: currency,
    $events_from: events.from,
    $events_to: events.to,
    $usage_from: usage.from,
    $usage_to: usage.to,
  };
  const q = dayStatements(db);
  // Plain counts and sums; a missing revenue account (nothing ever reached it) reads as 0.
  const n = (
    name: Exclude<keyof typeof q, "ordersCompleted" | "purchases" | "avgRating" | "gatewayCompleted">,
  ) => q[name].get(p)?.n ?? 0;
  const gateway = q.gatewayCompleted.get(p)!;
  const completed = q.ordersCompleted.get(p)!;
  const purchases = q.purchases.get(p)!;
  const avg = q.avgRating.get(p)!.avg;
  return {
    row: {
      date,
      currency,
      newUsers: n("newUsers"),
      activeUsers: n("activeUsers"),
      ordersCreated: n("ordersCreated"),
      ordersCompleted: completed.n,
      ordersCancelled: n("ordersCancelled"),
      disputesOpened: n("disputesOpened"),
      gmv: completed.gmv,
      platformRevenue: n("platformRevenue"),
      purchasesCount: purchases.n,
      purchasesAmount: purchases.amount,
      minutesPurchasedSeconds: n("minutesPurchased"),
      minutesUsedSeconds: n("minutesUsed"),
      avgRating: avg == null ? null : round2(avg),
      slaBreaches: n("slaBreaches"),
      gatewayOrdersCreated: n("gatewayCreated"),
      gatewayOrdersCompleted: gateway.n,
      gatewayVolumeUsdt: gateway.volume,
      // The same revenue query on the gateway's USDT revenue account.
      gatewayRevenueUsdt: q.platformRevenue.get({ ...p, $currency: USDT })?.n ?? 0,
    },
    other: { orders_completed: completed.other, purchases: purchases.other },
  };
}

/**
 * Computes the figures of one UTC date and writes its `daily_metrics` row, replacing any earlier
 * one, in one transaction with its `metrics.daily_computed` event. A date after today is refused:
 * its row would claim a day that has not happened. A day without activity is a row of zeros
 * (avg_rating null).
 *
 * The figures are read in a read transaction (one snapshot of every table) and written in a short
 * write transaction after it: under WAL a reader never blocks the writer, so a backfill run by the
 * CLI beside the server holds the server's writes up for the upsert only, not for the reads.
 */
export function computeDailyMetrics(ctx: AppContext, date: string): DaySummary {
  const { start } = dayBounds(date);
  const today = ctx.clock.now();
  if (start > today) throw new Error(`${date} has not started yet (today is ${dateOf(today)})`);
  const started = performance.now();
  const day = ctx.db.transaction((tx) => readDay(sqliteOf(tx), date), { behavior: "deferred" });
  return write(ctx, (tx, now) => {
    const row: DailyMetricsRow = { ...day.row, computedAt: now };
    const replaced =
      tx.select({ date: dailyMetrics.date }).from(dailyMetrics).where(eq(dailyMetrics.date, date)).get() !==
      undefined;
    const { date: _key, ...rest } = row;
    tx.insert(dailyMetrics).values(row).onConflictDoUpdate({ target: dailyMetrics.date, set: rest }).run();
    emit(tx, now, {
      type: "metrics.daily_computed",
      subjectType: "daily_metrics",
      subjectId: date,
      payload: { date, currency: row.currency, replaced },
    });
    return {
      metrics: row,
      replaced,
      other_currency: day.other,
      duration_ms: Math.round(performance.now() - started),
    };
  });
}

/**
 * Every date from `from` to `to` (oldest first), each day on its own (a read, then a short write),
 * so a long backfill never holds the write lock for long. `onDay` sees each day as it is written.
 */
export function computeDailyMetricsRange(
  ctx: AppContext,
  from: string,
  to: string,
  onDay?: (s: DaySummary) => void,
): DaySummary[] {
  return datesFrom(from, to).map((date) => {
    const s = computeDailyMetrics(ctx, date);
    onDay?.(s);
    return s;
  });
}

/** Stored rows from `from` to `to`, oldest first (days never computed are absent). */
export const listDailyMetrics = (db: Queryable, from: string, to: string): DailyMetricsRow[] =>
  db
    .select()
    .from(dailyMetrics)
    .where(and(gte(dailyMetrics.date, from), lte(dailyMetrics.date, to)))
    .orderBy(asc(dailyMetrics.date))
    .all();

/** The API shape: snake_case, money in minor units, computed_at as an ISO instant. */
export const serializeDailyMetrics = (r: DailyMetricsRow) => ({
  date: r.date,
  currency: r.currency,
  new_users: r.newUsers,
  active_users: r.activeUsers,
  orders_created: r.ordersCreated,
  orders_completed: r.ordersCompleted,
  orders_cancelled: r.ordersCancelled,
  disputes_opened: r.disputesOpened,
  gmv: r.gmv,
  platform_revenue: r.platformRevenue,
  purchases_count: r.purchasesCount,
  purchases_amount: r.purchasesAmount,
  minutes_purchased_seconds: r.minutesPurchasedSeconds,
  minutes_used_seconds: r.minutesUsedSeconds,
  avg_rating: r.avgRating,
  sla_breaches: r.slaBreaches,
  gateway_orders_created: r.gatewayOrdersCreated,
  gateway_orders_completed: r.gatewayOrdersCompleted,
  gateway_volume_usdt: r.gatewayVolumeUsdt,
  gateway_revenue_usdt: r.gatewayRevenueUsdt,
  computed_at: iso(r.computedAt),
});
export type DailyMetricsJson = ReturnType<typeof serializeDailyMetrics>;
