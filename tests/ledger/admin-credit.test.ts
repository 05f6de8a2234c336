import { describe, expect, test } from "bun:test";
import { HOUR } from "../../src/lib/time";
import { balanceOf, platformAdjustments, userAvailable } from "../../src/modules/ledger/service";
import { expectError, makeTestApp } from "../helpers/app";
import { count, ledgerInvariants } from "../payments/setup";

const t = makeTestApp();
const credit = (
  token: string | undefined,
  userId: number,
  body: unknown,
  headers: Record<string, string> = {},
) => t.call("POST", `/api/v1/admin/users/${userId}/wallet/credit`, { token, body, headers });
const available = (userId: number, currency = "RUB") => balanceOf(t.ctx.db, userAvailable(userId, currency));
const transfersTo = (userId: number) =>
  count(
    t,
    "SELECT count(*) AS n FROM ledger_transfers WHERE kind = 'adjustment' AND reference_type = 'user' AND reference_id = ?",
    String(userId),
  );

describe("POST /admin/users/{id}/wallet/credit", () => {
  test("credits the available wallet from the platform adjustments account; audited with before/after, event, notice", async () => {
    const admin = await t.user("admin");
    const u = await t.user();
    const first = await credit(admin.token, u.id, { amount: 15000, note: "Goodwill: outage on 12 May" });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      user_id: u.id,
      amount: 15000,
      currency: "RUB",
      note: "Goodwill: outage on 12 May",
      balance_before: 0,
      balance_after: 15000,
      created_at: "2026-11-22T10:00:00.000Z",
    });
    const second = await credit(admin.token, u.id, { amount: 500, currency: "RUB", note: "  second  " });
    expect(second.body).toMatchObject({ balance_before: 15000, balance_after: 15500, note: "second" });
    expect(available(u.id)).toBe(15500);
    expect(balanceOf(t.ctx.db, platformAdjustments("RUB"))).toBe(-15500);

    const row = t.ctx.sqlite
      .query("SELECT kind, amount, currency, idempotency_key FROM ledger_transfers WHERE id = ?")
      .get(first.body.transfer_id) as any;
    expect(row).toMatchObject({ kind: "adjustment", amount: 15000, currency: "RUB" });
    expect(row.idempotency_key).toStartWith(`wallet-credit:${admin.id}:`);

    const audits = t.ctx.sqlite
      .query(
        "SELECT actor_id, target_type, target_id, details FROM audit_log WHERE action = 'wallet.credited' ORDER BY id",
      )
      .all() as any[];
    expect(audits).toHaveLength(2);
    expect(audits[0]).toMatchObject({ actor_id: admin.id, target_type: "user", target_id: String(u.id) });
    expect(JSON.parse(audits[0].details)).toEqual({
      transfer_id: first.body.transfer_id,
      amount: 15000,
      currency: "RUB",
      note: "Goodwill: outage on 12 May",
      balance_before: 0,
      balance_after: 15000,
    });
    expect(
      count(
        t,
        "SELECT count(*) AS n FROM events WHERE type = 'wallet.credited' AND subject_id = ?",
        String(u.id),
      ),
    ).toBe(2);
    const notice = await t.call("GET", "/api/v1/notifications", { token: u.token });
    expect(notice.body.results[0]).toMatchObject({ title: "Wallet credited" });
    expect(notice.body.results[0].message).toBe("5.00 RUB were added to your wallet.");
    // The user sees the money in their wallet.
    const w = await t.call("GET", "/api/v1/wallet", { token: u.token });
    expect(w.body).toMatchObject({ available: 15500 });
    expect(w.body.transfers[0]).toMatchObject({ kind: "adjustment", direction: "in", amount: 500 });
  });

  test("other currencies get their own accounts", async () => {
    const admin = await t.user("admin");
    const u = await t.user();
    expect((await credit(admin.token, u.id, { amount: 999, currency: "USD", note: "usd" })).status).toBe(201);
    expect((await credit(admin.token, u.id, { amount: 5, currency: "USDT", note: "usdt" })).status).toBe(201);
    expect(available(u.id, "USD")).toBe(999);
    expect(available(u.id, "USDT")).toBe(5);
    expect(available(u.id, "RUB")).toBe(0);
  });

  test("one Idempotency-Key credits once: a replay, and a retry after the 24 h replay window, answer the first credit", async () => {
    const admin = await t.user("admin");
    const u = await t.user();
    const body = { amount: 7000, note: "refund of a double charge" };
    const headers = { "idempotency-key": "credit-7000-a" };
    const first = await credit(admin.token, u.id, body, headers);
    expect(first.status).toBe(201);
    const replay = await credit(admin.token, u.id, body, headers);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    t.clock.advance(25 * HOUR);
    const late = await credit(admin.token, u.id, body, headers);
    expect(late.status).toBe(200);
    expect(late.body).toEqual(first.body);
    expect(transfersTo(u.id)).toBe(1);
    expect(available(u.id)).toBe(7000);
    expect(
      count(
        t,
        "SELECT count(*) AS n FROM audit_log WHERE action = 'wallet.credited' AND target_id = ?",
        String(u.id),
      ),
    ).toBe(1);
    // The same key for another amount is a conflict and credits nothing.
    expectError(
      await credit(admin.token, u.id, { ...body, amount: 1 }, headers),
      409,
      "idempotency_conflict",
    );
    expect(available(u.id)).toBe(7000);
    // Without a key every call is its own credit.
    await credit(admin.token, u.id, body);
    await credit(admin.token, u.id, body);
    expect(transfersTo(u.id)).toBe(3);
  });

  test("a client, an expert, support or a partner -> 403; no credential -> 401; nothing moves", async () => {
    const u = await t.user();
    for (const role of ["client", "expert", "support", "partner"] as const) {
      const caller = await t.user(role);
      expectError(await credit(caller.token, u.id, { amount: 100, note: "x" }), 403, "forbidden");
    }
    // Not even for themselves.
    expectError(await credit(u.token, u.id, { amount: 100, note: "x" }), 403, "forbidden");
    expectError(await credit(undefined, u.id, { amount: 100, note: "x" }), 401, "unauthenticated");
    expect(available(u.id)).toBe(0);
    expect(transfersTo(u.id)).toBe(0);
  });

  test("staff granted wallet:credit may credit; an admin's key without the scope may not", async () => {
    const u = await t.user();
    const staff = await t.user("support", { grantedPermissions: ["wallet:credit"] });
    expect((await credit(staff.token, u.id, { amount: 100, note: "granted" })).status).toBe(201);
    const admin = await t.user("admin");
    const key = await t.call("POST", "/api/v1/me/api-keys", {
      token: admin.token,
      body: { name: "read only", scopes: ["wallet:read"] },
    });
    expectError(await credit(key.body.key, u.id, { amount: 100, note: "x" }), 403, "forbidden");
    expect(available(u.id)).toBe(100);
  });

  test("unknown user -> 404, nothing written", async () => {
    const admin = await t.user("admin");
    const before = count(t, "SELECT count(*) AS n FROM ledger_transfers");
    expectError(await credit(admin.token, 999999, { amount: 100, note: "x" }), 404, "not_found");
    expect(count(t, "SELECT count(*) AS n FROM ledger_transfers")).toBe(before);
  });

  test.each([
    ["amount 0", { amount: 0, note: "x" }],
    ["a negative amount", { amount: -100, note: "x" }],
    ["a float amount", { amount: 10.5, note: "x" }],
    ["a string amount", { amount: "100", note: "x" }],
    ["an amount over the cap", { amount: 100_000_001, note: "x" }],
    ["no note", { amount: 100 }],
    ["a blank note", { amount: 100, note: "   " }],
    ["currency XYZ", { amount: 100, currency: "XYZ", note: "x" }],
    ["lower-case currency", { amount: 100, currency: "rub", note: "x" }],
    ["an unknown field", { amount: 100, note: "x", to: "revenue" }],
  ])("%s -> 400, nothing moves", async (_name, body) => {
    const admin = await t.user("admin");
    const u = await t.user();
    expectError(await credit(admin.token, u.id, body), 400, "validation_failed");
    expect(available(u.id)).toBe(0);
  });

  test("a bad user id -> 400", async () => {
    const admin = await t.user("admin");
    expectError(
      await credit(admin.token, "abc" as unknown as number, { amount: 1, note: "x" }),
      400,
      "validation_failed",
    );
  });
});

test("the ledger sums to 0 per currency, no user account is negative, balances equal the transfers", () => {
  const inv = ledgerInvariants(t);
  expect(inv.sums.length).toBeGreaterThan(0);
  for (const s of inv.sums) expect(s.total).toBe(0);
  expect(inv.negativeUsers).toEqual([]);
  expect(inv.drift).toEqual([]);
});
