import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";
import { startWebhookReceiver, verifyAt } from "../helpers/webhook-receiver";

const receiver = startWebhookReceiver();
afterAll(() => receiver.stop());

let t: TestApp;
let f: ReturnType<typeof gatewayFixtures>;
let merchant: { id: number; token: string };
let store: Awaited<ReturnType<typeof f.store>>["store"];
let secret: string;

const DEPOSIT = 1_000_000_000; // 1,000 USDT

beforeEach(async () => {
  t = makeTestApp();
  f = gatewayFixtures(t);
  f.rate("RUB", 9550);
  ({ store, merchant, secret } = await f.store({ payInBps: 300 }));
});

const body = (o: Record<string, unknown> = {}) => ({
  store_id: store.id,
  amount: 955_000, // 9,550.00 RUB = 100 USDT
  currency: "RUB",
  client_order_id: "order-1",
  ...o,
});
const payin = (b: unknown, token = merchant.token) =>
  t.call("POST", "/api/v1/gateway/payin", { token, body: b });
const count = (table: string) =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("POST /gateway/payin", () => {
  test("assigns a requisite, answers its details and holds amount_crypto from the trader's deposit", async () => {
    const tr = await f.trader({ deposit: DEPOSIT, payInBps: 100 });
    const r = f.requisite(tr.trader.id, { bank: "Tinkoff", ownerName: "PETR S." });
    const res = await payin(body({ customer_id: "c-1", customer_ip: "203.0.113.7", payment_method: "card" }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      direction: "payin",
      status: "assigned",
      store_id: store.id,
      client_order_id: "order-1",
      amount: 955_000,
      currency: "RUB",
      rate: 9550,
      amount_crypto: 100_000_000,
      store_commission: 3_000_000,
      requisite: { payment_method: "card", bank: "Tinkoff", details: r.details, owner_name: "PETR S." },
      customer_id: "c-1",
    });
    expect(res.body.expires_at).toBe(new Date(t.clock.now() + 900_000).toISOString());
    // Routing and fraud are for staff only.
    expect(res.body.fraud).toBeUndefined();
    expect(res.body.trader_id).toBeUndefined();
    expect(f.balances({ traderId: tr.trader.id })).toMatchObject({
      traderAvailable: DEPOSIT - 100_000_000,
      traderHeld: 100_000_000,
    });
    expect(f.ledgerSums().every((s) => s.total === 0)).toBe(true);
    const events = t.ctx.sqlite
      .query("SELECT type FROM events WHERE subject_type = 'gateway_order' AND subject_id = ? ORDER BY id")
      .all(String(res.body.id)) as { type: string }[];
    expect(events.map((e) => e.type)).toEqual(["gateway.order.new", "gateway.order.assigned"]);
    const audits = t.ctx.sqlite
      .query(
        "SELECT action, actor_id, request_id FROM audit_log WHERE target_type = 'gateway_order' ORDER BY id",
      )
      .all() as { action: string; actor_id: number; request_id: string | null }[];
    expect(audits.map((a) => a.action)).toEqual(["gateway.order.new", "gateway.order.assigned"]);
    expect(audits.every((a) => a.actor_id === merchant.id && typeof a.request_id === "string")).toBe(true);
  });

  test("with no requisite free the order is created as retrying, without a requisite", async () => {
    const tr = await f.trader({ deposit: DEPOSIT });
    f.requisite(tr.trader.id, { paymentMethod: "card" });
    const res = await payin(body({ payment_method: "sbp" }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: "retrying", requisite: null, payment_method: "sbp" });
    expect(f.balances({ traderId: tr.trader.id }).traderHeld).toBe(0);
  });

  test("the same client_order_id: the same body answers 200 with the order, another body 409", async () => {
    const tr = await f.trader({ deposit: DEPOSIT });
    f.requisite(tr.trader.id);
    const first = await payin(body({ customer_id: "c-1" }));
    expect(first.status).toBe(201);
    // The same fields in another order are the same request.
    const again = await payin({
      customer_id: "c-1",
      client_order_id: "order-1",
      currency: "RUB",
      amount: 955_000,
      store_id: store.id,
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const err = expectError(
      await payin(body({ customer_id: "c-1", amount: 955_001 })),
      409,
      "idempotency_conflict",
    );
    expect(err.details.order_id).toBe(first.body.id);
    expect(count("gateway_orders")).toBe(1);
    expect(f.balances({ traderId: tr.trader.id }).traderHeld).toBe(100_000_000);
    // Another store of the same merchant has its own ids.
    const { store: other } = await f.store({ merchant });
    expect((await payin(body({ store_id: other.id, customer_id: "c-1" }))).status).toBe(201);
  });

  test("a replay after the order moved on answers it as it is now", async () => {
    const first = await payin(body());
    expect(first.body.status).toBe("retrying");
    const again = await payin(body());
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
  });

  test("bad input is 400 and writes nothing", async () => {
    f.rate("JPY", 2_000_000_000); // 1 minor unit is worth less than one micro-USDT
    const cases: [unknown, string][] = [
      [body({ amount: 0 }), "json.amount"],
      [body({ amount: -5 }), "json.amount"],
      [body({ amount: 1.5 }), "json.amount"],
      [body({ amount: 2 ** 53 }), "json.amount"],
      [body({ amount: "100" }), "json.amount"],
      [body({ currency: "XXY" }), "json.currency"],
      [body({ currency: "USD" }), "json.currency"], // a real code without a rate
      [body({ currency: "JPY", amount: 1 }), "json.amount"],
      [body({ payment_method: "cash" }), "json.payment_method"],
      [body({ customer_ip: "10.0.0.300" }), "json.customer_ip"],
      [body({ client_order_id: "" }), "json.client_order_id"],
      [body({ store_id: "1" }), "json.store_id"],
      [body({ extra: 1 }), "json"],
      [{ store_id: store.id, amount: 100 }, "json.currency"],
      [body({ callback_url: "http://127.0.0.1:1/hook" }), "json.callback_url"],
    ];
    for (const [b, path] of cases) {
      const err = expectError(await payin(b), 400, "validation_failed");
      expect([path, err.details.issues.some((i: { path: string }) => i.path.startsWith(path))]).toEqual([
        path,
        true,
      ]);
    }
    const usd = expectError(await payin(body({ currency: "USD" })), 400, "validation_failed");
    expect(usd.details.issues[0].message).toContain("no exchange rate for USD");
    expectError(
      await t.call("POST", "/api/v1/gateway/payin", { token: merchant.token, raw: '{"store_id": 1,' }),
      400,
      "invalid_json",
    );
    expect(count("gateway_orders")).toBe(0);
    expect(count("events")).toBe(0);
  });

  test("someone else's, an inactive or a missing store is 404", async () => {
    const { store: theirs } = await f.store();
    expectError(await payin(body({ store_id: theirs.id })), 404, "not_found");
    expectError(await payin(body({ store_id: 999_999 })), 404, "not_found");
    t.ctx.sqlite.query("UPDATE gateway_stores SET active = 0 WHERE id = ?").run(store.id);
    expectError(await payin(body()), 404, "not_found");
    expect(count("gateway_orders")).toBe(0);
  });

  test("only merchants (or their keys with the merchant scope) create orders", async () => {
    const trader = await t.user("trader");
    const client = await t.user("client");
    const support = await t.user("support");
    expectError(await payin(body(), trader.token), 403, "forbidden");
    expectError(await payin(body(), client.token), 403, "forbidden");
    expectError(await payin(body(), support.token), 403, "forbidden");
    expectError(await t.call("POST", "/api/v1/gateway/payin", { body: body() }), 401, "unauthenticated");

    const key = async (scopes: string[]) =>
      (await t.call("POST", "/api/v1/me/api-keys", { token: merchant.token, body: { name: "shop", scopes } }))
        .body.key as string;
    const good = await key(["gateway:merchant:*"]);
    const res = await payin(body(), good);
    expect(res.status).toBe(201);
    expect(
      (await payin(body({ client_order_id: "order-2" }), await key(["gateway:merchant:orders"]))).status,
    ).toBe(201);
    expectError(await payin(body({ client_order_id: "order-3" }), await key(["me:read"])), 403, "forbidden");
    // A key of another merchant does not reach this store.
    const { merchant: other } = await f.store();
    const theirs = (
      await t.call("POST", "/api/v1/me/api-keys", {
        token: other.token,
        body: { name: "x", scopes: ["gateway:merchant:*"] },
      })
    ).body.key as string;
    expectError(await payin(body({ client_order_id: "order-4" }), theirs), 404, "not_found");
  });

  test("status callbacks reach the store's url, signed with the store's secret; an order's own url wins", async () => {
    t.ctx.settings.setNow({ webhooks_allow_private_urls: true }, t.clock.now());
    receiver.reset();
    const s = await f.store({ merchant, callbackUrl: `${receiver.url}/store` });
    const tr = await f.trader({ deposit: DEPOSIT });
    f.requisite(tr.trader.id);
    const a = await payin(body({ store_id: s.store.id, client_order_id: "a" }));
    const b = await payin(
      body({ store_id: s.store.id, client_order_id: "b", callback_url: `${receiver.url}/own` }),
    );
    expect([a.status, b.status]).toEqual([201, 201]);
    await t.ctx.jobs.drain(t.ctx);
    const got = receiver.received.map((r) => ({
      path: r.path,
      msg: verifyAt(s.secret, r, t.clock.now()) as any,
    }));
    expect(got.map((g) => [g.path, g.msg.type, g.msg.data.id]).sort()).toEqual(
      [
        ["/own", "gateway.order.assigned", b.body.id],
        ["/store", "gateway.order.assigned", a.body.id],
      ].sort(),
    );
    expect(got.find((g) => g.path === "/store")!.msg.data).toMatchObject({
      status: "assigned",
      client_order_id: "a",
      requisite: { payment_method: "card" },
    });
    // Another store's secret does not verify them.
    expect(() => verifyAt(secret, receiver.received[0]!, t.clock.now())).toThrow();
  });
});
