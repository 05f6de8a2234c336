import { describe, expect, test } from "bun:test";
import { count, desc } from "drizzle-orm";
import { gatewayOrders } from "../../src/db/schema";
import { supportFilters } from "../../src/modules/gateway/orders/support-routes";
import { makeTestApp } from "../helpers/app";

const t = makeTestApp();
const plan = (q: Record<string, unknown>) => {
  const where = supportFilters({ page: 1, page_size: 20, ...q } as Parameters<typeof supportFilters>[0]);
  const list = t.ctx.db
    .select()
    .from(gatewayOrders)
    .where(where)
    .orderBy(desc(gatewayOrders.id))
    .limit(20)
    .toSQL();
  const total = t.ctx.db.select({ n: count() }).from(gatewayOrders).where(where).toSQL();
  const explain = (s: { sql: string; params: unknown[] }) =>
    t.ctx.sqlite
      .query<{ detail: string }, never[]>(`EXPLAIN QUERY PLAN ${s.sql}`)
      .all(...(s.params as never[]))
      .map((r) => r.detail)
      .join(" | ");
  return { list: explain(list), count: explain(total) };
};

// Support's list over a million orders answers each filter from an index (docs/gateway-operations.md).
describe("support's order list: every filter walks an index", () => {
  test.each([
    [{ status: "completed" }, "gateway_orders_status_idx"],
    [{ direction: "payout" }, "gateway_orders_direction_idx"],
    [{ store_id: 3 }, "gateway_orders_store_idx"],
    [{ trader_id: 3 }, "gateway_orders_trader_idx"],
    [{ amount_exact: 150000 }, "gateway_orders_amount_idx"],
    [{ amount_min: 100000, amount_max: 110000 }, "gateway_orders_amount_idx"],
    [{ from: "2026-11-01", to: "2026-11-02" }, "gateway_orders_created_idx"],
    // A status next to a narrower filter stays off the status index.
    [
      { store_id: 3, status: "completed", from: "2026-11-01" },
      /gateway_orders_(store|customer)_idx \(store_id=\?/,
    ],
    [{ trader_id: 3, status: "completed" }, "gateway_orders_trader_idx"],
  ] as [Record<string, unknown>, string | RegExp][])("%j uses %s", (q, index) => {
    const p = plan(q);
    expect(p.count).toMatch(index);
    expect(p.list).toMatch(index);
    expect(p.count).not.toContain("SCAN gateway_orders ");
  });
});
