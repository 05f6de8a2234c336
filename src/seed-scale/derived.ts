import type { AppContext } from "../context";
import { DAY } from "../lib/time";
import { addDays, dateOf } from "../modules/analytics/daily/dates";
import { computeDailyMetrics } from "../modules/analytics/daily/service";
import { recomputeScores } from "../modules/scoring/recompute";

export type DerivedStep = { label: string; done: number; total: number };

/** The dates whose daily metrics the history fills: the days before the one it ends in. */
export function historyDates(from: number, to: number): { first: string; last: string; days: number } {
  const last = addDays(dateOf(to), -1);
  const first = dateOf(from);
  return { first, last, days: Math.round((Date.parse(last) - Date.parse(first)) / DAY) + 1 };
}

/** Users per scores transaction: nothing else writes while the seed runs, so batches can be large. */
const SCORE_BATCH = 10_000;

/**
 * Rebuilds what is derived from the history, as the live upkeep and the nightly schedules would
 * have: every client's risk and expert's score, and the daily metrics row of every day.
 */
export function rebuildDerived(
  ctx: AppContext,
  history: { from: number; to: number },
  onStep?: (s: DerivedStep) => void,
) {
  const scores = recomputeScores(ctx, {
    batch: SCORE_BATCH,
    onProgress: (p) => onStep?.({ label: "scores", done: p.done, total: p.total }),
  });
  const { first, days } = historyDates(history.from, history.to);
  for (let i = 0; i < days; i++) {
    computeDailyMetrics(ctx, addDays(first, i));
    onStep?.({ label: "daily metrics", done: i + 1, total: days });
  }
  return { clients: scores.clients, experts: scores.experts, metricsDays: days };
}
