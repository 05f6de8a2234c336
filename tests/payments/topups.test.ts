import { describe, expect, test } from "bun:test";
import { balanceOf, providerClearing, userAvailable } from "../../src/modules/ledger/service";
import { expectError } from "../helpers/app";
import {
  addPackage,
  count,
  ledgerInvariants,
  payApp,
  payWithStripe,
  payWithYooKassa,
  sendStripe,
} from "./setup";

const env = payApp();
const { t, stripe, yoo } = env;

const topup = (token: string | undefined, body: unknown) =>
  t.call("POST", "/api/v1/wallet/topups", { token, body });

describe("POST /wallet/topups", () => {
  test("stripe: pending with a Checkout url; the webhook credits the wallet (provider clearing -> available)", async () => {
    const u = await t.user();
    const r = await topup(u.token, { amount: 150000, provider: "stripe" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      kind: "topup",
      status: "pending",
      amount: 150000,
      currency: "RUB",
      provider: "stripe",
      package_id: null,
      discount: 0,
    });
    expect(r.body.confirmation_url).toBe(stripe.sessionOf(r.body.id).url);
    expect(stripe.sessionOf(r.body.id).line_items_input).toMatchObject([
      { price_data: { currency: "rub", unit_amount: "150000", product_data: { name: "Wallet top-up" } } },
    ]);
    const clearing = balanceOf(t.ctx.db, providerClearing("stripe", "RUB"));
    expect((await payWithStripe(env, r.body.id)).body.outcome).toBe("succeeded");
    expect((await payWithStripe(env, r.body.id)).body.outcome).toBe("already_processed");
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(150000);
    expect(balanceOf(t.ctx.db, providerClearing("stripe", "RUB"))).toBe(clearing - 150000);
    const wallet = await t.call("GET", "/api/v1/wallet", { token: u.token });
    expect(wallet.body).toMatchObject({ available: 150000, held: 0, currency: "RUB" });
    expect(wallet.body.transfers[0]).toMatchObject({
      kind: "payment",
      direction: "in",
      amount: 150000,
      reference_type: "purchase",
    });
    // A top-up never creates minutes.
    expect(count(t, "SELECT count(*) AS n FROM grants WHERE purchase_id = ?", r.body.id)).toBe(0);
    expect(
      count(
        t,
        "SELECT count(*) AS n FROM notifications WHERE user_id = ? AND type = 'payment_received'",
        u.id,
      ),
    ).toBe(1);
  });

  test("yookassa in USD: amount as a decimal string, credited after the re-fetch; the wallet then buys a package", async () => {
    const u = await t.user();
    const r = await topup(u.token, { amount: 2599, currency: "USD", provider: "yookassa" });
    expect(r.status).toBe(201);
    expect(yoo.paymentOf(r.body.id).amount).toEqual({ value: "25.99", currency: "USD" });
    expect((await payWithYooKassa(env, r.body.id)).body.outcome).toBe("succeeded");
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "USD"))).toBe(2599);

    const pkg = addPackage(t, { price: 2000, currency: "USD", seconds: 120 });
    const buy = await t.call("POST", "/api/v1/purchases", {
      token: u.token,
      body: { package_id: pkg.id, provider: "wallet" },
    });
    expect(buy.body.status).toBe("succeeded");
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "USD"))).toBe(599);
  });

  test("an expired top-up session credits nothing", async () => {
    const u = await t.user();
    const r = await topup(u.token, { amount: 1000, provider: "stripe" });
    await sendStripe(t, stripe.event("checkout.session.expired", stripe.sessionOf(r.body.id).id));
    expect((await payWithStripe(env, r.body.id)).body.outcome).toBe("ignored");
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(0);
  });

  test("top-ups are listed with purchases and filterable by kind", async () => {
    const u = await t.user();
    await topup(u.token, { amount: 1000, provider: "stripe" });
    const list = await t.call("GET", "/api/v1/purchases?kind=topup", { token: u.token });
    expect(list.body.count).toBe(1);
    expect(list.body.results[0].kind).toBe("topup");
    expect((await t.call("GET", "/api/v1/purchases?kind=package", { token: u.token })).body.count).toBe(0);
  });

  test.each([
    ["a negative amount", { amount: -100, provider: "stripe" }, "json.amount"],
    ["a zero amount", { amount: 0, provider: "stripe" }, "json.amount"],
    ["a fractional amount", { amount: 10.5, provider: "stripe" }, "json.amount"],
    ["a string amount", { amount: "100", provider: "stripe" }, "json.amount"],
    ["an absurd amount", { amount: 10_000_001, provider: "stripe" }, "json.amount"],
    ["the wallet as provider", { amount: 100, provider: "wallet" }, "json.provider"],
    ["an unknown provider", { amount: 100, provider: "cash" }, "json.provider"],
    ["a lower-case currency", { amount: 100, currency: "rub", provider: "stripe" }, "json.currency"],
    ["a promo code", { amount: 100, provider: "stripe", promo_code: "X" }, "json"],
  ])("%s -> 400 validation_failed", async (_n, body, path) => {
    const u = await t.user();
    const e = expectError(await topup(u.token, body), 400, "validation_failed");
    expect(e.details.issues.some((i: any) => i.path.startsWith(path))).toBe(true);
  });

  test("no auth -> 401; a key without wallet scope -> 403", async () => {
    expectError(await topup(undefined, { amount: 100, provider: "stripe" }), 401, "unauthenticated");
    const u = await t.user();
    const k = await t.call("POST", "/api/v1/me/api-keys", {
      token: u.token,
      body: { name: "ro", scopes: ["balance:read"] },
    });
    expectError(await topup(k.body.key, { amount: 100, provider: "stripe" }), 403, "forbidden");
  });

  test("provider down -> 502 and the top-up is failed", async () => {
    const u = await t.user();
    yoo.failNext(2, 500);
    const e = expectError(
      await topup(u.token, { amount: 100, provider: "yookassa" }),
      502,
      "provider_unavailable",
    );
    const got = await t.call("GET", `/api/v1/purchases/${e.details.purchase_id}`, { token: u.token });
    expect(got.body.status).toBe("failed");
  });
});

test("ledger invariants hold after this file", () => {
  const inv = ledgerInvariants(t);
  for (const s of inv.sums) expect(s.total).toBe(0);
  expect(inv.negativeUsers).toEqual([]);
  expect(inv.drift).toEqual([]);
});
