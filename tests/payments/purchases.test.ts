import { describe, expect, test } from "bun:test";
import { DAY } from "../../src/lib/time";
import {
  balanceOf,
  platformRevenue,
  providerClearing,
  userAvailable,
} from "../../src/modules/ledger/service";
import { expectError, makeTestApp } from "../helpers/app";
import {
  addPackage,
  count,
  fundWallet,
  ledgerInvariants,
  payApp,
  payWithStripe,
  payWithYooKassa,
} from "./setup";

const env = payApp();
const { t, stripe, yoo } = env;

const buy = (token: string, body: unknown) => t.call("POST", "/api/v1/purchases", { token, body });

describe("POST /purchases with stripe", () => {
  test("creates a Checkout Session and answers pending with its url; the webhook grants the minutes", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { name: "100 minutes", seconds: 6000, price: 99000, validityDays: 30 });
    const r = await buy(u.token, { package_id: pkg.id, provider: "stripe" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      kind: "package",
      status: "pending",
      amount: 99000,
      currency: "RUB",
      discount: 0,
      provider: "stripe",
      package_id: pkg.id,
      paid_at: null,
      created_at: "2026-11-22T10:00:00.000Z",
    });
    const session = stripe.sessionOf(r.body.id);
    expect(r.body.confirmation_url).toBe(session.url);

    // What the SDK sent: the contract of DESIGN.md §6.
    const call = stripe.calls.find((c) => c.form.metadata?.purchase_id === String(r.body.id))!;
    expect(call.auth).toBe("Bearer sk_test_x");
    expect(call.idempotencyKey).toStartWith(`souk-purchase-${r.body.id}-`);
    expect(call.form).toMatchObject({
      mode: "payment",
      client_reference_id: String(r.body.id),
      metadata: { purchase_id: String(r.body.id) },
      success_url: `https://souk.example/payments/success?purchase_id=${r.body.id}`,
      cancel_url: `https://souk.example/payments/cancel?purchase_id=${r.body.id}`,
      line_items: [
        {
          quantity: "1",
          price_data: { currency: "rub", unit_amount: "99000", product_data: { name: "100 minutes" } },
        },
      ],
    });

    t.clock.advance(60_000);
    const w = await payWithStripe(env, r.body.id);
    expect(w.status).toBe(200);
    expect(w.body).toEqual({ received: true, outcome: "succeeded", purchase_id: r.body.id });

    const got = await t.call("GET", `/api/v1/purchases/${r.body.id}`, { token: u.token });
    expect(got.body).toMatchObject({ status: "succeeded", paid_at: "2026-11-22T10:01:00.000Z" });
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(bal.body.remaining_seconds).toBe(6000);
    expect(bal.body.grants).toEqual([
      expect.objectContaining({
        package_id: pkg.id,
        total_seconds: 6000,
        purchased_at: "2026-11-22T10:01:00.000Z",
        expires_at: new Date(Date.parse("2026-11-22T10:01:00.000Z") + 30 * DAY).toISOString(),
      }),
    ]);
    expect(
      count(
        t,
        "SELECT count(*) AS n FROM notifications WHERE user_id = ? AND type = 'payment_received'",
        u.id,
      ),
    ).toBe(1);
    expect(
      count(
        t,
        "SELECT count(*) AS n FROM events WHERE type = 'purchase.succeeded' AND subject_id = ?",
        String(r.body.id),
      ),
    ).toBe(1);
    // Telegram delivery is queued only for users with a Telegram id.
    expect(count(t, "SELECT count(*) AS n FROM jobs WHERE type = 'telegram.send'")).toBe(0);
    t.clock.advance(-60_000);
  });

  test("the money moves from stripe clearing to platform revenue once", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { price: 12345, currency: "USD" });
    const before = balanceOf(t.ctx.db, platformRevenue("USD"));
    const r = await buy(u.token, { package_id: pkg.id, provider: "stripe" });
    await payWithStripe(env, r.body.id);
    await payWithStripe(env, r.body.id);
    expect(balanceOf(t.ctx.db, platformRevenue("USD")) - before).toBe(12345);
    expect(
      count(
        t,
        "SELECT count(*) AS n FROM ledger_transfers WHERE idempotency_key = ?",
        `purchase:${r.body.id}:payment`,
      ),
    ).toBe(1);
    expect(balanceOf(t.ctx.db, providerClearing("stripe", "USD"))).toBeLessThanOrEqual(-12345);
  });
});

