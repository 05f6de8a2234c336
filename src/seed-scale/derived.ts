import type { AppContext } from "../context";
import { DAY } from "../lib/time";
import { addDays, dateOf } from "../modules/analytics/daily/dates";
import { computeDailyMetrics } from "../modules/analytics/daily/service";

export type DerivedStep = { label: string; done: number; total: number };

/** The dates whose daily metrics the history fills: the days before the one it ends in. */
export function historyDates(from: number, to: number): { first: string; last: string; days: number } {
  const last = addDays(dateOf(to), -1);
  const first = dateOf(from);
  return { first, last, days: Math.round((Date.parse(last) - Date.parse(first)) / DAY) + 1 };
}

/**
 * Rebuilds what is derived from the history, as the nightly schedules would have: the daily
 * metrics row of every day of it.
 */
export function rebuildDerived(
  ctx: AppContext,
  history: { from: number; to: number },
  onStep?: (s: DerivedStep) => void,
) {
  const { first, days } = historyDates(history.from, history.to);
  for (let i = 0; i < days; i++) {
    computeDailyMetrics(ctx, addDays(first, i));
    onStep?.({ label: "daily metrics", done: i + 1, total: days });
  }
  return { metricsDays: days };
}
