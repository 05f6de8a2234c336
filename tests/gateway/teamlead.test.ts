import { beforeAll, describe, expect, test } from "bun:test";
import type { GatewayOrderStatus, gatewayStores, gatewayTraders } from "../../src/db/schema";
import { DAY } from "../../src/lib/time";
import { traderHeld } from "../../src/modules/gateway/money";
import { expectError, makeTestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

// The clock stands at 2026-11-22T10:00:00Z: "today" is 2026-11-22 (UTC).
const t = makeTestApp();
const fx = gatewayFixtures(t);
const V1 = "/api/v1";
const TODAY = Math.floor(t.clock.now() / DAY);

type Store = typeof gatewayStores.$inferSelect;
type Trader = typeof gatewayTraders.$inferSelect;

/** An order row of a trader (rate 9550, or 100 for USD): created and assigned at `created`, completed `confirmS` later. */
function order(
  store: Store,
  trader: Trader,
  status: GatewayOrderStatus,
  created: string,
  o: { amount?: number; currency?: "RUB" | "USD"; confirmS?: number } = {},
) {
  const at = Date.parse(created);
  const usd = o.currency === "USD";
  return fx.newOrder(store, {
    amount: o.amount ?? 95_500,
    currency: usd ? "USD" : "RUB",
    rate: usd ? 100 : 9550,
    status,
    traderId: trader.id,
    assignedAt: at,
    completedAt: status === "completed" ? at + (o.confirmS ?? 0) * 1000 : null,
    createdAt: at,
    updatedAt: at,
  });
}

let leadA: Awaited<ReturnType<typeof t.user>>;
let leadB: Awaited<ReturnType<typeof t.user>>;
let t1: Trader;
let t2: Trader;
let t3: Trader;
let t4: Trader;
const names: Record<number, string | null> = {};
const req: Record<string, number> = {};

beforeAll(async () => {
  fx.rate("RUB", 9550);
  fx.rate("USD", 100);
  leadA = await t.user("teamlead");
  leadB = await t.user("teamlead");
  const { store } = await fx.store();
  const mk = async (o: Parameters<typeof fx.trader>[0]) => {
    const r = await fx.trader(o);
    names[r.trader.id] = r.user.username;
    return r;
  };
  t1 = (await mk({ teamleadId: leadA.id, deposit: 1_000_000_000 })).trader;
  fx.credit(traderHeld(t1.id), 5_000_000);
  t2 = (await mk({ teamleadId: leadA.id, inWork: false })).trader;
  const banned = await mk({ teamleadId: leadA.id });
  t3 = banned.trader;
  t.ctx.sqlite.query("UPDATE users SET is_banned = 1 WHERE id = ?").run(banned.user.id);
  t4 = (await mk({ teamleadId: leadB.id, deposit: 7_000_000 })).trader;

  // Trader 1: 3 completed (300 s, 600 s, 100 s to confirm), 1 assigned and 1 confirmed by the customer, 1 cancelled.
  order(store, t1, "completed", "2026-11-22T09:00:00Z", { confirmS: 300 }); // today, 10 USDT
  order(store, t1, "completed", "2026-11-21T12:00:00Z", { amount: 191_000, confirmS: 600 }); // yesterday, 20 USDT
  order(store, t1, "assigned", "2026-11-22T09:30:00Z", { amount: 47_750 }); // open, today, 5 USDT
  order(store, t1, "cancelled", "2026-11-22T08:00:00Z");
  order(store, t1, "customer_confirmed", "2026-11-21T23:50:00Z"); // open since yesterday
  order(store, t1, "completed", "2026-11-22T07:00:00Z", { amount: 1_000, currency: "USD", confirmS: 100 });
  // Trader 2 (not in work): one completed today after 1200 s. Trader 4 (another team): one today.
  order(store, t2, "completed", "2026-11-22T06:00:00Z", { confirmS: 1200 });
  order(store, t4, "completed", "2026-11-22T05:00:00Z", { amount: 955_000, confirmS: 50 });
  // An order never assigned to anyone counts for no trader.
  fx.newOrder(store, { status: "retrying" });

  // Requisites: only approved ones of online traders are online.
  req.r1 = fx.requisite(t1.id, { usageDay: TODAY, usedAmount: 143_250, usedCount: 2 }).id;
  req.pending = fx.requisite(t1.id, { status: "pending" }).id;
  req.blocked = fx.requisite(t1.id, { status: "blocked" }).id;
  req.offline = fx.requisite(t2.id).id;
  req.banned = fx.requisite(t3.id).id;
  req.r5 = fx.requisite(t4.id).id;
  // Yesterday's counters are today's zero.
  req.r6 = fx.requisite(t1.id, {
    payIn: false,
    payOut: true,
    usageDay: TODAY - 1,
    usedAmount: 1_000,
    usedCount: 1,
  }).id;
});

const get = (path: string, token?: string) => t.call("GET", `${V1}${path}`, { token });

describe("GET /teamlead/traders", () => {
  test("the caller's team only, with online state, deposit and today's (UTC) volume", async () => {
    const r = await get("/teamlead/traders", leadA.token);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ count: 3, next: null, previous: null });
    expect(r.body.results).toEqual([
      {
        id: t1.id,
        user: { id: t1.userId, username: names[t1.id] },
        online: true,
        in_work: true,
        traffic_enabled: true,
        banned: false,
        balance: { available: 1_000_000_000, held: 5_000_000, currency: "USDT" },
        // Completed today (09:00 RUB, 07:00 USD) and open since today (09:30); not yesterday's, not the cancelled one.
        today: {
          count: 3,
          amount_crypto: 25_000_000,
          by_currency: [
            { currency: "RUB", count: 2, amount: 143_250 },
            { currency: "USD", count: 1, amount: 1_000 },
          ],
        },
      },
      {
        id: t2.id,
        user: { id: t2.userId, username: names[t2.id] },
        online: false,
        in_work: false,
        traffic_enabled: true,
        banned: false,
        balance: { available: 0, held: 0, currency: "USDT" },
        today: {
          count: 1,
          amount_crypto: 10_000_000,
          by_currency: [{ currency: "RUB", count: 1, amount: 95_500 }],
        },
      },
      {
        id: t3.id,
        user: { id: t3.userId, username: names[t3.id] },
        online: false,
        in_work: true,
        traffic_enabled: true,
        banned: true,
        balance: { available: 0, held: 0, currency: "USDT" },
        today: { count: 0, amount_crypto: 0, by_currency: [] },
      },
    ]);
  });

  test("another teamlead sees their own team; pages follow the list convention", async () => {
    const b = await get("/teamlead/traders", leadB.token);
    expect(b.body.results.map((x: { id: number }) => x.id)).toEqual([t4.id]);
    expect(b.body.results[0].balance.available).toBe(7_000_000);
    const p = await get("/teamlead/traders?page=2&page_size=2", leadA.token);
    expect(p.body).toMatchObject({ count: 3, next: null });
    expect(p.body.previous).toContain("page=1");
    expect(p.body.results.map((x: { id: number }) => x.id)).toEqual([t3.id]);
    // A teamlead without a team has an empty page.
    const lone = await t.user("teamlead");
    expect((await get("/teamlead/traders", lone.token)).body).toMatchObject({ count: 0, results: [] });
  });

  test("bad paging 400; other roles 403; anonymous 401", async () => {
    expectError(await get("/teamlead/traders?page_size=101", leadA.token), 400, "validation_failed");
    expectError(await get("/teamlead/traders?team=2", leadA.token), 400, "validation_failed");
    for (const role of ["trader", "support", "merchant", "client"] as const) {
      const u = await t.user(role);
      expectError(await get("/teamlead/traders", u.token), 403, "forbidden");
    }
    expectError(await get("/teamlead/traders"), 401, "unauthenticated");
  });
});

