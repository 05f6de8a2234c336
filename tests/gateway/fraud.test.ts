import { beforeEach, describe, expect, test } from "bun:test";
import { checkFraud, ipDenied } from "../../src/modules/gateway/orders/fraud";
import { makeTestApp, type TestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

let t: TestApp;
let f: ReturnType<typeof gatewayFixtures>;
let merchant: { id: number; token: string };
let store: Awaited<ReturnType<typeof f.store>>["store"];
let n = 0;

const DEPOSIT = 100_000_000_000;

beforeEach(async () => {
  t = makeTestApp();
  f = gatewayFixtures(t);
  f.rate("RUB", 9550);
  ({ store, merchant } = await f.store());
  const tr = await f.trader({ deposit: DEPOSIT });
  f.requisite(tr.trader.id);
});

const set = (values: Record<string, unknown>) => t.ctx.settings.setNow(values, t.clock.now());
const payin = (o: Record<string, unknown> = {}) =>
  t.call("POST", "/api/v1/gateway/payin", {
    token: merchant.token,
    body: { store_id: store.id, amount: 955_000, currency: "RUB", client_order_id: `o-${++n}`, ...o },
  });
const row = (id: number) =>
  t.ctx.sqlite
    .query("SELECT fraud_decision, fraud_reasons, customer_ip, status FROM gateway_orders WHERE id = ?")
    .get(id) as {
    fraud_decision: string;
    fraud_reasons: string;
    customer_ip: string | null;
    status: string;
  };
const codes = (id: number) => (JSON.parse(row(id).fraud_reasons) as { code: string }[]).map((r) => r.code);
const held = () =>
  (
    t.ctx.sqlite
      .query(
        "SELECT coalesce(sum(balance), 0) AS s FROM ledger_accounts WHERE owner_type = 'trader' AND kind = 'held'",
      )
      .get() as { s: number }
  ).s;

describe("fraud deny", () => {
  test("above fraud_max_amount: failed with its reason, no hold, audited with the decision", async () => {
    set({ fraud_max_amount: 99_999_999 }); // the order is worth 100 USDT
    const res = await payin();
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: "failed", requisite: null });
    expect(res.body.status_reason).toContain("fraud");
    expect(row(res.body.id).fraud_decision).toBe("deny");
    expect(codes(res.body.id)).toEqual(["amount_above_max"]);
    expect(held()).toBe(0);
    const audit = t.ctx.sqlite
      .query("SELECT details FROM audit_log WHERE action = 'gateway.order.new' AND target_id = ?")
      .get(String(res.body.id)) as { details: string };
    expect(JSON.parse(audit.details)).toMatchObject({
      fraud_decision: "deny",
      fraud_reasons: [{ code: "amount_above_max" }],
    });
    // 0 switches it off.
    set({ fraud_max_amount: 0 });
    expect((await payin()).body.status).toBe("assigned");
  });

  test("a denied customer id", async () => {
    set({ fraud_denied_customers: ["bad-guy"] });
    const res = await payin({ customer_id: "bad-guy" });
    expect(res.body.status).toBe("failed");
    expect(codes(res.body.id)).toEqual(["customer_denied"]);
    expect((await payin({ customer_id: "good-guy" })).body.status).toBe("assigned");
  });

  test("denied addresses and CIDR blocks, IPv4 and IPv6 (an IPv4-mapped address counts as IPv4)", async () => {
    set({ fraud_denied_ips: ["10.0.0.0/8", "198.51.100.7", "2001:db8::/32", "not-an-ip", "10.0.0.0/99"] });
    for (const ip of ["10.1.2.3", "198.51.100.7", "2001:DB8::1", "::ffff:10.9.9.9"]) {
      const res = await payin({ customer_ip: ip });
      expect([ip, res.body.status, codes(res.body.id)]).toEqual([ip, "failed", ["ip_denied"]]);
    }
    for (const ip of ["11.0.0.1", "198.51.100.8", "2001:db9::1"]) {
      expect([ip, (await payin({ customer_ip: ip })).body.status]).toEqual([ip, "assigned"]);
    }
    const mapped = await payin({ customer_ip: "::FFFF:203.0.113.9" });
    expect(row(mapped.body.id).customer_ip).toBe("203.0.113.9");
  });

  test("the caller's own address is never taken for the customer's", async () => {
    set({ fraud_denied_ips: ["0.0.0.0/0", "::/0"] });
    const res = await t.call("POST", "/api/v1/gateway/payin", {
      token: merchant.token,
      headers: { "x-forwarded-for": "10.1.1.1" },
      body: { store_id: store.id, amount: 955_000, currency: "RUB", client_order_id: "no-ip" },
    });
    expect(res.body.status).toBe("assigned");
    expect(row(res.body.id)).toMatchObject({ customer_ip: null, fraud_decision: "allow" });
  });
});

