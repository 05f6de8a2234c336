import { beforeEach, describe, expect, test } from "bun:test";
import { GATEWAY_RETRY_JOB, retryGatewayOrderJob } from "../../src/modules/gateway/orders/retry";
import { makeTestApp, type TestApp } from "../helpers/app";
import {
  eventTypes,
  fundStore,
  gatewayWorld,
  insertOrder,
  ledgerBalanced,
  orderRow,
  requisiteRow,
} from "./lifecycle-helpers";

let t: TestApp;
let w: Awaited<ReturnType<typeof gatewayWorld>>;
const DEPOSIT = 1_000_000_000;

beforeEach(async () => {
  t = makeTestApp();
  w = await gatewayWorld(t, { deposit: DEPOSIT });
});

const retryJobs = () =>
  t.ctx.sqlite
    .query("SELECT payload, run_at, status FROM jobs WHERE type = ? ORDER BY id")
    .all(GATEWAY_RETRY_JOB) as { payload: string; run_at: number; status: string }[];

/** Enqueues the retry of an order as selection does, in its own transaction. */
const enqueueRetry = (orderId: number, runAt = t.clock.now()) =>
  t.ctx.db.transaction(
    (tx) => t.ctx.jobs.enqueue(t.ctx, tx, { type: GATEWAY_RETRY_JOB, payload: { order_id: orderId }, runAt }),
    { behavior: "immediate" },
  );

describe("gateway order retry job", () => {
  test("a retrying pay-in is assigned once a requisite can take it (through the job queue)", async () => {
    const o = insertOrder(t, { store: w.store, status: "retrying", set: { retries: 1 } });
    enqueueRetry(o.id, t.clock.now() + 5_000);
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(0);
    t.clock.advance(5_000);
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
    expect(orderRow(t, o.id)).toMatchObject({
      status: "assigned",
      traderId: w.trader.id,
      requisiteId: w.requisite.id,
      expiresAt: t.clock.now() + 900_000,
    });
    expect(retryJobs().map((j) => j.status)).toEqual(["done"]);
    expect(w.f.balances({ traderId: w.trader.id }).traderHeld).toBe(10_000_000);
    expect(requisiteRow(t, w.requisite.id)).toMatchObject({ usedAmount: 95_500, usedCount: 1 });
    expect(eventTypes(t, o.id)).toEqual(["gateway.order.assigned"]);
    expect(ledgerBalanced(w.f)).toBe(true);
  });

  test("still no requisite: retrying again, the next attempt enqueued later", async () => {
    // The only requisite is a card; the order wants SBP.
    const o = insertOrder(t, {
      store: w.store,
      status: "retrying",
      set: { retries: 1, paymentMethod: "sbp" },
    });
    await retryGatewayOrderJob(t.ctx, { order_id: o.id });
    expect(orderRow(t, o.id)).toMatchObject({ status: "retrying", retries: 2 });
    const jobs = retryJobs();
    expect(jobs).toHaveLength(1);
    expect(JSON.parse(jobs[0]!.payload)).toEqual({ order_id: o.id });
    expect(jobs[0]!.run_at).toBeGreaterThan(t.clock.now());
    expect(eventTypes(t, o.id)).toEqual(["gateway.order.retrying"]);
  });

  test("attempts exhausted: a pay-out fails and the store gets its hold back", async () => {
    fundStore(w.f, w.store.id, 50_000_000);
    const max = t.ctx.settings.get("MAX_ORDER_RETRIES");
    const o = insertOrder(t, {
      store: w.store,
      direction: "payout",
      status: "retrying",
      set: { retries: max },
    });
    expect(w.f.balances({ storeId: w.store.id }).storeHeld).toBe(10_300_000);
    await retryGatewayOrderJob(t.ctx, { order_id: o.id });
    expect(orderRow(t, o.id).status).toBe("failed");
    expect(w.f.balances({ storeId: w.store.id })).toMatchObject({ storeHeld: 0, storeAvailable: 50_000_000 });
    expect(retryJobs()).toEqual([]);
    expect(ledgerBalanced(w.f)).toBe(true);
  });

  test("an order that left retrying, or is gone, is left alone", async () => {
    const cancelled = insertOrder(t, { store: w.store, status: "cancelled" });
    await retryGatewayOrderJob(t.ctx, { order_id: cancelled.id });
    await retryGatewayOrderJob(t.ctx, { order_id: 999_999 });
    await retryGatewayOrderJob(t.ctx, { order_id: "nonsense" });
    expect(orderRow(t, cancelled.id)).toMatchObject({ status: "cancelled", traderId: null });
    expect(eventTypes(t, cancelled.id)).toEqual([]);
    expect(w.f.balances({ traderId: w.trader.id }).traderHeld).toBe(0);
  });
});