describe("GET /teamlead/traders/{id}/stats", () => {
  test("all time: orders ever assigned by status, completed volume, conversion, average time to confirm", async () => {
    const r = await get(`/teamlead/traders/${t1.id}/stats`, leadA.token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      trader_id: t1.id,
      period: { from: null, to: null },
      orders: {
        total: 6,
        by_status: {
          new: 0,
          assigned: 1,
          customer_confirmed: 1,
          completed: 3,
          retrying: 0,
          review: 0,
          failed: 0,
          cancelled: 1,
          expired: 0,
          disputed: 0,
        },
      },
      completed: {
        count: 3,
        amount_crypto: 40_000_000,
        by_currency: [
          { currency: "RUB", count: 2, amount: 286_500 },
          { currency: "USD", count: 1, amount: 1_000 },
        ],
      },
      conversion: 0.5,
      avg_confirm_seconds: 333, // (300 + 600 + 100) / 3
    });
  });

  test("a period of dates covers whole UTC days; date-times bound exactly", async () => {
    const day = await get(`/teamlead/traders/${t1.id}/stats?from=2026-11-22&to=2026-11-22`, leadA.token);
    expect(day.body).toMatchObject({
      period: { from: "2026-11-22T00:00:00.000Z", to: "2026-11-22T23:59:59.999Z" },
      orders: { total: 4, by_status: { completed: 2, assigned: 1, cancelled: 1, customer_confirmed: 0 } },
      completed: { count: 2, amount_crypto: 20_000_000 },
      conversion: 0.5,
      avg_confirm_seconds: 200,
    });
    const span = await get(
      `/teamlead/traders/${t1.id}/stats?from=2026-11-21T12:00:00Z&to=2026-11-21T23:50:00Z`,
      leadA.token,
    );
    expect(span.body).toMatchObject({
      orders: { total: 2, by_status: { completed: 1, customer_confirmed: 1 } },
      completed: {
        count: 1,
        amount_crypto: 20_000_000,
        by_currency: [{ currency: "RUB", count: 1, amount: 191_000 }],
      },
      conversion: 0.5,
      avg_confirm_seconds: 600,
    });
    // Nothing in the period: no conversion, no average.
    const empty = await get(`/teamlead/traders/${t3.id}/stats?from=2026-01-01`, leadA.token);
    expect(empty.body).toMatchObject({
      orders: { total: 0 },
      completed: { count: 0, amount_crypto: 0, by_currency: [] },
      conversion: null,
      avg_confirm_seconds: null,
    });
  });

  test("another team's trader and an unknown one are 404; bad dates and from after to are 400", async () => {
    expectError(await get(`/teamlead/traders/${t4.id}/stats`, leadA.token), 404, "not_found");
    expectError(await get(`/teamlead/traders/${t1.id}/stats`, leadB.token), 404, "not_found");
    expectError(await get("/teamlead/traders/999999/stats", leadA.token), 404, "not_found");
    // An admin holds every permission but leads no team.
    const admin = await t.user("admin");
    expectError(await get(`/teamlead/traders/${t1.id}/stats`, admin.token), 404, "not_found");
    const bad = expectError(
      await get(`/teamlead/traders/${t1.id}/stats?from=yesterday`, leadA.token),
      400,
      "validation_failed",
    );
    expect(bad.details.issues[0].path).toBe("query.from");
    expectError(
      await get(`/teamlead/traders/${t1.id}/stats?to=2026-02-30`, leadA.token),
      400,
      "validation_failed",
    );
    const order = expectError(
      await get(`/teamlead/traders/${t1.id}/stats?from=2026-11-22&to=2026-11-21`, leadA.token),
      400,
      "validation_failed",
    );
    expect(order.details.issues).toEqual([{ path: "query.from", message: "must not be after to" }]);
    expectError(
      await get(
        `/teamlead/traders/${t1.id}/stats?from=2026-11-22T10:00:01Z&to=2026-11-22T10:00:00Z`,
        leadA.token,
      ),
      400,
      "validation_failed",
    );
    expectError(await get("/teamlead/traders/abc/stats", leadA.token), 400, "validation_failed");
  });

  test("other roles 403; anonymous 401", async () => {
    const trader = await t.user("trader");
    expectError(await get(`/teamlead/traders/${t1.id}/stats`, trader.token), 403, "forbidden");
    expectError(await get(`/teamlead/traders/${t1.id}/stats`), 401, "unauthenticated");
  });
});

