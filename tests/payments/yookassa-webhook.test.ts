import { describe, expect, test } from "bun:test";
import { ipAllowed } from "../../src/modules/payments/webhooks";
import { expectError } from "../helpers/app";
import { addPackage, count, ledgerInvariants, payApp, sendYooKassa } from "./setup";

const env = payApp();
const { t, yoo } = env;

async function pendingYooPurchase(price = 99000) {
  const u = await t.user();
  const pkg = addPackage(t, { price, seconds: 900 });
  const r = await t.call("POST", "/api/v1/purchases", {
    token: u.token,
    body: { package_id: pkg.id, provider: "yookassa" },
  });
  expect(r.status).toBe(201);
  return { u, purchase: r.body, payment: yoo.paymentOf(r.body.id) };
}

const grantsOf = (purchaseId: number) =>
  count(t, "SELECT count(*) AS n FROM grants WHERE purchase_id = ?", purchaseId);
const row = (purchaseId: number) =>
  t.ctx.sqlite
    .query("SELECT status, failure_reason, provider_ref FROM purchases WHERE id = ?")
    .get(purchaseId) as any;

describe("the notification body is never trusted", () => {
  test("a notification claiming success for a payment the API says is pending -> 200, no credit", async () => {
    const { purchase, payment } = await pendingYooPurchase();
    const r = await sendYooKassa(t, payment.id, { event: "payment.succeeded" });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ received: true, outcome: "pending", purchase_id: purchase.id });
    expect(row(purchase.id).status).toBe("pending");
    expect(grantsOf(purchase.id)).toBe(0);
    // The re-fetch really happened.
    expect(yoo.calls.some((c) => c.method === "GET" && c.path === `/v3/payments/${payment.id}`)).toBe(true);
  });

  test("waiting_for_capture -> pending, no credit", async () => {
    const { purchase, payment } = await pendingYooPurchase();
    yoo.setStatus(payment.id, "waiting_for_capture");
    expect((await sendYooKassa(t, payment.id)).body.outcome).toBe("pending");
    expect(grantsOf(purchase.id)).toBe(0);
  });

  test("the body's amount and status are ignored: only the API's succeeded counts, once", async () => {
    const { u, purchase, payment } = await pendingYooPurchase();
    yoo.setStatus(payment.id, "succeeded");
    const lying = {
      type: "notification",
      event: "payment.canceled",
      object: { id: payment.id, status: "canceled", amount: { value: "1.00", currency: "RUB" } },
    };
    const r = await sendYooKassa(t, payment.id, { body: lying });
    expect(r.body.outcome).toBe("succeeded");
    for (let i = 0; i < 5; i++)
      expect((await sendYooKassa(t, payment.id)).body.outcome).toBe("already_processed");
    expect(grantsOf(purchase.id)).toBe(1);
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(bal.body.remaining_seconds).toBe(900);
  });

  test("amount mismatch at the API -> 200, no credit, purchase failed", async () => {
    const { purchase, payment } = await pendingYooPurchase(99000);
    yoo.setStatus(payment.id, "succeeded");
    yoo.update(payment.id, { amount: { value: "9.90", currency: "RUB" } });
    const r = await sendYooKassa(t, payment.id);
    expect(r.status).toBe(200);
    expect(r.body.outcome).toBe("failed");
    expect(row(purchase.id).status).toBe("failed");
    expect(row(purchase.id).failure_reason).toContain("expected 99000 RUB, provider reported 990 RUB");
    expect(grantsOf(purchase.id)).toBe(0);
  });

  test("currency mismatch at the API -> no credit", async () => {
    const { purchase, payment } = await pendingYooPurchase(99000);
    yoo.setStatus(payment.id, "succeeded");
    yoo.update(payment.id, { amount: { value: "990.00", currency: "USD" } });
    expect((await sendYooKassa(t, payment.id)).body.outcome).toBe("failed");
    expect(grantsOf(purchase.id)).toBe(0);
  });

  test("a payment id YooKassa does not know -> 200 ignored", async () => {
    const r = await sendYooKassa(t, "2d5d7c9a-000f-5000-8000-1b3e6f8a0000");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ received: true, outcome: "ignored" });
  });

  test("canceled at the API -> purchase failed; a later succeeded notification does not credit", async () => {
    const { purchase, payment } = await pendingYooPurchase();
    yoo.setStatus(payment.id, "canceled", "expired_on_confirmation");
    const r = await sendYooKassa(t, payment.id, { event: "payment.canceled" });
    expect(r.body.outcome).toBe("failed");
    expect(row(purchase.id)).toMatchObject({
      status: "failed",
      failure_reason: "yookassa: canceled (expired_on_confirmation)",
    });
    expect((await sendYooKassa(t, payment.id)).body.outcome).toBe("ignored");
    expect(grantsOf(purchase.id)).toBe(0);
  });

  test("YooKassa API unreachable -> 502 provider_unavailable (so it retries); the retry credits", async () => {
    const { purchase, payment } = await pendingYooPurchase();
    yoo.setStatus(payment.id, "succeeded");
    yoo.failNext(2, 500);
    expectError(await sendYooKassa(t, payment.id), 502, "provider_unavailable");
    env.network.down = true;
    try {
      expectError(await sendYooKassa(t, payment.id), 502, "provider_unavailable");
    } finally {
      env.network.down = false;
    }
    expect(grantsOf(purchase.id)).toBe(0);
    expect((await sendYooKassa(t, payment.id)).body.outcome).toBe("succeeded");
    expect(grantsOf(purchase.id)).toBe(1);
  });
});

