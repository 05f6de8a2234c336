import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { migrate } from "../../src/db/migrate";
import { DAY_QUERIES } from "../../src/modules/analytics/daily/queries";
import { probeSql, ROWID_TABLES } from "../../src/modules/analytics/daily/rowid-range";

/**
 * Every query of a day reads a range of an index (or of the rowid), never a whole table: the
 * plans docs/daily-metrics.md lists, pinned here so a schema or query change cannot lose them.
 */

const db = new Database(":memory:");
migrate(db);

const plan = (sql: string, params: unknown) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params as never) as { detail: string }[]).map((r) => r.detail);

const PARAMS = {
  $start: 0,
  $end: 1,
  $currency: "RUB",
  $events_from: 1,
  $events_to: 2,
  $usage_from: 1,
  $usage_to: 2,
};

const EXPECTED: Record<keyof typeof DAY_QUERIES, string[]> = {
  newUsers: ["SEARCH users USING COVERING INDEX users_created_idx (created_at>? AND created_at<?)"],
  ordersCreated: ["SEARCH orders USING COVERING INDEX orders_created_idx (created_at>? AND created_at<?)"],
  ordersCompleted: [
    "SEARCH orders USING COVERING INDEX orders_completed_idx (completed_at>? AND completed_at<?)",
  ],
  ordersCancelled: [
    "SEARCH orders USING COVERING INDEX orders_cancelled_idx (cancelled_at>? AND cancelled_at<?)",
  ],
  slaBreaches: [
    "SEARCH orders USING COVERING INDEX orders_sla_breached_idx (sla_breached_at>? AND sla_breached_at<?)",
  ],
  disputesOpened: ["SEARCH events USING INDEX events_type_idx (type=? AND id>? AND id<?)"],
  activeUsers: [
    "USE TEMP B-TREE FOR count(DISTINCT)",
    "SEARCH events USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
  ],
  platformRevenue: [
    "SEARCH a USING COVERING INDEX ledger_accounts_owner_uq (owner_type=? AND owner_id=? AND kind=? AND currency=?)",
    "CORRELATED SCALAR SUBQUERY 1",
    "SEARCH ledger_transfers USING COVERING INDEX ledger_transfers_credit_created_idx (credit_account_id=? AND created_at>? AND created_at<?)",
    "CORRELATED SCALAR SUBQUERY 2",
    "SEARCH ledger_transfers USING COVERING INDEX ledger_transfers_debit_created_idx (debit_account_id=? AND created_at>? AND created_at<?)",
  ],
  purchases: ["SEARCH purchases USING INDEX purchases_paid_idx (paid_at>? AND paid_at<?)"],
  minutesPurchased: ["SEARCH grants USING INDEX grants_created_idx (created_at>? AND created_at<?)"],
  minutesUsed: ["SEARCH usage_events USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"],
  avgRating: ["SEARCH reviews USING INDEX reviews_created_idx (created_at>? AND created_at<?)"],
  gatewayCreated: [
    "SEARCH gateway_orders USING COVERING INDEX gateway_orders_created_idx (created_at>? AND created_at<?)",
  ],
  gatewayCompleted: [
    "SEARCH gateway_orders USING COVERING INDEX gateway_orders_completed_idx (completed_at>? AND completed_at<?)",
  ],
};

describe("query plans of a day", () => {
  test.each(Object.keys(DAY_QUERIES) as (keyof typeof DAY_QUERIES)[])("%s reads an index range", (name) => {
    expect(plan(DAY_QUERIES[name], PARAMS)).toEqual(EXPECTED[name]);
  });

  test.each([...ROWID_TABLES])("the id-range probes of %s are single seeks", (table) => {
    const q = probeSql(table);
    expect(plan(q.first, [])).toEqual([`SEARCH ${table}`]);
    expect(plan(q.last, [])).toEqual([`SEARCH ${table}`]);
    expect(plan(q.atOrAfter, [1])).toEqual([`SEARCH ${table} USING INTEGER PRIMARY KEY (rowid>?)`]);
  });
});