describe("POST /purchases with yookassa", () => {
  test("creates a payment (Basic auth, Idempotence-Key, amount as a decimal string) and credits after re-fetch", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { name: "Hour", seconds: 3600, price: 99000, validityDays: 7 });
    const r = await buy(u.token, { package_id: pkg.id, provider: "yookassa" });
    expect(r.status).toBe(201);
    const payment = yoo.paymentOf(r.body.id);
    expect(r.body).toMatchObject({
      status: "pending",
      provider: "yookassa",
      confirmation_url: payment.confirmation.confirmation_url,
    });
    const call = yoo.calls.find(
      (c) => c.method === "POST" && c.body.metadata.purchase_id === String(r.body.id),
    )!;
    expect(call.auth).toBe(`Basic ${Buffer.from("123456:test_secret").toString("base64")}`);
    expect(call.idempotenceKey).toStartWith(`souk-purchase-${r.body.id}-`);
    expect(call.body).toMatchObject({
      amount: { value: "990.00", currency: "RUB" },
      capture: true,
      confirmation: {
        type: "redirect",
        return_url: `https://souk.example/payments/return?purchase_id=${r.body.id}`,
      },
      metadata: { purchase_id: String(r.body.id) },
    });

    const w = await payWithYooKassa(env, r.body.id);
    expect(w.status).toBe(200);
    expect(w.body.outcome).toBe("succeeded");
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(bal.body.remaining_seconds).toBe(3600);
    expect(balanceOf(t.ctx.db, providerClearing("yookassa", "RUB"))).toBeLessThanOrEqual(-99000);
  });

  test("kopecks survive the decimal round trip exactly", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { price: 1005 }); // 10.05 RUB: 10.05 * 100 is 1004.9999999999999 in floats
    const r = await buy(u.token, { package_id: pkg.id, provider: "yookassa" });
    expect(yoo.paymentOf(r.body.id).amount.value).toBe("10.05");
    expect((await payWithYooKassa(env, r.body.id)).body.outcome).toBe("succeeded");
  });
});

describe("POST /purchases with the wallet", () => {
  test("pays at once from the wallet and grants the minutes in the same transaction", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { seconds: 1800, price: 50000, validityDays: 10 });
    fundWallet(t, u.id, 70000);
    const rev = balanceOf(t.ctx.db, platformRevenue("RUB"));
    const r = await buy(u.token, { package_id: pkg.id, provider: "wallet" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      status: "succeeded",
      provider: "wallet",
      amount: 50000,
      paid_at: "2026-11-22T10:00:00.000Z",
    });
    expect(r.body).not.toHaveProperty("confirmation_url");
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(20000);
    expect(balanceOf(t.ctx.db, platformRevenue("RUB")) - rev).toBe(50000);
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(bal.body.remaining_seconds).toBe(1800);
    expect(bal.body.grants[0].expires_at).toBe(new Date(t.clock.now() + 10 * DAY).toISOString());
    expect(bal.body.wallet).toEqual({ available: 20000, held: 0, currency: "RUB" });
  });

  test("402 insufficient_funds changes nothing (no purchase, no grant, no transfer)", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { price: 50000 });
    fundWallet(t, u.id, 49999);
    const before = {
      purchases: count(t, "SELECT count(*) AS n FROM purchases"),
      grants: count(t, "SELECT count(*) AS n FROM grants"),
      transfers: count(t, "SELECT count(*) AS n FROM ledger_transfers"),
      events: count(t, "SELECT count(*) AS n FROM events"),
    };
    const e = expectError(
      await buy(u.token, { package_id: pkg.id, provider: "wallet" }),
      402,
      "insufficient_funds",
    );
    expect(e.details).toMatchObject({ available: 49999, required: 50000 });
    expect({
      purchases: count(t, "SELECT count(*) AS n FROM purchases"),
      grants: count(t, "SELECT count(*) AS n FROM grants"),
      transfers: count(t, "SELECT count(*) AS n FROM ledger_transfers"),
      events: count(t, "SELECT count(*) AS n FROM events"),
    }).toEqual(before);
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(49999);
  });

  test("a wallet in another currency does not pay", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { price: 1000, currency: "EUR" });
    fundWallet(t, u.id, 100000, "RUB");
    expectError(await buy(u.token, { package_id: pkg.id, provider: "wallet" }), 402, "insufficient_funds");
  });
});

