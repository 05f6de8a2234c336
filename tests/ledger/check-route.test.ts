import { describe, expect, test } from "bun:test";
import { expectError, makeTestApp } from "../helpers/app";

describe("GET /admin/system/check", () => {
  test("a clean database passes every check; a corrupted balance fails the right one", async () => {
    const t = makeTestApp();
    const admin = await t.user("admin");
    const u = await t.user("client");
    await t.call("POST", `/api/v1/admin/users/${u.id}/wallet/credit`, {
      token: admin.token,
      body: { amount: 5000, note: "welcome" },
    });
    const ok = await t.call("GET", "/api/v1/admin/system/check", { token: admin.token });
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toBe(true);
    expect(ok.body.checks.map((c: { name: string }) => c.name)).toContain("held_equals_escrow");
    t.ctx.sqlite.query("UPDATE ledger_accounts SET balance = balance + 1 WHERE owner_id = ?").run(u.id);
    const bad = await t.call("GET", "/api/v1/admin/system/check", { token: admin.token });
    expect(bad.body.ok).toBe(false);
    const failed = bad.body.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name);
    expect(failed).toContain("ledger_sums_to_zero");
  });

  test("a support user may read it; a client may not; no credentials -> 401", async () => {
    const t = makeTestApp();
    expect(
      (await t.call("GET", "/api/v1/admin/system/check", { token: (await t.user("support")).token })).status,
    ).toBe(200);
    expectError(
      await t.call("GET", "/api/v1/admin/system/check", { token: (await t.user("client")).token }),
      403,
      "forbidden",
    );
    expectError(await t.call("GET", "/api/v1/admin/system/check"), 401, "unauthenticated");
  });
});
