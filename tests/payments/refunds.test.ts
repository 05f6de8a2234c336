import { describe, expect, test } from "bun:test";
import { balanceOf, platformRevenue, userAvailable } from "../../src/modules/ledger/service";
import { proratedAmount } from "../../src/modules/payments/refunds";
import { expectError } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";
import { addPackage, count, fundWallet, ledgerInvariants, payApp, payWithStripe } from "./setup";

const env = payApp();
const { t } = env;

const refund = (token: string | undefined, id: number, body: unknown = { reason: "customer asked" }) =>
  t.call("POST", `/api/v1/admin/purchases/${id}/refund`, { token, body });

async function paidStripePurchase(price = 99000, seconds = 3600) {
  const u = await t.user();
  const pkg = addPackage(t, { price, seconds });
  const r = await t.call("POST", "/api/v1/purchases", {
    token: u.token,
    body: { package_id: pkg.id, provider: "stripe" },
  });
  expect((await payWithStripe(env, r.body.id)).body.outcome).toBe("succeeded");
  return { u, pkg, purchase: r.body };
}

describe("POST /admin/purchases/{id}/refund", () => {
  test("revokes the unspent seconds, credits the amount to the wallet, audits; a second refund -> 409", async () => {
    const admin = await t.user("admin");
    const { u, purchase } = await paidStripePurchase(99000, 3600);
    // The user spends 60 s of the grant first.
    const used = await t.call("POST", "/api/v1/usage/record", {
      token: u.token,
      body: { id: "u-1", seconds: 60 },
    });
    expect(used.status).toBe(201);
    const revenue = balanceOf(t.ctx.db, platformRevenue("RUB"));

    const r = await refund(admin.token, purchase.id);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: purchase.id,
      status: "refunded",
      refunded_at: "2026-11-22T10:00:00.000Z",
    });
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(99000);
    expect(revenue - balanceOf(t.ctx.db, platformRevenue("RUB"))).toBe(99000);
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(bal.body.remaining_seconds).toBe(0);
    expect(bal.body.wallet.available).toBe(99000);
    const grant = t.ctx.sqlite
      .query("SELECT status, remaining_seconds FROM grants WHERE purchase_id = ?")
      .get(purchase.id);
    expect(grant).toEqual({ status: "revoked", remaining_seconds: 0 });
    const audit = t.ctx.sqlite
      .query("SELECT actor_id, action, target_id, details FROM audit_log WHERE action = 'purchase.refund'")
      .get() as any;
    expect(audit).toMatchObject({ actor_id: admin.id, target_id: String(purchase.id) });
    expect(JSON.parse(audit.details)).toMatchObject({
      reason: "customer asked",
      amount: 99000,
      revoked_seconds: 3600 - 60,
    });
    expect(
      count(
        t,
        "SELECT count(*) AS n FROM events WHERE type = 'purchase.refunded' AND subject_id = ?",
        String(purchase.id),
      ),
    ).toBe(1);
    expect(
      count(
        t,
        "SELECT count(*) AS n FROM ledger_transfers WHERE idempotency_key = ?",
        `purchase:${purchase.id}:refund`,
      ),
    ).toBe(1);

    const again = expectError(await refund(admin.token, purchase.id), 409, "invalid_transition");
    expect(again.details).toEqual({ from: "refunded", to: "refunded" });
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(99000);
    // The user sees it refunded.
    const mine = await t.call("GET", `/api/v1/purchases/${purchase.id}`, { token: u.token });
    expect(mine.body.status).toBe("refunded");
  });

  test("a wallet purchase refunds to the wallet too", async () => {
    const admin = await t.user("admin");
    const u = await t.user();
    const pkg = addPackage(t, { price: 3000 });
    fundWallet(t, u.id, 3000);
    const p = await t.call("POST", "/api/v1/purchases", {
      token: u.token,
      body: { package_id: pkg.id, provider: "wallet" },
    });
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(0);
    expect((await refund(admin.token, p.body.id)).status).toBe(200);
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(3000);
  });

  test("only the refunded grant loses seconds; other grants stay", async () => {
    const admin = await t.user("admin");
    const { u, purchase } = await paidStripePurchase(1000, 600);
    grantSeconds(t, u.id, 300);
    await refund(admin.token, purchase.id);
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(bal.body.remaining_seconds).toBe(300);
  });

  test("pending and failed purchases -> 409 invalid_transition; top-ups -> 409 conflict", async () => {
    const admin = await t.user("admin");
    const u = await t.user();
    const pkg = addPackage(t);
    const pending = await t.call("POST", "/api/v1/purchases", {
      token: u.token,
      body: { package_id: pkg.id, provider: "stripe" },
    });
    const e = expectError(await refund(admin.token, pending.body.id), 409, "invalid_transition");
    expect(e.details).toEqual({ from: "pending", to: "refunded" });
    const top = await t.call("POST", "/api/v1/wallet/topups", {
      token: u.token,
      body: { amount: 500, provider: "stripe" },
    });
    await payWithStripe(env, top.body.id);
    expectError(await refund(admin.token, top.body.id), 409, "conflict");
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(500);
  });

  test("a client (even the buyer) -> 403; support -> 403; no auth -> 401; unknown id -> 404", async () => {
    const { u, purchase } = await paidStripePurchase();
    expectError(await refund(u.token, purchase.id), 403, "forbidden");
    const support = await t.user("support");
    expectError(await refund(support.token, purchase.id), 403, "forbidden");
    const expert = await t.user("expert");
    expectError(await refund(expert.token, purchase.id), 403, "forbidden");
    expectError(await refund(undefined, purchase.id), 401, "unauthenticated");
    const admin = await t.user("admin");
    expectError(await refund(admin.token, 999999), 404, "not_found");
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(0);
  });

  test("staff granted purchases:refund may refund", async () => {
    const { purchase } = await paidStripePurchase(700);
    const staff = await t.user("support", { grantedPermissions: ["purchases:refund"] });
    expect((await refund(staff.token, purchase.id)).status).toBe(200);
  });

  test.each([
    ["no reason", {}],
    ["an empty reason", { reason: "  " }],
    ["a numeric reason", { reason: 5 }],
  ])("%s -> 400", async (_n, body) => {
    const admin = await t.user("admin");
    const { purchase } = await paidStripePurchase();
    expectError(await refund(admin.token, purchase.id, body), 400, "validation_failed");
  });
});

