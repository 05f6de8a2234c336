import { addDays, dateOf, isDate } from "../modules/analytics/daily/dates";
import { computeDailyMetricsRange, type DaySummary } from "../modules/analytics/daily/service";
import { minorToDecimal } from "../providers/yookassa";
import { cliEnv, defineCommand, FROM_SOURCE, UsageError } from "./command";
import { databaseLabel, openContext } from "./context";

const NAME = "compute-daily-metrics";

/**
 * The dates asked for: `--date D`, or `--from A --to B`, or nothing for yesterday (what the nightly
 * schedule computes). Dates are UTC days; today may be computed (a partial day, replaced by the
 * nightly run), a later day may not.
 */
export function cliDates(v: { date?: string; from?: string; to?: string }, today: string) {
  const bad = (m: string) => new UsageError(m, NAME);
  for (const [name, value] of Object.entries(v)) {
    if (value !== undefined && !isDate(value)) throw bad(`--${name} must be a date as YYYY-MM-DD`);
  }
  if (v.date !== undefined && (v.from !== undefined || v.to !== undefined))
    throw bad("give either --date or --from and --to");
  if ((v.from === undefined) !== (v.to === undefined)) throw bad("--from and --to go together");
  const from = v.date ?? v.from ?? addDays(today, -1);
  const to = v.date ?? v.to ?? from;
  if (from > to) throw bad(`--from ${from} is after --to ${to}`);
  if (to > today) throw bad(`${to} has not happened yet (today is ${today}, UTC)`);
  return { from, to };
}

const money = (minor: number, currency: string) =>
  `${minor < 0 ? "-" : ""}${minorToDecimal(Math.abs(minor), currency)} ${currency}`;

/** One line per day, as it is written. */
export function progressLine(s: DaySummary): string {
  const m = s.metrics;
  const c = m.currency;
  return [
    `${m.date}  users +${m.newUsers}, active ${m.activeUsers}`,
    `orders +${m.ordersCreated} / ${m.ordersCompleted} completed / ${m.ordersCancelled} cancelled`,
    `disputes ${m.disputesOpened}, sla breaches ${m.slaBreaches}`,
    `gmv ${money(m.gmv, c)}, revenue ${money(m.platformRevenue, c)}`,
    `purchases ${m.purchasesCount} (${money(m.purchasesAmount, c)})`,
    `seconds bought ${m.minutesPurchasedSeconds}, used ${m.minutesUsedSeconds}`,
    `rating ${m.avgRating ?? "-"}  (${s.replaced ? "replaced" : "new"}, ${s.duration_ms} ms)`,
  ].join(", ");
}

export const computeDailyMetricsCommand = defineCommand({
  name: NAME,
  usage: "[--date YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD]",
  description: [
    "Computes the daily metrics of UTC days (new users, active users, orders, disputes, GMV, revenue,",
    "purchases, minutes bought and used, rating, SLA breaches) and stores one row per day, replacing",
    "the row of a day computed before. Prints a line per day as it is written. Without options it",
    "computes yesterday, like the nightly schedule (00:05 UTC). Today may be computed (the figures so",
    "far; the nightly run replaces them); later days may not. Each day is its own transaction.",
  ].join("\n"),
  options: {
    date: { type: "string", value: "D", help: "one day" },
    from: { type: "string", value: "D", help: "first day of a range (with --to)" },
    to: { type: "string", value: "D", help: "last day of the range, included" },
  },
  examples: [
    `${FROM_SOURCE} ${NAME} --date=2026-11-21`,
    `${FROM_SOURCE} ${NAME} --from=2026-06-01 --to=2026-11-30`,
  ],
  async run(v) {
    // Checked before the database is opened: wrong usage touches nothing.
    const { from, to } = cliDates(v, dateOf(Date.now()));
    const env = cliEnv();
    const ctx = openContext(env);
    try {
      const started = performance.now();
      const days = computeDailyMetricsRange(ctx, from, to, (s) => console.log(progressLine(s)));
      const ms = Math.round(performance.now() - started);
      const span = from === to ? from : `${from} to ${to}`;
      console.log(
        `computed ${days.length} day${days.length === 1 ? "" : "s"} (${span}) of ${databaseLabel(env)} in ${ms} ms`,
      );
      return 0;
    } finally {
      ctx.sqlite.close();
    }
  },
});
