import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { storeAvailable } from "../../src/modules/gateway/money";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";
import { startWebhookReceiver } from "../helpers/webhook-receiver";

const receiver = startWebhookReceiver();
afterAll(() => receiver.stop());

let t: TestApp;
let f: ReturnType<typeof gatewayFixtures>;
let merchant: { id: number; token: string };
let store: Awaited<ReturnType<typeof f.store>>["store"];
let trader: Awaited<ReturnType<typeof f.trader>>;
let n = 0;

beforeEach(async () => {
  t = makeTestApp();
  t.ctx.settings.setNow({ webhooks_allow_private_urls: true }, t.clock.now());
  receiver.reset();
  f = gatewayFixtures(t);
  f.rate("RUB", 9550);
  ({ store, merchant } = await f.store({ callbackUrl: `${receiver.url}/cb` }));
  trader = await f.trader({ deposit: 1_000_000_000 });
  f.requisite(trader.trader.id);
});

const payin = async (o: Record<string, unknown> = {}, token = merchant.token) => {
  const res = await t.call("POST", "/api/v1/gateway/payin", {
    token,
    body: { store_id: store.id, amount: 955_000, currency: "RUB", client_order_id: `o-${++n}`, ...o },
  });
  expect(res.status).toBe(201);
  return res.body;
};
const get = (path: string, token?: string) => t.call("GET", `/api/v1${path}`, { token });

describe("GET /gateway/orders/{id} and the status paths", () => {
  test("the merchant sees its order; support and admins also see routing and fraud", async () => {
    const o = await payin({ customer_ip: "203.0.113.1" });
    const mine = await get(`/gateway/orders/${o.id}`, merchant.token);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual(o);
    for (const role of ["support", "admin"] as const) {
      const staff = await t.user(role);
      const res = await get(`/gateway/orders/${o.id}`, staff.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: o.id,
        trader_id: trader.trader.id,
        customer_ip: "203.0.113.1",
        fraud: { decision: "allow", reasons: [] },
        selection_log: [expect.objectContaining({ attempt: 1 })],
      });
    }
  });

  test("the assigned trader reads it; other traders and merchants get 404; a client 403", async () => {
    const o = await payin();
    expect((await get(`/gateway/orders/${o.id}`, trader.user.token)).body.requisite).toEqual(o.requisite);
    const otherTrader = await f.trader();
    expectError(await get(`/gateway/orders/${o.id}`, otherTrader.user.token), 404, "not_found");
    const { merchant: otherMerchant } = await f.store();
    expectError(await get(`/gateway/orders/${o.id}`, otherMerchant.token), 404, "not_found");
    expectError(await get(`/gateway/orders/${o.id}`, (await t.user("client")).token), 403, "forbidden");
    expectError(await get(`/gateway/orders/${o.id}`), 401, "unauthenticated");
    expectError(await get("/gateway/orders/999999", merchant.token), 404, "not_found");
  });

  test("payin/status and payout/status answer only their direction", async () => {
    const o = await payin();
    expect((await get(`/gateway/payin/status/${o.id}`, merchant.token)).body.status).toBe("assigned");
    expectError(await get(`/gateway/payout/status/${o.id}`, merchant.token), 404, "not_found");
    f.credit(storeAvailable(store.id), 500_000_000);
    const out = await t.call("POST", "/api/v1/gateway/payout", {
      token: merchant.token,
      body: {
        store_id: store.id,
        amount: 955_000,
        currency: "RUB",
        client_order_id: "w-1",
        recipient: { payment_method: "card", details: "2200 0000 0000 0001" },
      },
    });
    expect((await get(`/gateway/payout/status/${out.body.id}`, merchant.token)).body.direction).toBe(
      "payout",
    );
    expectError(await get(`/gateway/payin/status/${out.body.id}`, merchant.token), 404, "not_found");
  });

  test("a key with the merchant scope reads; one without it is 403", async () => {
    const o = await payin();
    const key = async (scopes: string[]) =>
      (await t.call("POST", "/api/v1/me/api-keys", { token: merchant.token, body: { name: "k", scopes } }))
        .body.key as string;
    expect((await get(`/gateway/orders/${o.id}`, await key(["gateway:merchant:*"]))).status).toBe(200);
    expectError(await get(`/gateway/orders/${o.id}`, await key(["me:read"])), 403, "forbidden");
  });
});

