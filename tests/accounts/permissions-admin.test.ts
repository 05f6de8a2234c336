import { beforeAll, describe, expect, test } from "bun:test";
import { ROLE_PERMISSIONS } from "../../src/modules/accounts/permissions";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

let t: TestApp;
let admin: Awaited<ReturnType<TestApp["user"]>>;

beforeAll(async () => {
  t = makeTestApp({ TRUST_PROXY: "1" });
  admin = await t.user("admin");
});

const PATH = (id: number) => `/api/v1/admin/users/${id}/permissions`;
const put = (token: string | undefined, id: number, granted: unknown) =>
  t.call("PUT", PATH(id), {
    token,
    body: { granted_permissions: granted },
    headers: { "x-forwarded-for": "198.51.100.4" },
  });
const auditRows = (id: number) =>
  t.ctx.sqlite
    .query(
      "SELECT actor_id, details, ip, request_id FROM audit_log WHERE action = 'user.permissions_changed' AND target_id = ? ORDER BY id",
    )
    .all(String(id)) as { actor_id: number; details: string; ip: string; request_id: string }[];
const events = (id: number) =>
  t.ctx.sqlite
    .query("SELECT actor_id, payload FROM events WHERE type = 'user.permissions_changed' AND subject_id = ?")
    .all(String(id)) as { actor_id: number; payload: string }[];

describe("GET /admin/users/{id}/permissions", () => {
  test("the role's permissions and the grants on top", async () => {
    const u = await t.user("support", { grantedPermissions: ["requisites:7:moderate"] });
    const r = await t.call("GET", PATH(u.id), { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      user_id: u.id,
      role: "support",
      role_permissions: [...ROLE_PERMISSIONS.support],
      granted_permissions: ["requisites:7:moderate"],
    });
  });

  test("needs users:permissions (support lacks it); a grant for one user opens that user only", async () => {
    const u = await t.user();
    const other = await t.user();
    const support = await t.user("support");
    expectError(await t.call("GET", PATH(u.id), { token: support.token }), 403, "forbidden");
    const one = await t.user("support", { grantedPermissions: [`users:${u.id}:permissions`] });
    expect((await t.call("GET", PATH(u.id), { token: one.token })).status).toBe(200);
    expectError(await t.call("GET", PATH(other.id), { token: one.token }), 403, "forbidden");
    const all = await t.user("support", { grantedPermissions: ["users:permissions"] });
    expect((await t.call("GET", PATH(other.id), { token: all.token })).status).toBe(200);
  });

  test("unknown user 404; bad id 400; no auth 401", async () => {
    expectError(await t.call("GET", PATH(999_999), { token: admin.token }), 404, "not_found");
    expectError(
      await t.call("GET", "/api/v1/admin/users/abc/permissions", { token: admin.token }),
      400,
      "validation_failed",
    );
    expectError(await t.call("GET", PATH(1)), 401, "unauthenticated");
  });
});

