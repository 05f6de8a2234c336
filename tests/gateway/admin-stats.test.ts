import { beforeAll, describe, expect, test } from "bun:test";
import type { GatewayOrderStatus, gatewayStores, gatewayTraders } from "../../src/db/schema";
import { platformRevenue, providerClearing, transfer } from "../../src/modules/ledger/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";
import { fundStore, gatewayWorld, insertOrder } from "./lifecycle-helpers";

const V1 = "/api/v1";
type Store = typeof gatewayStores.$inferSelect;
type Trader = typeof gatewayTraders.$inferSelect;
type User = Awaited<ReturnType<TestApp["user"]>>;

const ids = (r: { body: { results: Record<string, unknown>[] } }, pick: (x: any) => number) =>
  r.body.results.map(pick);

describe("GET /admin/gateway/statistics/{merchants,traders,teamleads}", () => {
  const t = makeTestApp();
  const fx = gatewayFixtures(t);
  const u: Record<string, User> = {};
  const tr: Record<string, Trader> = {};
  const st: Record<string, Store> = {};

  /** An order created (and, with a trader, assigned) at `created`; completed `confirmS` later. */
  function order(
    store: Store,
    trader: Trader | null,
    status: GatewayOrderStatus,
    created: string,
    o: { amount?: number; usd?: boolean; confirmS?: number } = {},
  ) {
    const at = Date.parse(created);
    fx.newOrder(store, {
      amount: o.amount ?? 95_500,
      currency: o.usd ? "USD" : "RUB",
      rate: o.usd ? 100 : 9550,
      status,
      traderId: trader?.id ?? null,
      assignedAt: trader ? at : null,
      completedAt: status === "completed" ? at + (o.confirmS ?? 0) * 1000 : null,
      createdAt: at,
      updatedAt: at,
    });
  }

  beforeAll(async () => {
    u.admin = await t.user("admin");
    for (const m of ["m1", "m2", "m3"]) u[m] = await t.user("merchant");
    for (const l of ["l1", "l2"]) u[l] = await t.user("teamlead");
    st.s1 = (await fx.store({ merchant: u.m1 })).store;
    st.s2 = (await fx.store({ merchant: u.m1 })).store;
    st.s3 = (await fx.store({ merchant: u.m2 })).store;
    tr.t1 = (await fx.trader({ teamleadId: u.l1!.id })).trader;
    tr.t2 = (await fx.trader({ teamleadId: u.l1!.id, inWork: false })).trader;
    tr.t3 = (await fx.trader({ teamleadId: u.l2!.id })).trader;
    tr.t4 = (await fx.trader({})).trader;
    const { s1, s2, s3 } = st as Record<string, Store>;
    const { t1, t2, t3, t4 } = tr as Record<string, Trader>;
    order(s1!, t1!, "completed", "2026-11-10T10:00:00Z", { confirmS: 120 }); // 10 USDT
    order(s1!, t1!, "cancelled", "2026-11-10T11:00:00Z");
    order(s2!, t2!, "completed", "2026-11-12T09:00:00Z", { amount: 191_000, confirmS: 240 }); // 20 USDT
    order(s2!, null, "failed", "2026-11-12T10:00:00Z"); // fraud deny: never assigned
    order(s3!, t3!, "completed", "2026-11-15T10:00:00Z", { amount: 1_000, usd: true, confirmS: 60 }); // 10 USDT
    order(s3!, t3!, "expired", "2026-11-15T11:00:00Z");
    order(s3!, t4!, "assigned", "2026-11-20T10:00:00Z");
    order(s1!, t1!, "completed", "2026-10-05T10:00:00Z", { confirmS: 600 }); // before November
  });

  const NOV = "from=2026-11-01&to=2026-11-30";
  const get = (path: string, token?: string) => t.call("GET", `${V1}${path}`, { token });

  test("merchants: the orders of their stores created in the period", async () => {
    const r = await get(`/admin/gateway/statistics/merchants?${NOV}`, u.admin!.token);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      count: 3,
      next: null,
      previous: null,
      period: { from: "2026-11-01T00:00:00.000Z", to: "2026-11-30T23:59:59.999Z" },
    });
    const [m1, m2, m3] = r.body.results;
    expect(m1).toEqual({
      merchant: { id: u.m1!.id, username: u.m1!.username },
      stores: 2,
      orders: {
        total: 4,
        by_status: {
          new: 0,
          assigned: 0,
          customer_confirmed: 0,
          completed: 2,
          retrying: 0,
          review: 0,
          failed: 1,
          cancelled: 1,
          expired: 0,
          disputed: 0,
        },
      },
      completed: {
        count: 2,
        amount_crypto: 30_000_000,
        by_currency: [{ currency: "RUB", count: 2, amount: 286_500 }],
      },
      conversion: 0.5,
      avg_confirm_seconds: 180,
    });
    expect(m2).toMatchObject({
      merchant: { id: u.m2!.id },
      stores: 1,
      orders: { total: 3, by_status: { completed: 1, expired: 1, assigned: 1 } },
      completed: {
        count: 1,
        amount_crypto: 10_000_000,
        by_currency: [{ currency: "USD", count: 1, amount: 1_000 }],
      },
      conversion: 0.3333,
      avg_confirm_seconds: 60,
    });
    expect(m3).toMatchObject({
      merchant: { id: u.m3!.id },
      stores: 0,
      orders: { total: 0 },
      completed: { count: 0, amount_crypto: 0, by_currency: [] },
      conversion: null,
      avg_confirm_seconds: null,
    });
    // All time takes October's order in too.
    const all = await get("/admin/gateway/statistics/merchants", u.admin!.token);
    expect(all.body.period).toEqual({ from: null, to: null });
    expect(all.body.results[0]).toMatchObject({
      orders: { total: 5 },
      completed: { count: 3, amount_crypto: 40_000_000 },
      conversion: 0.6,
      avg_confirm_seconds: 320,
    });
  });

  test("traders: orders created in the period that were assigned to them; pages of traders", async () => {
    const r = await get(`/admin/gateway/statistics/traders?${NOV}`, u.admin!.token);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(4);
    const [t1, t2, t3, t4] = r.body.results;
    expect(t1).toMatchObject({
      trader_id: tr.t1!.id,
      user: { id: tr.t1!.userId },
      teamlead_id: u.l1!.id,
      online: true,
      orders: { total: 2, by_status: { completed: 1, cancelled: 1 } },
      completed: { count: 1, amount_crypto: 10_000_000 },
      conversion: 0.5,
      avg_confirm_seconds: 120,
    });
    expect(t2).toMatchObject({
      online: false,
      orders: { total: 1 },
      conversion: 1,
      avg_confirm_seconds: 240,
    });
    expect(t3).toMatchObject({
      teamlead_id: u.l2!.id,
      orders: { total: 2, by_status: { completed: 1, expired: 1 } },
      completed: { by_currency: [{ currency: "USD", count: 1, amount: 1_000 }] },
      conversion: 0.5,
    });
    expect(t4).toMatchObject({
      teamlead_id: null,
      orders: { total: 1, by_status: { assigned: 1 } },
      completed: { count: 0, amount_crypto: 0 },
      conversion: 0,
      avg_confirm_seconds: null,
    });
    const p2 = await get(`/admin/gateway/statistics/traders?${NOV}&page=2&page_size=3`, u.admin!.token);
    expect(p2.body).toMatchObject({ count: 4, next: null });
    expect(p2.body.previous).toContain(NOV.split("&")[0]!);
    expect(ids(p2, (x) => x.trader_id)).toEqual([tr.t4!.id]);
  });

  test("teamleads: their team now, and the orders its traders were assigned", async () => {
    const r = await get(`/admin/gateway/statistics/teamleads?${NOV}`, u.admin!.token);
    expect(r.status).toBe(200);
    expect(r.body.results).toHaveLength(2);
    expect(r.body.results[0]).toMatchObject({
      teamlead: { id: u.l1!.id, username: u.l1!.username },
      traders: 2,
      online: 1,
      orders: { total: 3, by_status: { completed: 2, cancelled: 1 } },
      completed: { count: 2, amount_crypto: 30_000_000 },
      conversion: 0.6667,
      avg_confirm_seconds: 180,
    });
    expect(r.body.results[1]).toMatchObject({
      teamlead: { id: u.l2!.id },
      traders: 1,
      online: 1,
      orders: { total: 2 },
      conversion: 0.5,
      avg_confirm_seconds: 60,
    });
    // October alone: only trader 1's order.
    const oct = await get(
      "/admin/gateway/statistics/teamleads?from=2026-10-01&to=2026-10-31",
      u.admin!.token,
    );
    expect(oct.body.results[0]).toMatchObject({
      orders: { total: 1 },
      conversion: 1,
      avg_confirm_seconds: 600,
    });
    expect(oct.body.results[1]).toMatchObject({ orders: { total: 0 }, conversion: null });
  });

  test("bad input 400: dates, from after to, paging, unknown parameters", async () => {
    const tok = u.admin!.token;
    for (const entity of ["merchants", "traders", "teamleads", "supports"]) {
      const e = expectError(
        await get(`/admin/gateway/statistics/${entity}?from=2026-12-01&to=2026-11-01`, tok),
        400,
        "validation_failed",
      );
      expect(e.details.issues).toEqual([{ path: "query.from", message: "must not be after to" }]);
    }
    expectError(await get("/admin/gateway/statistics/traders?to=30.11.2026", tok), 400, "validation_failed");
    expectError(
      await get("/admin/gateway/statistics/traders?from=2026-13-01", tok),
      400,
      "validation_failed",
    );
    expectError(await get("/admin/gateway/statistics/traders?page=0", tok), 400, "validation_failed");
    expectError(await get("/admin/gateway/statistics/traders?store_id=1", tok), 400, "validation_failed");
    expectError(await get("/admin/gateway/statistics/stores", tok), 404, "not_found");
  });
});