describe("GET /purchases", () => {
  test("lists only the caller's purchases, newest first, paginated", async () => {
    const u = await t.user();
    const other = await t.user();
    const pkg = addPackage(t, { price: 100 });
    fundWallet(t, u.id, 1000);
    fundWallet(t, other.id, 1000);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await buy(u.token, { package_id: pkg.id, provider: "wallet" })).body.id);
    await buy(other.token, { package_id: pkg.id, provider: "wallet" });
    const p1 = await t.call("GET", "/api/v1/purchases?page_size=2", { token: u.token });
    expect(p1.status).toBe(200);
    expect(p1.body.count).toBe(3);
    expect(p1.body.results.map((p: any) => p.id)).toEqual([ids[2], ids[1]]);
    expect(p1.body.next).toBe("/api/v1/purchases?page_size=2&page=2");
    const p2 = await t.call("GET", "/api/v1/purchases?page=2&page_size=2", { token: u.token });
    expect(p2.body.results.map((p: any) => p.id)).toEqual([ids[0]]);
    expect(p2.body.previous).not.toBeNull();
    const filtered = await t.call("GET", "/api/purchases/?status=pending", { token: u.token });
    expect(filtered.body.count).toBe(0);
  });

  test("GET /purchases/{id} of someone else's purchase -> 404; unknown -> 404", async () => {
    const u = await t.user();
    const other = await t.user();
    const pkg = addPackage(t);
    const r = await buy(u.token, { package_id: pkg.id, provider: "stripe" });
    expectError(
      await t.call("GET", `/api/v1/purchases/${r.body.id}`, { token: other.token }),
      404,
      "not_found",
    );
    expectError(await t.call("GET", "/api/v1/purchases/999999", { token: u.token }), 404, "not_found");
    expectError(await t.call("GET", "/api/v1/purchases/abc", { token: u.token }), 400, "validation_failed");
    expect((await t.call("GET", `/api/purchases/${r.body.id}/`, { token: u.token })).status).toBe(200);
  });
});

describe("bad input", () => {
  test("unknown package 404, inactive package 404", async () => {
    const u = await t.user();
    expectError(await buy(u.token, { package_id: 987654, provider: "stripe" }), 404, "not_found");
    const off = addPackage(t, { isActive: false });
    expectError(await buy(u.token, { package_id: off.id, provider: "stripe" }), 404, "not_found");
    expectError(await buy(u.token, { package_id: off.id, provider: "wallet" }), 404, "not_found");
  });

  test.each([
    ["an unknown provider", { provider: "paypal" }, "json.provider"],
    ["no provider", { provider: undefined }, "json.provider"],
    ["a string package id", { package_id: "1" }, "json.package_id"],
    ["a fractional package id", { package_id: 1.5 }, "json.package_id"],
    ["a negative package id", { package_id: -1 }, "json.package_id"],
    ["an unknown field", { extra: 1 }, "json"],
    ["an empty promo code", { promo_code: "" }, "json.promo_code"],
  ])("%s -> 400 validation_failed", async (_name, patch, path) => {
    const u = await t.user();
    const pkg = addPackage(t);
    const r = await buy(u.token, { package_id: pkg.id, provider: "stripe", ...patch });
    const e = expectError(r, 400, "validation_failed");
    expect(e.details.issues.some((i: any) => i.path.startsWith(path))).toBe(true);
  });

  test("malformed JSON -> 400 invalid_json; no auth -> 401", async () => {
    const u = await t.user();
    expectError(
      await t.call("POST", "/api/v1/purchases", { token: u.token, raw: "{oops" }),
      400,
      "invalid_json",
    );
    expectError(
      await t.call("POST", "/api/v1/purchases", { body: { package_id: 1, provider: "wallet" } }),
      401,
      "unauthenticated",
    );
    expectError(await t.call("GET", "/api/v1/purchases"), 401, "unauthenticated");
    expectError(await t.call("GET", "/api/v1/purchases/1"), 401, "unauthenticated");
  });

  test("an API key without a purchases scope -> 403", async () => {
    const u = await t.user();
    const k = await t.call("POST", "/api/v1/me/api-keys", {
      token: u.token,
      body: { name: "ro", scopes: ["balance:read"] },
    });
    const pkg = addPackage(t);
    expectError(await buy(k.body.key, { package_id: pkg.id, provider: "wallet" }), 403, "forbidden");
  });

  test("a provider that is not configured -> 400 on json.provider and nothing written", async () => {
    const bare = makeTestApp();
    const u = await bare.user();
    const pkg = addPackage(bare);
    for (const provider of ["stripe", "yookassa"]) {
      const e = expectError(
        await bare.call("POST", "/api/v1/purchases", {
          token: u.token,
          body: { package_id: pkg.id, provider },
        }),
        400,
        "validation_failed",
      );
      expect(e.details.issues[0].path).toBe("json.provider");
    }
    expect(count(bare, "SELECT count(*) AS n FROM purchases")).toBe(0);
  });
});