describe("GET /teamlead/statistics", () => {
  test("the whole team: its traders now, and the figures of every order its traders were assigned", async () => {
    const r = await get("/teamlead/statistics", leadA.token);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      traders: 3,
      online: 1,
      period: { from: null, to: null },
      orders: { total: 7, by_status: { completed: 4, assigned: 1, customer_confirmed: 1, cancelled: 1 } },
      completed: {
        count: 4,
        amount_crypto: 50_000_000,
        by_currency: [
          { currency: "RUB", count: 3, amount: 382_000 },
          { currency: "USD", count: 1, amount: 1_000 },
        ],
      },
      conversion: 0.5714, // 4 / 7
      avg_confirm_seconds: 550, // (300 + 600 + 100 + 1200) / 4
    });
    const b = await get("/teamlead/statistics?from=2026-11-22", leadB.token);
    expect(b.body).toMatchObject({
      traders: 1,
      online: 1,
      period: { from: "2026-11-22T00:00:00.000Z", to: null },
      orders: { total: 1 },
      completed: { count: 1, amount_crypto: 100_000_000 },
      conversion: 1,
      avg_confirm_seconds: 50,
    });
  });

  test("errors: from after to 400; other roles 403; anonymous 401", async () => {
    expectError(
      await get("/teamlead/statistics?from=2026-12-01&to=2026-11-01", leadA.token),
      400,
      "validation_failed",
    );
    const support = await t.user("support");
    expectError(await get("/teamlead/statistics", support.token), 403, "forbidden");
    expectError(await get("/teamlead/statistics"), 401, "unauthenticated");
  });
});