describe("POST /admin/purchases/{id}/refund {prorate: true}", () => {
  const grantOf = (purchaseId: number) =>
    t.ctx.sqlite
      .query("SELECT status, remaining_seconds, expires_at FROM grants WHERE purchase_id = ?")
      .get(purchaseId) as { status: string; remaining_seconds: number; expires_at: number };
  const use = (token: string, id: string, seconds: number) =>
    t.call("POST", "/api/v1/usage/record", { token, body: { id, seconds } });

  test("refunds floor(amount * remaining / total) and expires the grant; audited, notified", async () => {
    const admin = await t.user("admin");
    const { u, purchase } = await paidStripePurchase(99000, 3600);
    expect((await use(u.token, "p-1", 60)).status).toBe(201);
    const revenue = balanceOf(t.ctx.db, platformRevenue("RUB"));
    t.clock.advance(60_000);

    const r = await refund(admin.token, purchase.id, { reason: "unused minutes back", prorate: true });
    expect(r.status).toBe(200);
    // 99000 * 3540 / 3600 = 97350 exactly.
    expect(r.body).toMatchObject({
      id: purchase.id,
      status: "refunded",
      refund: {
        amount: 97350,
        currency: "RUB",
        prorated: true,
        remaining_seconds: 3540,
        total_seconds: 3600,
      },
    });
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(97350);
    expect(revenue - balanceOf(t.ctx.db, platformRevenue("RUB"))).toBe(97350);
    expect(grantOf(purchase.id)).toEqual({
      status: "expired",
      remaining_seconds: 0,
      expires_at: t.clock.now(),
    });
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(bal.body.remaining_seconds).toBe(0);
    expect(bal.body.grants).toEqual([]);
    const audit = t.ctx.sqlite
      .query("SELECT details FROM audit_log WHERE action = 'purchase.refund' AND target_id = ?")
      .get(String(purchase.id)) as any;
    expect(JSON.parse(audit.details)).toMatchObject({
      reason: "unused minutes back",
      amount: 99000,
      prorated: true,
      refunded_amount: 97350,
      expired_seconds: 3540,
      total_seconds: 3600,
    });
    expect(
      count(
        t,
        "SELECT count(*) AS n FROM events WHERE type = 'grant.expired' AND payload LIKE '%prorated_refund%'",
      ),
    ).toBeGreaterThanOrEqual(1);
    const notices = await t.call("GET", "/api/v1/notifications", { token: u.token });
    expect(notices.body.results[0].message).toContain("973.50 RUB");
    // Once refunded, never again (either way).
    expectError(
      await refund(admin.token, purchase.id, { reason: "again", prorate: true }),
      409,
      "invalid_transition",
    );
    expectError(await refund(admin.token, purchase.id), 409, "invalid_transition");
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(97350);
  });

  test("rounds down to the minor unit", async () => {
    const admin = await t.user("admin");
    const { u, purchase } = await paidStripePurchase(1000, 3600);
    await use(u.token, "p-2", 15);
    // 1000 * 3585 / 3600 = 995.83…
    const r = await refund(admin.token, purchase.id, { reason: "x", prorate: true });
    expect(r.body.refund.amount).toBe(995);
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(995);
  });

  test("an unused grant refunds the whole amount; a used-up or lapsed one refunds 0 (no transfer)", async () => {
    const admin = await t.user("admin");
    const unused = await paidStripePurchase(5000, 600);
    expect(
      (await refund(admin.token, unused.purchase.id, { reason: "x", prorate: true })).body.refund.amount,
    ).toBe(5000);

    const used = await paidStripePurchase(5000, 600);
    expect((await use(used.u.token, "all", 600)).status).toBe(201);
    const r = await refund(admin.token, used.purchase.id, { reason: "x", prorate: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "refunded", refund: { amount: 0, remaining_seconds: 0 } });
    expect(
      count(
        t,
        "SELECT count(*) AS n FROM ledger_transfers WHERE idempotency_key = ?",
        `purchase:${used.purchase.id}:refund`,
      ),
    ).toBe(0);
    expect(balanceOf(t.ctx.db, userAvailable(used.u.id, "RUB"))).toBe(0);

    const lapsed = await paidStripePurchase(5000, 600);
    t.clock.advance(31 * 86_400_000);
    try {
      const l = await refund(admin.token, lapsed.purchase.id, { reason: "x", prorate: true });
      expect(l.body.refund).toMatchObject({ amount: 0, remaining_seconds: 0, total_seconds: 600 });
      expect(grantOf(lapsed.purchase.id).status).toBe("expired");
    } finally {
      t.clock.advance(-31 * 86_400_000);
    }
  });

  test("without prorate (or prorate: false) the existing rule stays: full amount, grant revoked", async () => {
    const admin = await t.user("admin");
    const { u, purchase } = await paidStripePurchase(2000, 600);
    await use(u.token, "f-1", 300);
    const r = await refund(admin.token, purchase.id, { reason: "x", prorate: false });
    expect(r.body.refund).toEqual({
      amount: 2000,
      currency: "RUB",
      prorated: false,
      remaining_seconds: 300,
      total_seconds: 600,
    });
    expect(grantOf(purchase.id)).toMatchObject({ status: "revoked", remaining_seconds: 0 });
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(2000);
  });

  test("prorate must be a boolean; a client may not refund pro-rated either", async () => {
    const admin = await t.user("admin");
    const { u, purchase } = await paidStripePurchase();
    for (const prorate of ["true", 1, null]) {
      expectError(await refund(admin.token, purchase.id, { reason: "x", prorate }), 400, "validation_failed");
    }
    expectError(await refund(u.token, purchase.id, { reason: "x", prorate: true }), 403, "forbidden");
    expect(grantOf(purchase.id).status).toBe("active");
  });

  test("the arithmetic stays exact where amount * seconds passes 2^53", () => {
    expect(proratedAmount(1_000_000_000, 99_999_999, 100_000_000)).toBe(999_999_990);
    expect(proratedAmount(999_999_999, 1, 3)).toBe(333_333_333);
    expect(proratedAmount(100, 0, 3600)).toBe(0);
    expect(proratedAmount(100, 5, 0)).toBe(0);
  });
});

test("ledger invariants hold after this file", () => {
  const inv = ledgerInvariants(t);
  for (const s of inv.sums) expect(s.total).toBe(0);
  expect(inv.negativeUsers).toEqual([]);
  expect(inv.drift).toEqual([]);
});