describe("PUT /admin/users/{id}/permissions", () => {
  test("wildcards, {id} and concrete ids are granted; audited with before and after, ip and request id; an event", async () => {
    const u = await t.user("support", { grantedPermissions: ["users:ban"] });
    const granted = ["stores:{id}:read", "requisites:12:moderate", "gateway:admin:*", "users:*"];
    const r = await put(admin.token, u.id, granted);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ user_id: u.id, role: "support", granted_permissions: granted });
    const [row] = auditRows(u.id);
    expect(row).toMatchObject({
      actor_id: admin.id,
      ip: "198.51.100.4",
      request_id: r.headers.get("x-request-id")!,
    });
    expect(JSON.parse(row!.details)).toEqual({ role: "support", before: ["users:ban"], after: granted });
    expect(events(u.id)).toHaveLength(1);
    expect(JSON.parse(events(u.id)[0]!.payload)).toMatchObject({ before: ["users:ban"], after: granted });
    // In force at once: the user's next request carries them.
    const me = await t.call("GET", "/api/v1/me", { token: u.token });
    expect(me.body.permissions).toEqual([...ROLE_PERMISSIONS.support, ...granted]);
    expect(
      (
        await t.call("POST", `/api/v1/admin/users/${(await t.user()).id}/role`, {
          token: u.token,
          body: { role: "expert" },
        })
      ).status,
    ).toBe(200);
  });

  test("duplicates are dropped; the same set again is audited but no event; [] clears", async () => {
    const u = await t.user();
    const r = await put(admin.token, u.id, ["users:read", "users:read"]);
    expect(r.body.granted_permissions).toEqual(["users:read"]);
    await put(admin.token, u.id, ["users:read"]);
    expect(auditRows(u.id)).toHaveLength(2);
    expect(events(u.id)).toHaveLength(1);
    expect((await put(admin.token, u.id, [])).body.granted_permissions).toEqual([]);
    expect(events(u.id)).toHaveLength(2);
  });

  test("a string that is not a permission -> 400 naming its index; nothing changes", async () => {
    const u = await t.user("client", { grantedPermissions: ["users:read"] });
    for (const [bad, index] of [
      [["users:read", "users:read", "Users:Read"], 2],
      [["*:", "users:read"], 0],
      [["users:read", "users: read"], 1],
      [["users::read"], 0],
      [["x".repeat(101)], 0],
    ] as const) {
      const e = expectError(await put(admin.token, u.id, bad), 400, "validation_failed");
      expect(e.details.issues.map((i: { path: string }) => i.path)).toContain(
        `json.granted_permissions.${index}`,
      );
    }
    expectError(await put(admin.token, u.id, "users:read"), 400, "validation_failed");
    expectError(await put(admin.token, u.id, Array(101).fill("users:read")), 400, "validation_failed");
    expectError(
      await t.call("PUT", PATH(u.id), {
        token: admin.token,
        body: { granted_permissions: [], role: "admin" },
      }),
      400,
      "validation_failed",
    );
    expect(auditRows(u.id)).toHaveLength(0);
  });

  test("never beyond the actor's own permissions: * or anything unheld -> 403", async () => {
    const staff = await t.user("support", { grantedPermissions: ["users:permissions"] });
    const u = await t.user();
    for (const granted of [
      ["*"],
      ["users:*"],
      ["users:ban"],
      ["gateway:*"],
      ["stores:*"],
      ["requisites:*"],
      ["system:write"],
    ]) {
      const r = await put(staff.token, u.id, granted);
      expect(r.status, JSON.stringify(granted)).toBe(403);
      expect(r.body.error.code).toBe("forbidden");
    }
    expect(auditRows(u.id)).toHaveLength(0);
    // What support holds it may hand on, for every id or for one.
    const ok = await put(staff.token, u.id, [
      "users:read",
      "requisites:12:moderate",
      "stores:{id}:read",
      "expert:*",
    ]);
    expect(ok.status).toBe(200);
    // …but not to someone holding more than itself (an admin, a merchant), nor to itself.
    const other = await t.user("admin");
    expectError(await put(staff.token, other.id, []), 403, "forbidden");
    expectError(await put(staff.token, (await t.user("merchant")).id, []), 403, "forbidden");
    expectError(await put(staff.token, staff.id, ["users:*"]), 409, "conflict");
    expectError(await put(admin.token, admin.id, []), 409, "conflict");
  });

  test("a grant for one user opens PUT on that user only", async () => {
    const a = await t.user();
    const b = await t.user();
    const staff = await t.user("support", { grantedPermissions: [`users:${a.id}:permissions`] });
    expect((await put(staff.token, a.id, ["users:read"])).status).toBe(200);
    expectError(await put(staff.token, b.id, ["users:read"]), 403, "forbidden");
  });

  test("security: client, expert, support without the grant 403; no auth 401; unknown user 404", async () => {
    const u = await t.user();
    for (const role of ["client", "expert", "support", "merchant", "trader"] as const) {
      const x = await t.user(role);
      expectError(await put(x.token, u.id, []), 403, "forbidden");
    }
    expectError(await put(undefined, u.id, []), 401, "unauthenticated");
    expectError(await put(admin.token, 999_999, []), 404, "not_found");
  });

  test("answers under /api with a trailing slash", async () => {
    const u = await t.user();
    const r = await t.call("PUT", `/api/admin/users/${u.id}/permissions/`, {
      token: admin.token,
      body: { granted_permissions: ["users:read"] },
    });
    expect(r.status).toBe(200);
    expect(
      (await t.call("GET", `/api/admin/users/${u.id}/permissions/`, { token: admin.token })).body
        .granted_permissions,
    ).toEqual(["users:read"]);
  });
});