describe("online requisites", () => {
  test("GET /teamlead/requisites/online: approved requisites of the team's online traders, with today's use", async () => {
    const r = await get("/teamlead/requisites/online", leadA.token);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(2);
    expect(r.body.results.map((x: { id: number }) => x.id)).toEqual([req.r1, req.r6]);
    expect(r.body.results[0]).toMatchObject({
      id: req.r1,
      trader_id: t1.id,
      status: "approved",
      used_today: { amount: 143_250, count: 2 },
      trader: { id: t1.id, user_id: t1.userId, username: names[t1.id], teamlead_id: leadA.id },
    });
    expect(r.body.results[1].used_today).toEqual({ amount: 0, count: 0 });
    const payout = await get("/teamlead/requisites/online?direction=payout", leadA.token);
    expect(payout.body.results.map((x: { id: number }) => x.id)).toEqual([req.r6]);
    expect((await get("/teamlead/requisites/online?currency=USD", leadA.token)).body.count).toBe(0);
    const b = await get("/teamlead/requisites/online", leadB.token);
    expect(b.body.results.map((x: { id: number }) => x.id)).toEqual([req.r5]);
  });

  test("a trader switched off by the teamlead goes offline at once", async () => {
    const off = await t.call("POST", `${V1}/teamlead/traders/${t4.id}/traffic`, {
      token: leadB.token,
      body: { enabled: false },
    });
    expect(off.status).toBe(200);
    expect((await get("/teamlead/requisites/online", leadB.token)).body.count).toBe(0);
    expect((await get("/teamlead/traders", leadB.token)).body.results[0].online).toBe(false);
    await t.call("POST", `${V1}/teamlead/traders/${t4.id}/traffic`, {
      token: leadB.token,
      body: { enabled: true },
    });
  });

  test("GET /admin/requisites/online: every team (admin and support); others 403", async () => {
    const admin = await t.user("admin");
    const r = await get("/admin/requisites/online", admin.token);
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: { id: number }) => x.id)).toEqual([req.r1, req.r5, req.r6]);
    expect(r.body.results[1].trader).toEqual({
      id: t4.id,
      user_id: t4.userId,
      username: names[t4.id],
      teamlead_id: leadB.id,
    });
    const page2 = await get("/admin/requisites/online?page=2&page_size=2", admin.token);
    expect(page2.body).toMatchObject({ count: 3, next: null });
    expect(page2.body.results.map((x: { id: number }) => x.id)).toEqual([req.r6]);
    const support = await t.user("support");
    expect((await get("/admin/requisites/online?direction=payin", support.token)).body.count).toBe(2);
    expectError(await get("/admin/requisites/online?currency=rub", admin.token), 400, "validation_failed");
    expectError(await get("/admin/requisites/online", leadA.token), 403, "forbidden");
    expectError(await get("/admin/requisites/online"), 401, "unauthenticated");
  });

  test("team routes: other roles 403; anonymous 401", async () => {
    const merchant = await t.user("merchant");
    expectError(await get("/teamlead/requisites/online", merchant.token), 403, "forbidden");
    expectError(await get("/teamlead/requisites/online"), 401, "unauthenticated");
  });
});
