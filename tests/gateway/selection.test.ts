import { beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { gatewayRequisites, jobs, users } from "../../src/db/schema";
import { assignOrRetry, candidatesSql } from "../../src/modules/gateway/orders/assign";
import type { GatewayOrderRow } from "../../src/modules/gateway/orders/serialize";
import { findGatewayOrder } from "../../src/modules/gateway/orders/status";
import { makeTestApp, type TestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

let t: TestApp;
let f: ReturnType<typeof gatewayFixtures>;
let store: Awaited<ReturnType<typeof f.store>>["store"];

beforeEach(async () => {
  t = makeTestApp();
  f = gatewayFixtures(t);
  f.rate();
  ({ store } = await f.store({ payInBps: 300, payOutBps: 300 }));
});

const DEPOSIT = 1_000_000_000; // 1,000 USDT

function assign(o: GatewayOrderRow): GatewayOrderRow {
  return t.ctx.db.transaction((tx) => assignOrRetry(t.ctx, tx, o, { id: null }), { behavior: "immediate" });
}
const requisiteRow = (id: number) =>
  t.ctx.db.select().from(gatewayRequisites).where(eq(gatewayRequisites.id, id)).get()!;

describe("selection order", () => {
  test("lowest priority number first, then least recently used, never used first", async () => {
    const low = await f.trader({ priority: 200, deposit: DEPOSIT });
    const high = await f.trader({ priority: 10, deposit: DEPOSIT });
    const rLow = f.requisite(low.trader.id);
    const rHigh1 = f.requisite(high.trader.id);
    const rHigh2 = f.requisite(high.trader.id);
    const picks = [1, 2, 3, 4].map(() => assign(f.newOrder(store)).requisiteId);
    // The two requisites of the priority-10 trader alternate; the priority-200 one is never reached.
    expect(picks).toEqual([rHigh1.id, rHigh2.id, rHigh1.id, rHigh2.id]);
    expect(picks).not.toContain(rLow.id);
    expect(requisiteRow(rHigh2.id).lastUsedAt).toBeGreaterThan(requisiteRow(rHigh1.id).lastUsedAt!);
  });

  test("an assignment holds amount_crypto from the deposit, takes the daily share and sets the expiry", async () => {
    const tr = await f.trader({ deposit: DEPOSIT, payInBps: 100 });
    const r = f.requisite(tr.trader.id);
    const o = assign(f.newOrder(store, { amount: 955_000 })); // 9,550.00 RUB = 100 USDT
    expect(o.status).toBe("assigned");
    expect(o.amountCrypto).toBe(100_000_000);
    expect(o.storeCommission).toBe(3_000_000);
    expect(o.traderCommission).toBe(1_000_000);
    expect(o.expiresAt).toBe(t.clock.now() + 900_000);
    expect(f.balances({ traderId: tr.trader.id })).toMatchObject({
      traderAvailable: DEPOSIT - 100_000_000,
      traderHeld: 100_000_000,
    });
    const row = requisiteRow(r.id);
    expect([row.usedAmount, row.usedCount]).toEqual([955_000, 1]);
    expect(o.selectionLog).toEqual([
      expect.objectContaining({
        attempt: 1,
        considered: 1,
        chosen: { requisite_id: r.id, trader_id: tr.trader.id },
      }),
    ]);
  });
});

describe("filters, each logged with its reason", () => {
  test("every requisite ahead of the chosen one is listed with why it was passed over", async () => {
    const mk = async (o: Parameters<typeof f.trader>[0], r: Parameters<typeof f.requisite>[1] = {}) => {
      const tr = await f.trader({ deposit: DEPOSIT, ...o });
      return f.requisite(tr.trader.id, r).id;
    };
    const notInWork = await mk({ priority: 1, inWork: false });
    const trafficOff = await mk({ priority: 2, trafficEnabled: false });
    const poor = await mk({ priority: 3, deposit: 1 });
    const method = await mk({ priority: 4 }, { paymentMethod: "sbp" });
    const tooSmall = await mk({ priority: 5 }, { minAmount: 500_000 });
    const tooBig = await mk({ priority: 6 }, { maxAmount: 50_000 });
    const dearTrader = await mk({ priority: 7, payInBps: 500 });
    const full = await mk(
      { priority: 8 },
      { dailyLimit: 150_000, usageDay: Math.floor(t.clock.now() / 86_400_000), usedAmount: 100_000 },
    );
    const counted = await mk(
      { priority: 9 },
      { dailyCountLimit: 2, usageDay: Math.floor(t.clock.now() / 86_400_000), usedCount: 2 },
    );
    const banned = await f.trader({ priority: 10, deposit: DEPOSIT });
    t.ctx.db.update(users).set({ isBanned: true }).where(eq(users.id, banned.user.id)).run();
    const bannedReq = f.requisite(banned.trader.id).id;
    const good = await mk({ priority: 11 });

    const o = assign(f.newOrder(store, { amount: 100_000, paymentMethod: "card" }));
    expect(o.requisiteId).toBe(good);
    const [attempt] = o.selectionLog;
    expect(attempt!.considered).toBe(11);
    expect(attempt!.rejected.map((r) => [r.requisite_id, r.reason])).toEqual([
      [notInWork, "trader_not_in_work"],
      [trafficOff, "trader_traffic_off"],
      [poor, "deposit_too_low"],
      [method, "payment_method"],
      [tooSmall, "below_min_amount"],
      [tooBig, "above_max_amount"],
      [dearTrader, "trader_commission_above_store"],
      [full, "daily_limit"],
      [counted, "daily_count_limit"],
      [bannedReq, "trader_banned"],
    ]);
    expect(attempt!.rejected_counts.deposit_too_low).toBe(1);
  });

  test("pending and blocked requisites, other currencies and pay-out-only ones are never candidates", async () => {
    const tr = await f.trader({ deposit: DEPOSIT });
    f.requisite(tr.trader.id, { status: "pending" });
    f.requisite(tr.trader.id, { status: "blocked" });
    f.requisite(tr.trader.id, { currency: "KZT" });
    f.requisite(tr.trader.id, { payIn: false, payOut: true });
    const o = assign(f.newOrder(store));
    expect(o.status).toBe("retrying");
    expect(o.selectionLog[0]!.considered).toBe(0);
  });

  test("a bank asked for must match (case-insensitive)", async () => {
    const tr = await f.trader({ deposit: DEPOSIT });
    f.requisite(tr.trader.id, { bank: "Tinkoff" });
    const sber = f.requisite(tr.trader.id, { bank: "Sber" });
    expect(assign(f.newOrder(store, { bank: "sber" })).requisiteId).toBe(sber.id);
  });

  test("counters of an earlier day count as zero", async () => {
    const tr = await f.trader({ deposit: DEPOSIT });
    const r = f.requisite(tr.trader.id, {
      dailyCountLimit: 1,
      usageDay: 1,
      usedCount: 1,
      usedAmount: 999_999_999,
    });
    const o = assign(f.newOrder(store));
    expect(o.requisiteId).toBe(r.id);
    expect(requisiteRow(r.id).usedCount).toBe(1);
  });

  test("the daily count limit admits exactly that many orders", async () => {
    const tr = await f.trader({ deposit: DEPOSIT });
    f.requisite(tr.trader.id, { dailyCountLimit: 3 });
    const statuses = [1, 2, 3, 4, 5].map(() => assign(f.newOrder(store)).status);
    expect(statuses).toEqual(["assigned", "assigned", "assigned", "retrying", "retrying"]);
  });

  test("a pay-out skips traders who cancelled it and needs no deposit", async () => {
    const a = await f.trader({ priority: 1 });
    const b = await f.trader({ priority: 2 });
    f.requisite(a.trader.id, { payIn: false, payOut: true });
    const rb = f.requisite(b.trader.id, { payIn: false, payOut: true });
    const o = assign(
      f.newOrder(store, {
        direction: "payout",
        excludedTraders: [a.trader.id],
        recipient: { payment_method: "card", details: "4000 0000 0000 0002" },
      }),
    );
    expect(o.requisiteId).toBe(rb.id);
    expect(o.selectionLog[0]!.rejected[0]!.reason).toBe("trader_cancelled_this_order");
    // Nothing is held from a pay-out trader.
    expect(f.balances({ traderId: b.trader.id }).traderHeld).toBe(0);
  });
});

describe("no requisite", () => {
  test("retrying with a retry job after the backoff, then failed once the retries are spent", async () => {
    t.ctx.settings.setNow(
      { MAX_ORDER_RETRIES: 2, RETRY_BASE_DELAY_SECONDS: 10, RETRY_BACKOFF_FACTOR: 3 },
      t.clock.now(),
    );
    let o = assign(f.newOrder(store));
    expect([o.status, o.retries]).toEqual(["retrying", 1]);
    const job = t.ctx.db.select().from(jobs).where(eq(jobs.type, "gateway.order.retry")).all();
    expect(job).toHaveLength(1);
    expect(job[0]!.runAt).toBe(t.clock.now() + 10_000);
    expect(job[0]!.payload).toEqual({ order_id: o.id });
    o = assign(o);
    expect([o.status, o.retries]).toEqual(["retrying", 2]);
    const runAts = t.ctx.db
      .select()
      .from(jobs)
      .where(eq(jobs.type, "gateway.order.retry"))
      .all()
      .map((j) => j.runAt);
    expect(runAts[1]).toBe(t.clock.now() + 30_000);
    o = assign(o);
    expect(o.status).toBe("failed");
    expect(o.selectionLog).toHaveLength(3);
    expect(findGatewayOrder(t.ctx.db, o.id)!.statusReason).toBe("no requisite could take the order");
  });

  test("a failed pay-out returns the store's hold", async () => {
    t.ctx.settings.setNow({ MAX_ORDER_RETRIES: 0 }, t.clock.now());
    const { storeAvailable: _ } = f.balances({ storeId: store.id });
    const o = f.newOrder(store, { direction: "payout", recipient: { payment_method: "card", details: "x" } });
    const { holdPayoutStore } = await import("../../src/modules/gateway/orders/moves");
    const { storeAvailable } = await import("../../src/modules/gateway/money");
    f.credit(storeAvailable(store.id), 500_000_000);
    t.ctx.db.transaction((tx) => holdPayoutStore(t.ctx, tx, o), { behavior: "immediate" });
    expect(f.balances({ storeId: store.id }).storeHeld).toBe(o.amountCrypto + o.storeCommission);
    expect(assign(o).status).toBe("failed");
    expect(f.balances({ storeId: store.id })).toMatchObject({ storeAvailable: 500_000_000, storeHeld: 0 });
    for (const s of f.ledgerSums()) expect(s.total).toBe(0);
  });
});

describe("query plan", () => {
  test.each(["payin", "payout"] as const)(
    "%s selection walks its partial index in order: no sort, no scan",
    (d) => {
      const plan = t.ctx.sqlite
        .query<{ detail: string }, [string, number]>(`EXPLAIN QUERY PLAN ${candidatesSql(d)}`)
        .all("RUB", 1)
        .map((r) => r.detail);
      expect(plan).toEqual([
        `SEARCH r USING INDEX gateway_requisites_${d}_idx (currency=?)`,
        "SEARCH t USING INTEGER PRIMARY KEY (rowid=?)",
        "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)",
        "SEARCH la USING INDEX ledger_accounts_owner_uq (owner_type=? AND owner_id=? AND kind=? AND currency=?) LEFT-JOIN",
      ]);
    },
  );
});