describe("GET /admin/gateway/statistics/supports", () => {
  const t = makeTestApp();
  let world: Awaited<ReturnType<typeof gatewayWorld>>;
  let admin: User;
  let sa: User;
  let sb: User;

  const resolve = (token: string, id: number, outcome: string) =>
    t.call("POST", `${V1}/support/gateway/orders/${id}/resolve`, { token, body: { outcome } });
  const review = (token: string, id: number, decision: string) =>
    t.call("POST", `${V1}/support/gateway/orders/${id}/review`, { token, body: { decision } });
  const disputed = () =>
    insertOrder(t, {
      store: world.store,
      status: "disputed",
      trader: world.trader,
      requisite: world.requisite,
      set: { disputedFrom: "expired", disputeReason: "the customer paid" },
    });
  const inReview = () => insertOrder(t, { store: world.store, status: "review" });

  beforeAll(async () => {
    world = await gatewayWorld(t);
    admin = await t.user("admin");
    sa = await t.user("support");
    sb = await t.user("support");
    await t.user("support"); // a support user who decided nothing
    // October: support A resolves one dispute for the merchant.
    t.clock.set("2026-10-20T10:00:00Z");
    expect((await resolve(sa.token, disputed().id, "completed")).status).toBe(200);
    // November: A resolves one each way and allows a review; B denies two reviews.
    t.clock.set("2026-11-05T10:00:00Z");
    expect((await resolve(sa.token, disputed().id, "completed")).status).toBe(200);
    expect((await resolve(sa.token, disputed().id, "cancelled")).status).toBe(200);
    expect((await review(sa.token, inReview().id, "allow")).status).toBe(200);
    expect((await review(sb.token, inReview().id, "deny")).status).toBe(200);
    expect((await review(sb.token, inReview().id, "deny")).status).toBe(200);
    // An admin's decision counts for no support user.
    expect((await review(admin.token, inReview().id, "deny")).status).toBe(200);
    // A refused decision (not in review) leaves no trace.
    const done = insertOrder(t, { store: world.store, status: "failed" });
    expect((await review(sb.token, done.id, "deny")).status).toBe(409);
  });

  test("disputes resolved and reviews decided per support user, all time and in a period", async () => {
    const r = await t.call("GET", `${V1}/admin/gateway/statistics/supports`, { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(3);
    expect(r.body.results[0]).toEqual({
      support: { id: sa.id, username: sa.username },
      disputes_resolved: { total: 3, completed: 2, cancelled: 1 },
      reviews: { total: 1, allowed: 1, denied: 0 },
    });
    expect(r.body.results[1]).toEqual({
      support: { id: sb.id, username: sb.username },
      disputes_resolved: { total: 0, completed: 0, cancelled: 0 },
      reviews: { total: 2, allowed: 0, denied: 2 },
    });
    expect(r.body.results[2]).toMatchObject({ disputes_resolved: { total: 0 }, reviews: { total: 0 } });
    const nov = await t.call("GET", `${V1}/admin/gateway/statistics/supports?from=2026-11-01`, {
      token: admin.token,
    });
    expect(nov.body.results[0].disputes_resolved).toEqual({ total: 2, completed: 1, cancelled: 1 });
    const page = await t.call("GET", `${V1}/admin/gateway/statistics/supports?page_size=1&page=2`, {
      token: admin.token,
    });
    expect(page.body).toMatchObject({ count: 3 });
    expect(page.body.results[0].support.id).toBe(sb.id);
  });

  test("support and other staff get 403 on admin statistics; anonymous 401", async () => {
    for (const path of ["merchants", "traders", "teamleads", "supports"]) {
      const url = `${V1}/admin/gateway/statistics/${path}`;
      expectError(await t.call("GET", url, { token: sa.token }), 403, "forbidden");
      expectError(await t.call("GET", url), 401, "unauthenticated");
    }
    const lead = await t.user("teamlead");
    expectError(
      await t.call("GET", `${V1}/admin/gateway/statistics/traders`, { token: lead.token }),
      403,
      "forbidden",
    );
  });
});

describe("GET /admin/gateway/platform-balance", () => {
  const t = makeTestApp();

  test("revenue per currency, what stores and traders hold, the clearing account; the USDT accounts sum to zero", async () => {
    const admin = await t.user("admin");
    const empty = await t.call("GET", `${V1}/admin/gateway/platform-balance`, { token: admin.token });
    expect(empty.body).toEqual({
      revenue: [],
      stores: { available: 0, held: 0, currency: "USDT" },
      traders: { available: 0, held: 0, currency: "USDT" },
      clearing: { balance: 0, currency: "USDT" },
    });

    // A trader with 1,000 USDT completes a pay-in of 10 USDT (store 3 %, trader 1 %): the platform keeps 2 %.
    const w = await gatewayWorld(t, { deposit: 1_000_000_000 });
    const payin = insertOrder(t, {
      store: w.store,
      status: "assigned",
      trader: w.trader,
      requisite: w.requisite,
    });
    const done = await t.call("POST", `${V1}/trader/orders/${payin.id}/confirm`, {
      token: w.traderUser.token,
    });
    expect(done.status).toBe(200);
    // The store is funded with 50 USDT and an open pay-out holds 10 USDT plus its 3 %.
    fundStore(w.f, w.store.id, 50_000_000);
    insertOrder(t, {
      store: w.store,
      direction: "payout",
      status: "assigned",
      trader: w.trader,
      requisite: w.requisite,
    });
    // Revenue in another currency (outside the gateway) is listed on its own.
    t.ctx.db.transaction(
      (tx) =>
        transfer(t.ctx, tx, {
          from: providerClearing("test", "RUB"),
          to: platformRevenue("RUB"),
          amount: 12_345,
          kind: "commission",
          idempotencyKey: "test-rub-revenue",
        }),
      { behavior: "immediate" },
    );

    const r = await t.call("GET", `${V1}/admin/gateway/platform-balance`, { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      revenue: [
        { currency: "RUB", amount: 12_345 },
        { currency: "USDT", amount: 200_000 },
      ],
      // 10 - 0.3 from the pay-in, + 50 funded, - 10.3 held by the pay-out.
      stores: { available: 49_400_000, held: 10_300_000, currency: "USDT" },
      // 1,000 - 10 held, then settled: + 0.1 commission.
      traders: { available: 990_100_000, held: 0, currency: "USDT" },
      clearing: { balance: -1_050_000_000, currency: "USDT" },
    });
    const b = r.body;
    expect(
      b.revenue[1].amount +
        b.stores.available +
        b.stores.held +
        b.traders.available +
        b.traders.held +
        b.clearing.balance,
    ).toBe(0);
  });

  test("support, teamleads and merchants 403; anonymous 401", async () => {
    for (const role of ["support", "teamlead", "merchant", "trader"] as const) {
      const x = await t.user(role);
      expectError(
        await t.call("GET", `${V1}/admin/gateway/platform-balance`, { token: x.token }),
        403,
        "forbidden",
      );
    }
    expectError(await t.call("GET", `${V1}/admin/gateway/platform-balance`), 401, "unauthenticated");
  });
});
