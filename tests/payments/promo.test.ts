import { describe, expect, test } from "bun:test";
import { DAY } from "../../src/lib/time";
import { balanceOf, platformRevenue, userAvailable } from "../../src/modules/ledger/service";
import { expectError } from "../helpers/app";
import {
  addPackage,
  addPromo,
  count,
  fundWallet,
  ledgerInvariants,
  payApp,
  payWithStripe,
  sendStripe,
} from "./setup";

const env = payApp();
const { t, stripe } = env;

const buy = (token: string, body: Record<string, unknown>) =>
  t.call("POST", "/api/v1/purchases", { token, body });
const redemptions = (id: number) =>
  (t.ctx.sqlite.query("SELECT redemptions FROM promo_codes WHERE id = ?").get(id) as any).redemptions;
let seq = 0;
const code = (prefix: string) => `${prefix}${++seq}`;

describe("discounts", () => {
  test("percent off: the provider is asked for the discounted amount and the webhook must match it", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { price: 99000 });
    const promo = addPromo(t, { code: code("PCT"), percentOff: 20 });
    const r = await buy(u.token, {
      package_id: pkg.id,
      provider: "stripe",
      promo_code: promo.code.toLowerCase(),
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ amount: 79200, discount: 19800, status: "pending" });
    expect(stripe.sessionOf(r.body.id).amount_total).toBe(79200);
    expect(redemptions(promo.id)).toBe(1);
    // Paying the undiscounted price is a mismatch like any other.
    expect((await payWithStripe(env, r.body.id, { amount_total: 99000 })).body.outcome).toBe("failed");
    expect(redemptions(promo.id)).toBe(0);
    const r2 = await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code });
    expect((await payWithStripe(env, r2.body.id)).body.outcome).toBe("succeeded");
    expect(redemptions(promo.id)).toBe(1);
  });

  test("percent off rounds the discount down (never a fraction of a kopeck)", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { price: 999 });
    const promo = addPromo(t, { code: code("ODD"), percentOff: 15 });
    const r = await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code });
    expect(r.body).toMatchObject({ discount: 149, amount: 850 });
  });

  test("amount off in the package currency; another currency -> 400", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { price: 99000, currency: "RUB" });
    const rub = addPromo(t, { code: code("RUB"), amountOff: 10000, currency: "RUB" });
    const r = await buy(u.token, { package_id: pkg.id, provider: "yookassa", promo_code: rub.code });
    expect(r.body).toMatchObject({ amount: 89000, discount: 10000 });
    expect(env.yoo.paymentOf(r.body.id).amount.value).toBe("890.00");
    const usd = addPromo(t, { code: code("USD"), amountOff: 100, currency: "USD" });
    const e = expectError(
      await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: usd.code }),
      400,
      "validation_failed",
    );
    expect(e.details.issues[0].path).toBe("json.promo_code");
  });

  test("a 100% discount succeeds at once without calling a provider", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { price: 5000, seconds: 1200 });
    const promo = addPromo(t, { code: code("FREE"), percentOff: 100 });
    const calls = stripe.calls.length;
    const rev = balanceOf(t.ctx.db, platformRevenue("RUB"));
    const r = await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      status: "succeeded",
      amount: 0,
      discount: 5000,
      paid_at: "2026-11-22T10:00:00.000Z",
    });
    expect(r.body).not.toHaveProperty("confirmation_url");
    expect(stripe.calls.length).toBe(calls);
    expect(balanceOf(t.ctx.db, platformRevenue("RUB"))).toBe(rev);
    expect(
      count(t, "SELECT count(*) AS n FROM ledger_transfers WHERE reference_id = ?", String(r.body.id)),
    ).toBe(0);
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(bal.body.remaining_seconds).toBe(1200);
  });

  test("an amount off larger than the price is capped at the price (free, never negative)", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { price: 3000 });
    const promo = addPromo(t, { code: code("BIG"), amountOff: 999999, currency: "RUB" });
    const r = await buy(u.token, { package_id: pkg.id, provider: "wallet", promo_code: promo.code });
    expect(r.body).toMatchObject({ status: "succeeded", amount: 0, discount: 3000 });
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(0);
  });

  test("a promo for another package -> 400", async () => {
    const u = await t.user();
    const a = addPackage(t);
    const b = addPackage(t);
    const promo = addPromo(t, { code: code("PKG"), percentOff: 10, packageId: a.id });
    expectError(
      await buy(u.token, { package_id: b.id, provider: "stripe", promo_code: promo.code }),
      400,
      "validation_failed",
    );
    expect(
      (await buy(u.token, { package_id: a.id, provider: "stripe", promo_code: promo.code })).status,
    ).toBe(201);
  });

  test("unknown and inactive codes -> 400 on json.promo_code", async () => {
    const u = await t.user();
    const pkg = addPackage(t);
    const off = addPromo(t, { code: code("OFF"), percentOff: 10, isActive: false });
    for (const c of ["NOPE", off.code]) {
      const e = expectError(
        await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: c }),
        400,
        "validation_failed",
      );
      expect(e.details.issues[0].path).toBe("json.promo_code");
    }
  });
});

