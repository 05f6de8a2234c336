import { lt, max } from "drizzle-orm";
import type { AppContext } from "../../../context";
import { dailyMetrics } from "../../../db/schema";
import type { Schedule } from "../../platform/jobs/cron";
import { addDays, dateOf, dayBounds } from "./dates";
import { computeDailyMetricsRange, type DaySummary, serializeDailyMetrics } from "./service";

/** How far back the nightly run fills days it missed (the process was down at 00:05). */
export const CATCH_UP_DAYS = 7;

/**
 * Yesterday (UTC), recomputed even if a row exists (it may have been taken while the day was still
 * running), plus the days since the last stored day before it, at most CATCH_UP_DAYS in all. A
 * database with no rows yet gets yesterday only: older history is the CLI's job.
 */
export function nightlyDates(ctx: AppContext): { from: string; to: string } {
  const yesterday = addDays(dateOf(ctx.clock.now()), -1);
  const last = ctx.db
    .select({ d: max(dailyMetrics.date) })
    .from(dailyMetrics)
    .where(lt(dailyMetrics.date, yesterday))
    .get()?.d;
  const earliest = addDays(yesterday, -(CATCH_UP_DAYS - 1));
  if (last == null) return { from: yesterday, to: yesterday };
  const from = Math.max(dayBounds(addDays(last, 1)).start, dayBounds(earliest).start);
  return { from: dateOf(from), to: yesterday };
}

/** What run-action and the logs show: each day's figures and what the run left out. */
const summaryOf = (s: DaySummary) => ({
  ...serializeDailyMetrics(s.metrics),
  replaced: s.replaced,
  other_currency: s.other_currency,
  duration_ms: s.duration_ms,
});

export function runNightlyDailyMetrics(ctx: AppContext) {
  const { from, to } = nightlyDates(ctx);
  const days = computeDailyMetricsRange(ctx, from, to).map(summaryOf);
  return { from, to, days };
}

export const DAILY_METRICS_SCHEDULES: Schedule[] = [
  {
    name: "compute-daily-metrics",
    pattern: "5 0 * * *",
    description: `Compute yesterday's daily metrics (UTC), filling days missed since the last run (up to ${CATCH_UP_DAYS} days in all)`,
    run: runNightlyDailyMetrics,
  },
];