describe("provider failures", () => {
  test("Stripe answering 500 twice (one SDK retry) -> 502 provider_unavailable, purchase failed", async () => {
    const u = await t.user();
    const pkg = addPackage(t);
    stripe.failNext(2, 500);
    const e = expectError(
      await buy(u.token, { package_id: pkg.id, provider: "stripe" }),
      502,
      "provider_unavailable",
    );
    const row = t.ctx.sqlite
      .query("SELECT status, failure_reason FROM purchases WHERE id = ?")
      .get(e.details.purchase_id) as any;
    expect(row.status).toBe("failed");
    expect(row.failure_reason).toStartWith("provider_unavailable");
  });

  test("Stripe answering 500 once is retried by the SDK with the same Idempotency-Key", async () => {
    const u = await t.user();
    const pkg = addPackage(t);
    stripe.failNext(1, 500);
    const r = await buy(u.token, { package_id: pkg.id, provider: "stripe" });
    expect(r.status).toBe(201);
    const keys = stripe.calls
      .filter((c) => c.form.metadata?.purchase_id === String(r.body.id))
      .map((c) => c.idempotencyKey);
    expect(keys.length).toBe(2);
    expect(keys[0]).toBe(keys[1]!);
  });

  test("network down -> 502 for both providers; the purchases are failed", async () => {
    const u = await t.user();
    const pkg = addPackage(t);
    env.network.down = true;
    try {
      for (const provider of ["stripe", "yookassa"]) {
        const e = expectError(
          await buy(u.token, { package_id: pkg.id, provider }),
          502,
          "provider_unavailable",
        );
        expect(e.details.provider).toBe(provider);
      }
    } finally {
      env.network.down = false;
    }
    const rows = await t.call("GET", "/api/v1/purchases", { token: u.token });
    expect(rows.body.results.map((p: any) => p.status)).toEqual(["failed", "failed"]);
  });

  test("YooKassa 500 twice -> 502; once -> retried with the same Idempotence-Key, one payment", async () => {
    const u = await t.user();
    const pkg = addPackage(t);
    yoo.failNext(2, 500);
    expectError(
      await buy(u.token, { package_id: pkg.id, provider: "yookassa" }),
      502,
      "provider_unavailable",
    );
    yoo.failNext(1, 503);
    const r = await buy(u.token, { package_id: pkg.id, provider: "yookassa" });
    expect(r.status).toBe(201);
    const keys = yoo.calls
      .filter((c) => c.body?.metadata?.purchase_id === String(r.body.id))
      .map((c) => c.idempotenceKey);
    expect(keys.length).toBe(2);
    expect(keys[0]).toBe(keys[1]!);
  });

  test("wrong credentials at the provider are a provider failure too (502)", async () => {
    const bad = payApp({ YOOKASSA_SECRET_KEY: "wrong", STRIPE_SECRET_KEY: "sk_test_wrong" });
    const u = await bad.t.user();
    const pkg = addPackage(bad.t);
    for (const provider of ["stripe", "yookassa"]) {
      expectError(
        await bad.t.call("POST", "/api/v1/purchases", {
          token: u.token,
          body: { package_id: pkg.id, provider },
        }),
        502,
        "provider_unavailable",
      );
    }
    // The provider's own error text (it may describe our credentials) is not shown to the user.
    const list = await bad.t.call("GET", "/api/v1/purchases", { token: u.token });
    expect(list.body.results.map((p: any) => p.failure_reason).sort()).toEqual([
      "provider_unavailable: stripe could not be reached",
      "provider_unavailable: yookassa could not be reached",
    ]);
    expect(JSON.stringify(list.body)).not.toContain("sk_test");
  });
});

test("Idempotency-Key on POST /purchases replays the first answer (one purchase, one session)", async () => {
  const u = await t.user();
  const pkg = addPackage(t);
  const headers = { "idempotency-key": `buy-${u.id}` };
  const a = await t.call("POST", "/api/v1/purchases", {
    token: u.token,
    body: { package_id: pkg.id, provider: "stripe" },
    headers,
  });
  const b = await t.call("POST", "/api/v1/purchases", {
    token: u.token,
    body: { package_id: pkg.id, provider: "stripe" },
    headers,
  });
  expect(b.status).toBe(201);
  expect(b.headers.get("idempotent-replayed")).toBe("true");
  expect(b.body).toEqual(a.body);
  expect(count(t, "SELECT count(*) AS n FROM purchases WHERE user_id = ?", u.id)).toBe(1);
});

test("ledger invariants hold after this file", () => {
  const inv = ledgerInvariants(t);
  for (const s of inv.sums) expect(s.total).toBe(0);
  expect(inv.negativeUsers).toEqual([]);
  expect(inv.drift).toEqual([]);
});