describe("input", () => {
  test.each([
    ["no object", { type: "notification", event: "payment.succeeded" }],
    ["no object.id", { type: "notification", event: "payment.succeeded", object: {} }],
    ["wrong type", { type: "payment", event: "payment.succeeded", object: { id: "x" } }],
    ["numeric id", { type: "notification", event: "payment.succeeded", object: { id: 5 } }],
  ])("%s -> 400 validation_failed", async (_n, body) => {
    expectError(
      await t.call("POST", "/api/v1/payments/webhooks/yookassa", { body }),
      400,
      "validation_failed",
    );
  });

  test("malformed JSON -> 400 invalid_json", async () => {
    expectError(
      await t.call("POST", "/api/v1/payments/webhooks/yookassa", { raw: "{" }),
      400,
      "invalid_json",
    );
  });

  test("YooKassa not configured -> 404", async () => {
    const { makeTestApp } = await import("../helpers/app");
    const bare = makeTestApp();
    const r = await bare.call("POST", "/api/v1/payments/webhooks/yookassa", {
      body: { type: "notification", event: "payment.succeeded", object: { id: "x" } },
    });
    expectError(r, 404, "not_found");
  });
});

describe("IP allowlist (setting yookassa_ip_allowlist)", () => {
  test("matching addresses and CIDR blocks, IPv4 and IPv6", () => {
    const list = ["185.71.76.0/27", "77.75.156.11", "2a02:5180::/32", "bogus", "1.2.3.4/"];
    expect(ipAllowed(list, "185.71.76.31")).toBe(true);
    expect(ipAllowed(list, "185.71.76.32")).toBe(false);
    expect(ipAllowed(list, "77.75.156.11")).toBe(true);
    expect(ipAllowed(list, "77.75.156.12")).toBe(false);
    expect(ipAllowed(list, "2a02:5180:0:1::5")).toBe(true);
    expect(ipAllowed(list, "::ffff:185.71.76.5")).toBe(true);
    expect(ipAllowed(list, "1.2.3.4")).toBe(false);
    expect(ipAllowed(list, "unknown")).toBe(false);
    expect(ipAllowed([], "1.1.1.1")).toBe(false);
  });

  test("set: a source outside it -> 403 and no API call; inside it -> processed", async () => {
    const proxied = payApp({ TRUST_PROXY: "true" });
    const pt = proxied.t;
    const u = await pt.user();
    const pkg = addPackage(pt, { price: 5000 });
    const r = await pt.call("POST", "/api/v1/purchases", {
      token: u.token,
      body: { package_id: pkg.id, provider: "yookassa" },
    });
    const payment = proxied.yoo.paymentOf(r.body.id);
    proxied.yoo.setStatus(payment.id, "succeeded");
    pt.ctx.settings.setNow({ yookassa_ip_allowlist: ["185.71.76.0/27", "77.75.156.11"] }, pt.clock.now());
    const gets = () => proxied.yoo.calls.filter((c) => c.method === "GET").length;
    const before = gets();
    const outside = await sendYooKassa(pt, payment.id, { headers: { "x-forwarded-for": "203.0.113.7" } });
    expectError(outside, 403, "forbidden");
    expectError(await sendYooKassa(pt, payment.id), 403, "forbidden"); // no address known at all
    expect(gets()).toBe(before);
    const inside = await sendYooKassa(pt, payment.id, { headers: { "x-forwarded-for": "185.71.76.10" } });
    expect(inside.status).toBe(200);
    expect(inside.body.outcome).toBe("succeeded");
    pt.ctx.settings.setNow({ yookassa_ip_allowlist: [] }, pt.clock.now());
    expect(
      (await sendYooKassa(pt, payment.id, { headers: { "x-forwarded-for": "203.0.113.7" } })).status,
    ).toBe(200);
  });
});

test("ledger invariants hold after this file", () => {
  const inv = ledgerInvariants(t);
  for (const s of inv.sums) expect(s.total).toBe(0);
  expect(inv.negativeUsers).toEqual([]);
  expect(inv.drift).toEqual([]);
});
