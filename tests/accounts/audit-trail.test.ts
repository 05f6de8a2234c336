import { beforeAll, describe, expect, test } from "bun:test";
import { insertOrder } from "../gateway/lifecycle-helpers";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

/**
 * Who did what from where: logins, failed logins, role and permission changes, staff moves of
 * gateway orders and settings changes are all in the audit log with the caller's IP and the
 * request id (the X-Request-Id of the answer).
 */
let t: TestApp;
type User = Awaited<ReturnType<TestApp["user"]>>;
let admin: User;
let support: User;

// One proxy hop trusted: the address is the last X-Forwarded-For entry.
const IP = "203.0.113.9";
const from = (ip = IP) => ({ "x-forwarded-for": `10.9.9.9, ${ip}` });

type Entry = { id: number; action: string; actor_id: number | null; ip: string | null; request_id?: string };

/** The newest audit entry of `action` as GET /admin/audit-log lists it, with its request id. */
async function entry(action: string, targetId?: number): Promise<Entry & { request_id: string }> {
  const r = await t.call("GET", "/api/v1/admin/audit-log?page_size=100", { token: admin.token });
  expect(r.status).toBe(200);
  const e = (r.body.results as (Entry & { target_id: string | null })[]).find(
    (x) => x.action === action && (targetId === undefined || x.target_id === String(targetId)),
  );
  if (!e) throw new Error(`no ${action} in the audit log`);
  const row = t.ctx.sqlite.query("SELECT request_id FROM audit_log WHERE id = ?").get(e.id) as {
    request_id: string;
  };
  expect(e.request_id).toBe(row.request_id);
  return { ...e, request_id: row.request_id };
}

const requestIdOf = (r: { headers: Headers }) => r.headers.get("x-request-id")!;

beforeAll(async () => {
  t = makeTestApp({ TRUST_PROXY: "1" });
  admin = await t.user("admin");
  support = await t.user("support");
});

