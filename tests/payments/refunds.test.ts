import { describe, expect, test } from "bun:test";
import { balanceOf, platformRevenue, userAvailable } from "../../src/modules/ledger/service";
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

test("ledger invariants hold after this file", () => {
  const inv = ledgerInvariants(t);
  for (const s of inv.sums) expect(s.total).toBe(0);
  expect(inv.negativeUsers).toEqual([]);
  expect(inv.drift).toEqual([]);
});
