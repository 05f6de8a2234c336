import type { Database } from "bun:sqlite";
import { onePer, prepare } from "../../../db/prepared";

/**
 * The queries of one day, each a range on an index (docs/daily-metrics.md lists their plans).
 * Parameters: $start and $end of the day (epoch ms, end excluded), $currency (the metrics currency),
 * and the day's id ranges [from, to) of `events` and `usage_events` (rowid-range.ts).
 */
export const DAY_QUERIES = {
  newUsers: "SELECT count(*) AS n FROM users WHERE created_at >= $start AND created_at < $end",
  ordersCreated: "SELECT count(*) AS n FROM orders WHERE created_at >= $start AND created_at < $end",
  // Counts take every currency; money only the metrics currency (`other` says how many were left out).
  ordersCompleted: `SELECT count(*) AS n, COALESCE(SUM(CASE WHEN currency = $currency THEN price END), 0) AS gmv,
      COALESCE(SUM(currency <> $currency), 0) AS other
    FROM orders WHERE completed_at >= $start AND completed_at < $end`,
  ordersCancelled: "SELECT count(*) AS n FROM orders WHERE cancelled_at >= $start AND cancelled_at < $end",
  slaBreaches: "SELECT count(*) AS n FROM orders WHERE sla_breached_at >= $start AND sla_breached_at < $end",
  // A dispute has no timestamp column of its own: its event (by a party, or a rule) is the record.
  disputesOpened: `SELECT count(*) AS n FROM events
    WHERE type = 'order.dispute' AND id >= $events_from AND id < $events_to AND created_at >= $start AND created_at < $end`,
  activeUsers: `SELECT count(DISTINCT actor_id) AS n FROM events
    WHERE id >= $events_from AND id < $events_to AND created_at >= $start AND created_at < $end`,
  // What reached the revenue account (package sales, commissions) minus what left it (refunds).
  platformRevenue: `SELECT
      (SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers
        WHERE credit_account_id = a.id AND created_at >= $start AND created_at < $end)
      - (SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers
        WHERE debit_account_id = a.id AND created_at >= $start AND created_at < $end) AS n
    FROM ledger_accounts a
    WHERE a.owner_type = 'platform' AND a.owner_id = 'platform' AND a.kind = 'revenue' AND a.currency = $currency`,
  // Package sales by the day they were paid, whatever became of them later (a refund is a later event).
  purchases: `SELECT count(*) AS n, COALESCE(SUM(CASE WHEN currency = $currency THEN amount END), 0) AS amount,
      COALESCE(SUM(currency <> $currency), 0) AS other
    FROM purchases WHERE paid_at >= $start AND paid_at < $end AND kind = 'package'`,
  // Seconds bought: grants of purchases (staff grants are gifts, not sales).
  minutesPurchased: `SELECT COALESCE(SUM(total_seconds), 0) AS n FROM grants
    WHERE created_at >= $start AND created_at < $end AND purchase_id IS NOT NULL`,
  // Billed seconds: what was drawn from grants (usage is billed in blocks).
  minutesUsed: `SELECT COALESCE(SUM(billed_seconds), 0) AS n FROM usage_events
    WHERE id >= $usage_from AND id < $usage_to AND created_at >= $start AND created_at < $end`,
  // Clients' ratings of the work they received; experts' ratings of clients feed the risk score.
  avgRating: `SELECT AVG(rating) AS avg FROM reviews
    WHERE created_at >= $start AND created_at < $end AND direction = 'client_to_expert'`,
  // The payment gateway's day: orders created, and those completed with their USDT volume.
  gatewayCreated: "SELECT count(*) AS n FROM gateway_orders WHERE created_at >= $start AND created_at < $end",
  gatewayCompleted: `SELECT count(*) AS n, COALESCE(SUM(amount_crypto), 0) AS volume FROM gateway_orders
    WHERE completed_at >= $start AND completed_at < $end`,
} as const;

export type DayQueryName = keyof typeof DAY_QUERIES;
/** Named parameters: a statement ignores those it does not use. */
export type DayParams = {
  $start: number;
  $end: number;
  $currency: string;
  $events_from: number;
  $events_to: number;
  $usage_from: number;
  $usage_to: number;
};

type Counted = { n: number };
type Rows = {
  ordersCompleted: { n: number; gmv: number; other: number };
  purchases: { n: number; amount: number; other: number };
  avgRating: { avg: number | null };
  gatewayCompleted: { n: number; volume: number };
};
type RowOf<K extends DayQueryName> = K extends keyof Rows ? Rows[K] : Counted;

/** Each query prepared once per connection (a 180-day backfill runs them 180 times). */
export const dayStatements = onePer((db: Database) => {
  const out = {} as { [K in DayQueryName]: ReturnType<typeof prepare<RowOf<K>, [DayParams]>> };
  for (const name of Object.keys(DAY_QUERIES) as DayQueryName[]) {
    (out as Record<string, unknown>)[name] = prepare(db, DAY_QUERIES[name]);
  }
  return out;
});