describe("GET /gateway/orders", () => {
  test("the caller's stores only, newest first, filtered by store, status and direction, paginated", async () => {
    const second = await f.store({ merchant });
    const a = await payin();
    const b = await payin({ store_id: second.store.id });
    const c = await payin({ payment_method: "sbp" }); // no sbp requisite: retrying
    const { store: theirs, merchant: them } = await f.store();
    await payin({ store_id: theirs.id }, them.token);

    const all = await get("/gateway/orders", merchant.token);
    expect(all.status).toBe(200);
    expect(all.body.count).toBe(3);
    expect(all.body.results.map((o: { id: number }) => o.id)).toEqual([c.id, b.id, a.id]);
    expect(all.body.results[2].requisite).toEqual(a.requisite);

    const byStore = await get(`/gateway/orders?store_id=${second.store.id}`, merchant.token);
    expect(byStore.body.results.map((o: { id: number }) => o.id)).toEqual([b.id]);
    const retrying = await get("/gateway/orders?status=retrying", merchant.token);
    expect(retrying.body.results.map((o: { id: number }) => o.id)).toEqual([c.id]);
    expect((await get("/gateway/orders?direction=payout", merchant.token)).body.count).toBe(0);

    const paged = await get("/gateway/orders?page=2&page_size=2", merchant.token);
    expect(paged.body).toMatchObject({ count: 3, next: null });
    expect(paged.body.results.map((o: { id: number }) => o.id)).toEqual([a.id]);
    expect(paged.body.previous).toContain("page=1");

    expectError(await get(`/gateway/orders?store_id=${theirs.id}`, merchant.token), 404, "not_found");
    expectError(await get("/gateway/orders?status=bogus", merchant.token), 400, "validation_failed");
    expectError(await get("/gateway/orders", trader.user.token), 403, "forbidden");
    const storeless = await t.user("merchant");
    expect((await get("/gateway/orders", storeless.token)).body).toMatchObject({ count: 0, results: [] });
  });
});

describe("GET /gateway/orders/{id}/callbacks", () => {
  test("lists the store's deliveries of the order's events, with their outcome", async () => {
    const o = await payin();
    const other = await payin();
    const before = await get(`/gateway/orders/${o.id}/callbacks`, merchant.token);
    expect(before.status).toBe(200);
    expect(before.body.count).toBe(1);
    expect(before.body.results[0]).toMatchObject({
      event_type: "gateway.order.assigned",
      url: `${receiver.url}/cb`,
      status: "pending",
      attempts: 0,
      last_status_code: null,
    });
    await t.ctx.jobs.drain(t.ctx);
    const after = await get(`/gateway/orders/${o.id}/callbacks`, merchant.token);
    expect(after.body.results[0]).toMatchObject({ status: "succeeded", attempts: 1, last_status_code: 204 });
    // The message id is the webhook-id header the store received.
    const sent = receiver.received.find((r) => JSON.parse(r.body).data.id === o.id)!;
    expect(sent.headers["webhook-id"]).toBe(after.body.results[0].message_id);
    expect((await get(`/gateway/orders/${other.id}/callbacks`, merchant.token)).body.count).toBe(1);

    const support = await t.user("support");
    expect((await get(`/gateway/orders/${o.id}/callbacks`, support.token)).body.count).toBe(1);
    const { merchant: them } = await f.store();
    expectError(await get(`/gateway/orders/${o.id}/callbacks`, them.token), 404, "not_found");
    expectError(await get(`/gateway/orders/${o.id}/callbacks`, trader.user.token), 403, "forbidden");
  });

  test("a store without a callback url has none", async () => {
    const s = await f.store({ merchant });
    const o = await payin({ store_id: s.store.id });
    expect((await get(`/gateway/orders/${o.id}/callbacks`, merchant.token)).body).toEqual({
      count: 0,
      results: [],
    });
  });

  test("the lookup walks the events' subject index and the store's endpoints", () => {
    const plan = (
      t.ctx.sqlite
        .query(
          `EXPLAIN QUERY PLAN SELECT d.id FROM events e JOIN webhook_deliveries d ON d.event_id = e.id
           JOIN webhook_endpoints w ON w.id = d.endpoint_id
           WHERE e.subject_type = 'gateway_order' AND e.subject_id = '1' AND w.owner_type = 'store' AND w.owner_id = '1'`,
        )
        .all() as { detail: string }[]
    )
      .map((r) => r.detail)
      .join(" | ");
    expect(plan).not.toMatch(/SCAN (d|e)\b/);
  });
});