describe("fraud review", () => {
  test("above fraud_review_amount: review, nothing held", async () => {
    set({ fraud_review_amount: 50_000_000 });
    const res = await payin();
    expect(res.body).toMatchObject({ status: "review", requisite: null });
    expect(codes(res.body.id)).toEqual(["amount_above_review"]);
    expect(held()).toBe(0);
  });

  test("past the customer's velocity in the window, per store", async () => {
    set({ fraud_velocity_customer: "2/hour" });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await payin({ customer_id: "c-1" })).body.status);
    expect(statuses).toEqual(["assigned", "assigned", "review"]);
    // Another store's customer c-1 is someone else.
    const other = await f.store({ merchant });
    const res = await payin({ store_id: other.store.id, customer_id: "c-1" });
    expect(res.body.status).toBe("assigned");
    // Once the window passed, the customer is quiet again.
    t.clock.advance(3_600_001);
    expect((await payin({ customer_id: "c-1" })).body.status).toBe("assigned");
  });

  test("past the address's velocity, across stores", async () => {
    set({ fraud_velocity_ip: "2/minute" });
    const other = await f.store({ merchant });
    const a = await payin({ customer_ip: "203.0.113.5" });
    const b = await payin({ customer_ip: "203.0.113.5", store_id: other.store.id });
    const c = await payin({ customer_ip: "203.0.113.5", customer_id: "new" });
    expect([a.body.status, b.body.status, c.body.status]).toEqual(["assigned", "assigned", "review"]);
    expect(codes(c.body.id)).toEqual(["ip_velocity"]);
  });
});

describe("checkFraud", () => {
  test("every rule that fires is a reason; deny wins over review", async () => {
    set({
      fraud_max_amount: 10,
      fraud_review_amount: 5,
      fraud_denied_customers: ["x"],
      fraud_denied_ips: ["192.0.2.0/24"],
    });
    const r = checkFraud(t.ctx, t.ctx.db, {
      storeId: store.id,
      amountCrypto: 11,
      customerId: "x",
      customerIp: "192.0.2.1",
    });
    expect(r.decision).toBe("deny");
    expect(r.reasons.map((x) => x.code)).toEqual([
      "amount_above_max",
      "customer_denied",
      "ip_denied",
      "amount_above_review",
    ]);
    expect(checkFraud(t.ctx, t.ctx.db, { storeId: store.id, amountCrypto: 6 }).decision).toBe("review");
    expect(checkFraud(t.ctx, t.ctx.db, { storeId: store.id, amountCrypto: 5 })).toEqual({
      decision: "allow",
      reasons: [],
    });
  });

  test("ipDenied ignores malformed entries and addresses", () => {
    expect(ipDenied(["bad", "1.2.3.4/40", "1.2.3.0/24"], "1.2.3.9")).toBe(true);
    expect(ipDenied(["1.2.3.0/24"], "nope")).toBe(false);
    expect(ipDenied([], "1.2.3.4")).toBe(false);
  });

  test("velocity counts use the indexes", () => {
    const plan = (sql: string) =>
      (t.ctx.sqlite.query(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
        .map((r) => r.detail)
        .join(" | ");
    expect(
      plan(
        "SELECT 1 FROM gateway_orders WHERE store_id = 1 AND customer_id = 'a' AND created_at > 0 LIMIT 5",
      ),
    ).toContain("gateway_orders_customer_idx");
    expect(plan("SELECT 1 FROM gateway_orders WHERE customer_ip = 'a' AND created_at > 0 LIMIT 5")).toContain(
      "gateway_orders_ip_idx",
    );
  });
});
