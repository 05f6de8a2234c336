import { expect, test } from "bun:test";
import { computeDailyMetrics, serializeDailyMetrics } from "../../src/modules/analytics/daily/service";
import { assignOrRetry } from "../../src/modules/gateway/orders/assign";
import { settleOrder } from "../../src/modules/gateway/orders/moves";
import { moveOrder } from "../../src/modules/gateway/orders/status";
import { makeTestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";
import { ZERO_DAY } from "./daily-fixtures";

test("a day's gateway figures: orders created, completed with their USDT volume, and the gateway's profit", async () => {
  const t = makeTestApp();
  t.clock.set(Date.parse("2026-11-21T09:00:00.000Z"));
  const f = gatewayFixtures(t);
  f.rate();
  const { store } = await f.store({ payInBps: 300 });
  const tr = await f.trader({ deposit: 1_000_000_000, payInBps: 100 });
  f.requisite(tr.trader.id);
  const completeOne = (amount: number) =>
    t.ctx.db.transaction(
      (tx) => {
        const o = assignOrRetry(t.ctx, tx, f.newOrder(store, { amount }), { id: null });
        settleOrder(t.ctx, tx, o);
        return moveOrder(t.ctx, tx, o, "completed", {
          actor: { id: null },
          set: { completedAt: t.clock.now() },
        });
      },
      { behavior: "immediate" },
    );
  completeOne(955_000); // 100 USDT: store 3 USDT commission, trader 1 USDT: the gateway keeps 2
  completeOne(1_910_000); // 200 USDT: keeps 4
  t.ctx.db.transaction((tx) => assignOrRetry(t.ctx, tx, f.newOrder(store), { id: null }), {
    behavior: "immediate",
  });
  t.clock.set(Date.parse("2026-11-22T00:10:00.000Z"));
  const { metrics } = computeDailyMetrics(t.ctx, "2026-11-21");
  const row = serializeDailyMetrics(metrics);
  expect(row).toMatchObject({
    gateway_orders_created: 3,
    gateway_orders_completed: 2,
    gateway_volume_usdt: 300_000_000,
    gateway_revenue_usdt: 6_000_000,
  });
  // The next day has none of it.
  expect(serializeDailyMetrics(computeDailyMetrics(t.ctx, "2026-11-22").metrics)).toMatchObject({
    gateway_orders_created: ZERO_DAY.gateway_orders_created,
    gateway_revenue_usdt: 0,
  });
});
