import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { EXPIRY_BATCH, expireGatewayOrders } from "../../src/modules/gateway/orders/expiry";
import { makeTestApp, type TestApp } from "../helpers/app";
import { startWebhookReceiver } from "../helpers/webhook-receiver";
import {
  audits,
  callbacks,
  eventTypes,
  fundStore,
  gatewayWorld,
  insertOrder,
  ledgerBalanced,
  orderRow,
  requisiteRow,
} from "./lifecycle-helpers";

const receiver = startWebhookReceiver();
afterAll(() => receiver.stop());

let t: TestApp;
let w: Awaited<ReturnType<typeof gatewayWorld>>;
const DEPOSIT = 10_000_000_000;

beforeEach(async () => {
  t = makeTestApp();
  w = await gatewayWorld(t, { callbackUrl: `${receiver.url}/cb`, deposit: DEPOSIT });
});

describe("expireGatewayOrders", () => {
  test("past-deadline pay-ins and pay-outs expire; holds and daily shares return exactly", async () => {
    fundStore(w.f, w.store.id, 100_000_000);
    const payoutReq = w.f.requisite(w.trader.id, { payIn: false, payOut: true });
    const payin = insertOrder(t, {
      store: w.store,
      status: "assigned",
      trader: w.trader,
      requisite: w.requisite,
    });
    const confirmed = insertOrder(t, {
      store: w.store,
      status: "customer_confirmed",
      trader: w.trader,
      requisite: w.requisite,
      expiresAt: t.clock.now() + 1_800_000,
    });
    const payout = insertOrder(t, {
      store: w.store,
      direction: "payout",
      status: "assigned",
      trader: w.trader,
      requisite: payoutReq,
      expiresAt: t.clock.now() + 3_600_000,
    });
    const before = w.f.balances({ storeId: w.store.id, traderId: w.trader.id });
    expect(before).toMatchObject({ traderHeld: 20_000_000, storeHeld: 10_300_000 });

    t.clock.advance(899_999);
    expect(expireGatewayOrders(t.ctx)).toEqual({ expired: 0 });
    t.clock.advance(1);
    // The deadline itself is past it.
    expect(expireGatewayOrders(t.ctx)).toEqual({ expired: 1 });
    expect(orderRow(t, payin.id)).toMatchObject({ status: "expired", statusReason: "payment window passed" });
    expect(orderRow(t, confirmed.id).status).toBe("customer_confirmed");
    expect(w.f.balances({ traderId: w.trader.id }).traderHeld).toBe(10_000_000);
    expect(requisiteRow(t, w.requisite.id)).toMatchObject({ usedAmount: 95_500, usedCount: 1 });
    expect(eventTypes(t, payin.id)).toEqual(["gateway.order.expired"]);
    expect(audits(t, payin.id)[0]).toMatchObject({ action: "gateway.order.expired", actor_id: null });
    expect(callbacks(t, payin.id).map((c) => c.type)).toEqual(["gateway.order.expired"]);

    t.clock.advance(3_600_000);
    expect(expireGatewayOrders(t.ctx)).toEqual({ expired: 2 });
    expect(orderRow(t, confirmed.id).status).toBe("expired");
    expect(orderRow(t, payout.id).status).toBe("expired");
    expect(w.f.balances({ storeId: w.store.id, traderId: w.trader.id })).toEqual({
      storeAvailable: 100_000_000,
      storeHeld: 0,
      traderAvailable: DEPOSIT,
      traderHeld: 0,
      platform: 0,
    });
    expect(requisiteRow(t, w.requisite.id)).toMatchObject({ usedAmount: 0, usedCount: 0 });
    expect(requisiteRow(t, payoutReq.id)).toMatchObject({ usedAmount: 0, usedCount: 0 });
    expect(ledgerBalanced(w.f)).toBe(true);
    // Nothing left to do; a second run moves nothing twice.
    expect(expireGatewayOrders(t.ctx)).toEqual({ expired: 0 });
  });

  test("orders in other statuses are left alone, whatever their expires_at", async () => {
    const done = insertOrder(t, {
      store: w.store,
      status: "completed",
      trader: w.trader,
      requisite: w.requisite,
      expiresAt: t.clock.now(),
    });
    const retrying = insertOrder(t, { store: w.store, status: "retrying", expiresAt: t.clock.now() });
    t.clock.advance(3_600_000);
    expect(expireGatewayOrders(t.ctx)).toEqual({ expired: 0 });
    expect(orderRow(t, done.id).status).toBe("completed");
    expect(orderRow(t, retrying.id).status).toBe("retrying");
  });

  test("yesterday's share is not returned into today's counters", async () => {
    const o = insertOrder(t, {
      store: w.store,
      status: "assigned",
      trader: w.trader,
      requisite: w.requisite,
    });
    t.clock.advance(86_400_000);
    // Today the requisite took another order; its counters are today's now.
    insertOrder(t, { store: w.store, status: "assigned", trader: w.trader, requisite: w.requisite });
    expect(expireGatewayOrders(t.ctx)).toEqual({ expired: 1 });
    expect(orderRow(t, o.id).status).toBe("expired");
    expect(requisiteRow(t, w.requisite.id)).toMatchObject({ usedAmount: 95_500, usedCount: 1 });
    expect(ledgerBalanced(w.f)).toBe(true);
  });

  test("a backlog larger than a batch expires in several transactions, all of it", async () => {
    const n = EXPIRY_BATCH * 2 + 17;
    for (let i = 0; i < n; i++) {
      insertOrder(t, { store: w.store, status: "assigned", trader: w.trader, requisite: w.requisite });
    }
    expect(w.f.balances({ traderId: w.trader.id }).traderHeld).toBe(n * 10_000_000);
    t.clock.advance(900_000);
    let txs = 0;
    const db = t.ctx.db;
    const original = db.transaction.bind(db);
    db.transaction = ((fn: never, cfg: never) => {
      txs++;
      return original(fn, cfg);
    }) as typeof db.transaction;
    try {
      expect(expireGatewayOrders(t.ctx)).toEqual({ expired: n });
    } finally {
      db.transaction = original;
    }
    expect(txs).toBe(3);
    expect(w.f.balances({ traderId: w.trader.id })).toMatchObject({
      traderHeld: 0,
      traderAvailable: DEPOSIT,
    });
    expect(requisiteRow(t, w.requisite.id)).toMatchObject({ usedAmount: 0, usedCount: 0 });
    expect(ledgerBalanced(w.f)).toBe(true);
  });

  test("one order that cannot expire does not hold back the others", async () => {
    const a = insertOrder(t, {
      store: w.store,
      status: "assigned",
      trader: w.trader,
      requisite: w.requisite,
    });
    const b = insertOrder(t, {
      store: w.store,
      status: "assigned",
      trader: w.trader,
      requisite: w.requisite,
    });
    // Its hold is gone already (a broken row): releasing it again must fail alone.
    t.ctx.sqlite
      .query("UPDATE gateway_orders SET amount_crypto = amount_crypto * 1000 WHERE id = ?")
      .run(a.id);
    t.clock.advance(900_000);
    expect(expireGatewayOrders(t.ctx)).toEqual({ expired: 1 });
    expect(orderRow(t, a.id).status).toBe("assigned");
    expect(orderRow(t, b.id).status).toBe("expired");
    expect(eventTypes(t, a.id)).toEqual([]);
    expect(ledgerBalanced(w.f)).toBe(true);
  });

  test("the sweep reads gateway_orders_expiry_idx", () => {
    const plan = t.ctx.sqlite
      .query(
        `EXPLAIN QUERY PLAN SELECT id, expires_at FROM gateway_orders INDEXED BY gateway_orders_expiry_idx
         WHERE status IN ('assigned', 'customer_confirmed') AND expires_at <= 1
           AND (expires_at > 0 OR (expires_at = 0 AND id > 0)) ORDER BY expires_at, id LIMIT 200`,
      )
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(" ")).toContain("gateway_orders_expiry_idx");
    expect(plan.map((p) => p.detail).join(" ")).not.toContain("TEMP B-TREE");
  });
});