describe("limits", () => {
  test("cap (max_redemptions): the next user is refused; a failed purchase gives its redemption back", async () => {
    const pkg = addPackage(t);
    const promo = addPromo(t, { code: code("CAP"), percentOff: 10, maxRedemptions: 2 });
    const [a, b, c] = [await t.user(), await t.user(), await t.user()];
    const ra = await buy(a.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code });
    await buy(b.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code });
    const e = expectError(
      await buy(c.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code }),
      400,
      "validation_failed",
    );
    expect(e.details.issues[0].message).toContain("used up");
    await sendStripe(t, stripe.event("checkout.session.expired", stripe.sessionOf(ra.body.id).id));
    expect(redemptions(promo.id)).toBe(1);
    expect(
      (await buy(c.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code })).status,
    ).toBe(201);
  });

  test("expiry window follows the injected clock", async () => {
    const u = await t.user();
    const pkg = addPackage(t);
    const now = t.clock.now();
    const promo = addPromo(t, {
      code: code("WIN"),
      percentOff: 10,
      validFrom: now + DAY,
      validUntil: now + 2 * DAY,
      perUserLimit: 5,
    });
    const early = expectError(
      await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code }),
      400,
      "validation_failed",
    );
    expect(early.details.issues[0].message).toContain("not valid yet");
    t.clock.advance(DAY);
    try {
      expect(
        (await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code })).status,
      ).toBe(201);
      t.clock.advance(DAY);
      const late = expectError(
        await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code }),
        400,
        "validation_failed",
      );
      expect(late.details.issues[0].message).toContain("expired");
    } finally {
      t.clock.set(now);
    }
  });

  test("per-user limit: the same user twice -> 400; another user is fine; a failed purchase does not count", async () => {
    const pkg = addPackage(t);
    const promo = addPromo(t, { code: code("ONCE"), percentOff: 10, perUserLimit: 1 });
    const u = await t.user();
    const first = await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code });
    const e = expectError(
      await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code }),
      400,
      "validation_failed",
    );
    expect(e.details.issues[0].message).toContain("already used");
    const other = await t.user();
    expect(
      (await buy(other.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code })).status,
    ).toBe(201);
    await sendStripe(t, stripe.event("checkout.session.expired", stripe.sessionOf(first.body.id).id));
    expect(
      (await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code })).status,
    ).toBe(201);
  });

  test("a refunded purchase still counts against the per-user limit", async () => {
    const admin = await t.user("admin");
    const pkg = addPackage(t);
    const promo = addPromo(t, { code: code("REF"), percentOff: 10 });
    const u = await t.user();
    const r = await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code });
    await payWithStripe(env, r.body.id);
    await t.call("POST", `/api/v1/admin/purchases/${r.body.id}/refund`, {
      token: admin.token,
      body: { reason: "x" },
    });
    expectError(
      await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code }),
      400,
      "validation_failed",
    );
  });

  test("402 on a wallet purchase with a promo reserves nothing", async () => {
    const u = await t.user();
    const pkg = addPackage(t, { price: 10000 });
    const promo = addPromo(t, { code: code("W"), percentOff: 50 });
    fundWallet(t, u.id, 4999);
    expectError(
      await buy(u.token, { package_id: pkg.id, provider: "wallet", promo_code: promo.code }),
      402,
      "insufficient_funds",
    );
    expect(redemptions(promo.id)).toBe(0);
    fundWallet(t, u.id, 1);
    expect(
      (await buy(u.token, { package_id: pkg.id, provider: "wallet", promo_code: promo.code })).body.status,
    ).toBe("succeeded");
    expect(redemptions(promo.id)).toBe(1);
  });

  test("a provider failure gives the redemption back", async () => {
    const u = await t.user();
    const pkg = addPackage(t);
    const promo = addPromo(t, { code: code("DOWN"), percentOff: 10 });
    stripe.failNext(2, 500);
    expectError(
      await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code }),
      502,
      "provider_unavailable",
    );
    expect(redemptions(promo.id)).toBe(0);
    expect(
      (await buy(u.token, { package_id: pkg.id, provider: "stripe", promo_code: promo.code })).status,
    ).toBe(201);
  });
});

test("ledger invariants hold after this file", () => {
  const inv = ledgerInvariants(t);
  for (const s of inv.sums) expect(s.total).toBe(0);
  expect(inv.negativeUsers).toEqual([]);
  expect(inv.drift).toEqual([]);
});
