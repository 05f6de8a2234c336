import { createRoute } from "@hono/zod-openapi";
import { csvResponse, jsonOrCsv } from "../../../http/csv";
import { validation } from "../../../lib/errors";
import { createRouter, errors, secured } from "../../../lib/openapi";
import { addDays, dateOf, daysBetween } from "./dates";
import { DAILY_METRICS_PERMISSION } from "./permissions";
import { DailyMetricsList, DailyMetricsQuery, DEFAULT_RANGE_DAYS, MAX_RANGE_DAYS } from "./schemas";
import { listDailyMetrics, serializeDailyMetrics } from "./service";

/**
 * An open end of the range: 30 days ending yesterday (the last finished day), or 30 days from
 * `from`, or 30 days up to `to`. Both given: as asked, at most MAX_RANGE_DAYS.
 */
function rangeOf(q: { from?: string; to?: string }, now: number) {
  const span = DEFAULT_RANGE_DAYS - 1;
  const to = q.to ?? (q.from ? addDays(q.from, span) : addDays(dateOf(now), -1));
  const from = q.from ?? addDays(to, -span);
  if (from > to) throw validation("query.from", `must not be after to (${to})`);
  if (daysBetween(from, to) > MAX_RANGE_DAYS)
    throw validation("query.to", `a range spans at most ${MAX_RANGE_DAYS} days`);
  return { from, to };
}

/** Staff reading the platform's daily figures. */
export const dailyMetricsRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/admin/metrics/daily",
    tags: ["analytics"],
    summary: "Daily metrics, one row per UTC day, oldest first (JSON, or CSV with ?format=csv)",
    ...secured(DAILY_METRICS_PERMISSION),
    description: [
      `Requires permission \`${DAILY_METRICS_PERMISSION}\` (admins hold it).`,
      "",
      "Each day is computed shortly after it ends (00:05 UTC), so the latest row is usually yesterday's;",
      "days never computed are absent from the results (`souk compute-daily-metrics` fills history).",
      `Without \`from\` and \`to\` the last ${DEFAULT_RANGE_DAYS} days up to yesterday are returned; a range`,
      `spans at most ${MAX_RANGE_DAYS} days. Money columns are minor units of \`currency\`.`,
    ].join("\n"),
    request: { query: DailyMetricsQuery },
    responses: { 200: jsonOrCsv(DailyMetricsList), ...errors(401, 403) },
  }),
  (c) => {
    const ctx = c.get("ctx");
    const q = c.req.valid("query");
    const { from, to } = rangeOf(q, ctx.clock.now());
    const results = listDailyMetrics(ctx.db, from, to).map(serializeDailyMetrics);
    if (q.format === "csv") {
      const header = Object.keys(DailyMetricsList.shape.results.element.shape);
      const rows = results.map((r) => header.map((k) => r[k as keyof typeof r]));
      return csvResponse(c, `daily-metrics-${from}-${to}.csv`, header, rows);
    }
    return c.json({ results }, 200);
  },
);