describe("audit trail", () => {
  test("a login, with the caller's IP and the request id", async () => {
    const reg = await t.call("POST", "/api/v1/auth/register", {
      body: { email: "audited@test.local", password: "correct horse battery" },
    });
    expect(reg.status).toBe(201);
    const r = await t.call("POST", "/api/v1/auth/login", {
      body: { login: "audited@test.local", password: "correct horse battery" },
      headers: from("203.0.113.10"),
    });
    expect(r.status).toBe(200);
    const e = await entry("auth.login");
    expect(e).toMatchObject({ actor_id: reg.body.user.id, ip: "203.0.113.10", request_id: requestIdOf(r) });
  });

  test("a failed login (wrong password or no such account), with the name tried", async () => {
    for (const login of ["audited@test.local", "nobody@test.local"]) {
      const r = await t.call("POST", "/api/v1/auth/login", {
        body: { login, password: "wrong password!" },
        headers: from("203.0.113.11"),
      });
      expectError(r, 401, "invalid_credentials");
      const row = t.ctx.sqlite
        .query("SELECT id, actor_id, ip, request_id, details FROM audit_log WHERE request_id = ?")
        .get(requestIdOf(r)) as { id: number; actor_id: null; ip: string; details: string };
      expect(row).toMatchObject({ actor_id: null, ip: "203.0.113.11" });
      expect(JSON.parse(row.details)).toEqual({ via: "password", login, reason: "invalid_credentials" });
    }
    const e = await entry("auth.login_failed");
    expect(e).toMatchObject({ actor_id: null, ip: "203.0.113.11" });
  });

  test("a refused login of a banned account", async () => {
    const reg = await t.call("POST", "/api/v1/auth/register", {
      body: { email: "banned@test.local", password: "correct horse battery" },
    });
    await t.call("POST", `/api/v1/admin/users/${reg.body.user.id}/ban`, { token: admin.token });
    const r = await t.call("POST", "/api/v1/auth/login", {
      body: { login: "banned@test.local", password: "correct horse battery" },
      headers: from(),
    });
    expectError(r, 403, "forbidden");
    const e = await entry("auth.login_failed");
    expect(e).toMatchObject({ ip: IP, request_id: requestIdOf(r) });
  });

  test("role and permission changes", async () => {
    const u = await t.user();
    const role = await t.call("POST", `/api/v1/admin/users/${u.id}/role`, {
      token: admin.token,
      body: { role: "support" },
      headers: from(),
    });
    expect(role.status).toBe(200);
    expect(await entry("user.role_changed", u.id)).toMatchObject({
      actor_id: admin.id,
      ip: IP,
      request_id: requestIdOf(role),
    });
    const perms = await t.call("PUT", `/api/v1/admin/users/${u.id}/permissions`, {
      token: admin.token,
      body: { granted_permissions: ["stores:3:read"] },
      headers: from("2001:db8::7"),
    });
    expect(perms.status).toBe(200);
    expect(await entry("user.permissions_changed", u.id)).toMatchObject({
      actor_id: admin.id,
      ip: "2001:db8::7",
      request_id: requestIdOf(perms),
    });
  });

  test("gateway status changes by staff: a fraud review and a requisite's moderation", async () => {
    const f = gatewayFixtures(t);
    f.rate("RUB", 9550);
    const { store } = await f.store();
    const o = insertOrder(t, { store, status: "review" });
    const r = await t.call("POST", `/api/v1/support/gateway/orders/${o.id}/review`, {
      token: support.token,
      body: { decision: "deny", reason: "stolen card" },
      headers: from(),
    });
    expect(r.status).toBe(200);
    expect(await entry("gateway.order.failed", o.id)).toMatchObject({
      actor_id: support.id,
      ip: IP,
      request_id: requestIdOf(r),
    });

    const tr = await f.trader();
    const req = f.requisite(tr.trader.id, { status: "pending" });
    const m = await t.call("POST", `/api/v1/admin/gateway/requisites/${req.id}/status`, {
      token: support.token,
      body: { status: "approved" },
      headers: from(),
    });
    expect(m.status).toBe(200);
    const rows = t.ctx.sqlite
      .query("SELECT action, actor_id, ip, request_id FROM audit_log WHERE request_id = ?")
      .all(requestIdOf(m)) as { action: string; actor_id: number; ip: string }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatchObject({ actor_id: support.id, ip: IP });
  });

  test("settings changes", async () => {
    const r = await t.call("PATCH", "/api/v1/admin/system/settings", {
      token: admin.token,
      body: { registration_open: false },
      headers: from(),
    });
    expect(r.status).toBe(200);
    expect(await entry("settings.updated")).toMatchObject({
      actor_id: admin.id,
      ip: IP,
      request_id: requestIdOf(r),
    });
  });

  test("the log is for staff with audit:read; a client is refused, no auth 401", async () => {
    expect((await t.call("GET", "/api/v1/admin/audit-log", { token: support.token })).status).toBe(200);
    expectError(
      await t.call("GET", "/api/v1/admin/audit-log", { token: (await t.user()).token }),
      403,
      "forbidden",
    );
    expectError(await t.call("GET", "/api/v1/admin/audit-log"), 401, "unauthenticated");
  });
});

describe("GET /admin/audit-log filters", () => {
  test("by actor, and by target type and id; target_id alone is 400", async () => {
    const u = await t.user();
    const r = await t.call("POST", `/api/v1/admin/users/${u.id}/ban`, {
      token: admin.token,
      body: { reason: "spam" },
    });
    expect(r.status).toBe(200);
    const byTarget = await t.call("GET", `/api/v1/admin/audit-log?target_type=user&target_id=${u.id}`, {
      token: admin.token,
    });
    expect(byTarget.body.results.map((e: Entry) => e.action)).toEqual(["user.banned"]);
    const byActor = await t.call("GET", `/api/v1/admin/audit-log?actor_id=${admin.id}`, {
      token: admin.token,
    });
    expect(byActor.body.results.length).toBeGreaterThan(0);
    expect(byActor.body.results.every((e: Entry) => e.actor_id === admin.id)).toBe(true);
    expectError(
      await t.call("GET", `/api/v1/admin/audit-log?target_id=${u.id}`, { token: admin.token }),
      400,
      "validation_failed",
    );
  });
});
