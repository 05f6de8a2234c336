import { describe, expect, test } from "bun:test";
import { expectError, makeTestApp } from "../helpers/app";

const t = makeTestApp();
const admin = await t.user("admin", { email: "root@test.local", username: "root" });

/** A user who can log in with a password (so refresh tokens exist). */
async function withSession(email: string) {
  const r = await t.call("POST", "/api/v1/auth/register", { body: { email, password: "long enough pw" } });
  expect(r.status).toBe(201);
  return {
    id: r.body.user.id as number,
    access: r.body.access_token as string,
    refresh: r.body.refresh_token as string,
  };
}

const auditRows = (targetId: number, action: string) =>
  t.ctx.sqlite
    .query("SELECT * FROM audit_log WHERE target_type = 'user' AND target_id = ? AND action = ? ORDER BY id")
    .all(String(targetId), action) as Array<{
    actor_id: number;
    details: string;
    request_id: string | null;
    ip: string | null;
    created_at: number;
  }>;

describe("GET /admin/users", () => {
  const app = makeTestApp();
  let adm: Awaited<ReturnType<typeof app.user>>;
  test("setup: 25 users of mixed roles", async () => {
    adm = await app.user("admin");
    for (let i = 0; i < 12; i++) await app.user("client", { firstName: `Client${i}` });
    for (let i = 0; i < 8; i++) await app.user("expert", { firstName: `Expert${i}` });
    for (let i = 0; i < 3; i++) await app.user("client", { isBanned: true });
    await app.user("client", { isBanned: true, firstName: "Иван" });
    expect(app.ctx.sqlite.query("SELECT count(*) AS n FROM users").get()).toEqual({ n: 25 });
  });

  test("paginates with {count, next, previous, results}, newest first", async () => {
    const p1 = await app.call("GET", "/api/v1/admin/users?page_size=10", { token: adm.token });
    expect(p1.status).toBe(200);
    expect(Object.keys(p1.body).sort()).toEqual(["count", "next", "previous", "results"]);
    expect(p1.body.count).toBe(25);
    expect(p1.body.results).toHaveLength(10);
    expect(p1.body.previous).toBeNull();
    expect(p1.body.next).toBe("/api/v1/admin/users?page_size=10&page=2");
    const ids = p1.body.results.map((u: { id: number }) => u.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(p1.body.results[0]).toHaveProperty("granted_permissions");
    expect(p1.body.results[0]).toHaveProperty("ban_reason");
    expect(p1.body.results[0]).not.toHaveProperty("password_hash");

    const p3 = await app.call("GET", p1.body.next.replace("page=2", "page=3"), { token: adm.token });
    expect(p3.body.results).toHaveLength(5);
    expect(p3.body.next).toBeNull();
    expect(p3.body.previous).toContain("page=2");
    const beyond = await app.call("GET", "/api/v1/admin/users?page=9&page_size=10", { token: adm.token });
    expect(beyond.body.results).toEqual([]);
    expect(beyond.body.count).toBe(25);
    // Every page together is every user, once.
    const all = new Set<number>();
    for (let p = 1; p <= 3; p++) {
      const r = await app.call("GET", `/api/v1/admin/users?page=${p}&page_size=10`, { token: adm.token });
      for (const u of r.body.results) all.add(u.id);
    }
    expect(all.size).toBe(25);
  });

  test("default page size is 20", async () => {
    const r = await app.call("GET", "/api/v1/admin/users", { token: adm.token });
    expect(r.body.results).toHaveLength(20);
    expect(r.body.next).toContain("page=2");
  });

  test.each([
    ["role=expert", 8, (u: any) => u.role === "expert"],
    ["role=admin", 1, (u: any) => u.role === "admin"],
    ["is_banned=true", 4, (u: any) => u.is_banned === true],
    ["is_banned=false", 21, (u: any) => u.is_banned === false],
    ["role=client&is_banned=false", 12, (u: any) => u.role === "client" && !u.is_banned],
    ["q=expert3", 1, (u: any) => u.first_name === "Expert3"],
    ["q=EXPERT", 8, (u: any) => u.role === "expert"],
    ["q=user_1", 11, (u: any) => /^user_1/.test(u.username)],
    ["q=user_25", 1, (u: any) => u.username === "user_25"],
    ["q=%D0%98%D0%B2%D0%B0%D0%BD", 1, (u: any) => u.first_name === "Иван"],
    ["q=%D0%98%D0%B2", 1, (u: any) => u.first_name === "Иван"],
    ["q=%25", 0, () => false],
    ["q=_", 25, (u: any) => u.username.includes("_")],
    ["q=nobody-matches", 0, () => false],
  ])("filter %s -> %d users", async (query, n, pred) => {
    const r = await app.call("GET", `/api/v1/admin/users?${query}&page_size=100`, { token: adm.token });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(n);
    expect(r.body.results).toHaveLength(n);
    for (const u of r.body.results) expect(pred(u)).toBe(true);
  });

  test("filters are kept in the next link", async () => {
    const r = await app.call("GET", "/api/v1/admin/users?role=client&page_size=5", { token: adm.token });
    expect(r.body.count).toBe(16);
    expect(r.body.next).toContain("role=client");
    const n = await app.call("GET", r.body.next, { token: adm.token });
    expect(n.body.results.every((u: { role: string }) => u.role === "client")).toBe(true);
  });

  test.each([["role=wizard"], ["is_banned=maybe"], ["page=0"], ["page_size=101"], ["page_size=abc"]])(
    "invalid query %s -> 400",
    async (query) => {
      expectError(
        await app.call("GET", `/api/v1/admin/users?${query}`, { token: adm.token }),
        400,
        "validation_failed",
      );
    },
  );

  test("GET /admin/users/all lists every user compactly", async () => {
    const r = await app.call("GET", "/api/v1/admin/users/all", { token: adm.token });
    expect(r.status).toBe(200);
    expect(r.body.results).toHaveLength(25);
    expect(Object.keys(r.body.results[0]).sort()).toEqual(["email", "id", "is_banned", "role", "username"]);
    expect(r.body.results.filter((u: { is_banned: boolean }) => u.is_banned)).toHaveLength(4);
  });

  test("support reads the list (users:read); client and expert get 403; no auth 401", async () => {
    const support = await app.user("support");
    expect((await app.call("GET", "/api/v1/admin/users", { token: support.token })).status).toBe(200);
    expect((await app.call("GET", "/api/v1/admin/users/all", { token: support.token })).status).toBe(200);
    for (const role of ["client", "expert", "partner", "merchant"] as const) {
      const u = await app.user(role);
      expectError(await app.call("GET", "/api/v1/admin/users", { token: u.token }), 403, "forbidden");
      expectError(await app.call("GET", "/api/v1/admin/users/all", { token: u.token }), 403, "forbidden");
    }
    expectError(await app.call("GET", "/api/v1/admin/users"), 401, "unauthenticated");
    expectError(await app.call("GET", "/api/v1/admin/users/all"), 401, "unauthenticated");
  });
});

describe("POST /admin/users/{id}/ban and /unban", () => {
  test("ban: 200, the user's token is refused at once, refresh fails, audit row written", async () => {
    const victim = await withSession("victim@example.com");
    expect((await t.call("GET", "/api/v1/me", { token: victim.access })).status).toBe(200);
    const r = await t.call("POST", `/api/v1/admin/users/${victim.id}/ban`, {
      token: admin.token,
      body: { reason: "spam" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: victim.id, is_banned: true, ban_reason: "spam" });
    expect(r.body.banned_at).toBe(new Date(t.clock.now()).toISOString());

    expectError(await t.call("GET", "/api/v1/me", { token: victim.access }), 403, "forbidden");
    const rr = await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: victim.refresh } });
    expect([401, 403]).toContain(rr.status);
    const login = await t.call("POST", "/api/v1/auth/login", {
      body: { login: "victim@example.com", password: "long enough pw" },
    });
    expectError(login, 403, "forbidden");

    const rows = auditRows(victim.id, "user.banned");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.actor_id).toBe(admin.id);
    expect(JSON.parse(rows[0]!.details)).toEqual({ reason: "spam" });
    expect(rows[0]!.request_id).toBe(r.headers.get("x-request-id"));
    expect(
      t.ctx.sqlite
        .query("SELECT count(*) AS n FROM events WHERE type = 'user.banned' AND subject_id = ?")
        .get(String(victim.id)),
    ).toEqual({ n: 1 });
  });

  test("ban without a body is allowed (no reason)", async () => {
    const u = await t.user();
    const r = await t.call("POST", `/api/v1/admin/users/${u.id}/ban`, { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body.ban_reason).toBeNull();
  });

  test("a banned user's API key is refused too", async () => {
    const u = await t.user();
    const k = await t.call("POST", "/api/v1/me/api-keys", {
      token: u.token,
      body: { name: "k", scopes: ["me:read"] },
    });
    await t.call("POST", `/api/v1/admin/users/${u.id}/ban`, { token: admin.token });
    expectError(await t.call("GET", "/api/v1/me", { token: k.body.key }), 403, "forbidden");
  });

  test("unban: 200, the user can log in again (old refresh tokens stay revoked), audit + notification", async () => {
    const u = await withSession("unban-me@example.com");
    await t.call("POST", `/api/v1/admin/users/${u.id}/ban`, { token: admin.token, body: { reason: "oops" } });
    const r = await t.call("POST", `/api/v1/admin/users/${u.id}/unban`, { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ is_banned: false, ban_reason: null, banned_at: null });
    expect((await t.call("GET", "/api/v1/me", { token: u.access })).status).toBe(200);
    expectError(
      await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: u.refresh } }),
      401,
      "unauthenticated",
    );
    const login = await t.call("POST", "/api/v1/auth/login", {
      body: { login: "unban-me@example.com", password: "long enough pw" },
    });
    expect(login.status).toBe(200);
    expect(auditRows(u.id, "user.unbanned")).toHaveLength(1);
    expect(
      t.ctx.sqlite.query("SELECT count(*) AS n FROM notifications WHERE user_id = ?").get(u.id) as {
        n: number;
      },
    ).toEqual({ n: 1 });
  });

  test("unban with a body field -> 400", async () => {
    const u = await t.user();
    expectError(
      await t.call("POST", `/api/v1/admin/users/${u.id}/unban`, {
        token: admin.token,
        body: { reason: "x" },
      }),
      400,
      "validation_failed",
    );
  });

  test("banning yourself -> 409 conflict, nothing changes", async () => {
    expectError(
      await t.call("POST", `/api/v1/admin/users/${admin.id}/ban`, { token: admin.token }),
      409,
      "conflict",
    );
    expect((await t.call("GET", "/api/v1/me", { token: admin.token })).status).toBe(200);
    expect(auditRows(admin.id, "user.banned")).toHaveLength(0);
  });

  test.each([
    ["ban", "/ban"],
    ["unban", "/unban"],
  ])("%s of an unknown id -> 404; of a non-numeric id -> 400", async (_n, suffix) => {
    expectError(
      await t.call("POST", `/api/v1/admin/users/999999${suffix}`, { token: admin.token }),
      404,
      "not_found",
    );
    expectError(
      await t.call("POST", `/api/v1/admin/users/abc${suffix}`, { token: admin.token }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("POST", `/api/v1/admin/users/0${suffix}`, { token: admin.token }),
      400,
      "validation_failed",
    );
  });

  test.each(["client", "expert", "partner", "support"] as const)("a %s cannot ban -> 403", async (role) => {
    const actor = await t.user(role);
    const victim = await t.user();
    expectError(
      await t.call("POST", `/api/v1/admin/users/${victim.id}/ban`, { token: actor.token }),
      403,
      "forbidden",
    );
    expectError(
      await t.call("POST", `/api/v1/admin/users/${victim.id}/unban`, { token: actor.token }),
      403,
      "forbidden",
    );
    expect((await t.call("GET", "/api/v1/me", { token: victim.token })).status).toBe(200);
  });

  test("no auth -> 401", async () => {
    const victim = await t.user();
    expectError(await t.call("POST", `/api/v1/admin/users/${victim.id}/ban`), 401, "unauthenticated");
  });

  test("a ban reason over 500 characters -> 400", async () => {
    const u = await t.user();
    expectError(
      await t.call("POST", `/api/v1/admin/users/${u.id}/ban`, {
        token: admin.token,
        body: { reason: "x".repeat(501) },
      }),
      400,
      "validation_failed",
    );
  });
});

describe("POST /admin/users/{id}/role", () => {
  test("changes the role and granted permissions; audited; the new role applies at once", async () => {
    const u = await t.user("client");
    const r = await t.call("POST", `/api/v1/admin/users/${u.id}/role`, {
      token: admin.token,
      body: { role: "support", granted_permissions: ["users:ban"] },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: u.id, role: "support", granted_permissions: ["users:ban"] });
    const rows = auditRows(u.id, "user.role_changed");
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.details)).toEqual({ role: "support", granted_permissions: ["users:ban"] });
    // The old token carries the new role (the database role counts, not the claim).
    const me = await t.call("GET", "/api/v1/me", { token: u.token });
    expect(me.body.role).toBe("support");
    expect(me.body.permissions).toContain("users:ban");

    // A support user granted users:ban can now ban.
    const victim = await t.user();
    const ban = await t.call("POST", `/api/v1/admin/users/${victim.id}/ban`, { token: u.token });
    expect(ban.status).toBe(200);
    expect(auditRows(victim.id, "user.banned")[0]!.actor_id).toBe(u.id);
    // …but not change roles (no users:role).
    expectError(
      await t.call("POST", `/api/v1/admin/users/${victim.id}/role`, {
        token: u.token,
        body: { role: "expert" },
      }),
      403,
      "forbidden",
    );
  });

  test("omitting granted_permissions keeps them; an empty list clears them", async () => {
    const u = await t.user("support", { grantedPermissions: ["users:ban"] });
    const keep = await t.call("POST", `/api/v1/admin/users/${u.id}/role`, {
      token: admin.token,
      body: { role: "arbitrator" },
    });
    expect(keep.body.granted_permissions).toEqual(["users:ban"]);
    const clear = await t.call("POST", `/api/v1/admin/users/${u.id}/role`, {
      token: admin.token,
      body: { role: "arbitrator", granted_permissions: [] },
    });
    expect(clear.body.granted_permissions).toEqual([]);
  });

  test("demoting an admin removes admin access at once", async () => {
    const other = await t.user("admin");
    await t.call("POST", `/api/v1/admin/users/${other.id}/role`, {
      token: admin.token,
      body: { role: "client" },
    });
    expectError(await t.call("GET", "/api/v1/admin/users", { token: other.token }), 403, "forbidden");
  });

  test.each([
    ["invalid role", { role: "wizard" }],
    ["missing role", {}],
    ["bad permission syntax", { role: "support", granted_permissions: ["Users Ban"] }],
    ["permissions not an array", { role: "support", granted_permissions: "users:ban" }],
    ["unknown field", { role: "support", is_banned: true }],
  ])("%s -> 400 validation_failed", async (_n, body) => {
    const u = await t.user();
    expectError(
      await t.call("POST", `/api/v1/admin/users/${u.id}/role`, { token: admin.token, body }),
      400,
      "validation_failed",
    );
    expect((await t.call("GET", "/api/v1/me", { token: u.token })).body.role).toBe("client");
  });

  test("changing your own role -> 409; unknown id -> 404; no auth -> 401; client/expert -> 403", async () => {
    expectError(
      await t.call("POST", `/api/v1/admin/users/${admin.id}/role`, {
        token: admin.token,
        body: { role: "client" },
      }),
      409,
      "conflict",
    );
    expectError(
      await t.call("POST", "/api/v1/admin/users/999999/role", {
        token: admin.token,
        body: { role: "client" },
      }),
      404,
      "not_found",
    );
    const u = await t.user();
    expectError(
      await t.call("POST", `/api/v1/admin/users/${u.id}/role`, { body: { role: "admin" } }),
      401,
      "unauthenticated",
    );
    for (const role of ["client", "expert"] as const) {
      const actor = await t.user(role);
      expectError(
        await t.call("POST", `/api/v1/admin/users/${actor.id}/role`, {
          token: actor.token,
          body: { role: "admin" },
        }),
        403,
        "forbidden",
      );
      expectError(
        await t.call("POST", `/api/v1/admin/users/${u.id}/role`, {
          token: actor.token,
          body: { role: "admin" },
        }),
        403,
        "forbidden",
      );
    }
    expect((await t.call("GET", "/api/v1/me", { token: u.token })).body.role).toBe("client");
  });
});

describe("staff cannot exceed their own permissions", () => {
  test("a support user granted users:role cannot make anyone admin or grant what it lacks", async () => {
    const staff = await t.user("support", { grantedPermissions: ["users:role", "users:ban"] });
    const u = await t.user("client");
    for (const body of [
      { role: "admin" },
      { role: "client", granted_permissions: ["*"] },
      { role: "client", granted_permissions: ["system:write"] },
      { role: "client", granted_permissions: ["users:*"] },
      { role: "merchant" },
    ]) {
      const r = await t.call("POST", `/api/v1/admin/users/${u.id}/role`, { token: staff.token, body });
      expect(r.status, JSON.stringify(body)).toBe(403);
    }
    expect((await t.call("GET", "/api/v1/me", { token: u.token })).body).toMatchObject({ role: "client" });
    // Within its own powers it may act.
    const ok = await t.call("POST", `/api/v1/admin/users/${u.id}/role`, {
      token: staff.token,
      body: { role: "expert", granted_permissions: ["users:read"] },
    });
    expect(ok.status).toBe(200);
  });

  test("a support user with users:ban cannot ban, unban or re-role an admin", async () => {
    const staff = await t.user("support", { grantedPermissions: ["users:ban", "users:role"] });
    const other = await t.user("admin");
    expectError(
      await t.call("POST", `/api/v1/admin/users/${other.id}/ban`, { token: staff.token }),
      403,
      "forbidden",
    );
    expectError(
      await t.call("POST", `/api/v1/admin/users/${other.id}/role`, {
        token: staff.token,
        body: { role: "client" },
      }),
      403,
      "forbidden",
    );
    expect((await t.call("GET", "/api/v1/admin/users", { token: other.token })).status).toBe(200);
    const bannedAdmin = await t.user("admin", { isBanned: true });
    expectError(
      await t.call("POST", `/api/v1/admin/users/${bannedAdmin.id}/unban`, { token: staff.token }),
      403,
      "forbidden",
    );
  });
});

describe("seed-001 paths under /api with trailing slashes", () => {
  test("list, all, ban, unban, role", async () => {
    const u = await t.user();
    const list = await t.call("GET", "/api/admin/users/?page_size=2", { token: admin.token });
    expect(list.status).toBe(200);
    expect(list.body.results).toHaveLength(2);
    expect(list.body.next).toContain("/api/admin/users/");
    expect((await t.call("GET", list.body.next, { token: admin.token })).status).toBe(200);
    expect((await t.call("GET", "/api/admin/users/all/", { token: admin.token })).status).toBe(200);
    expect(
      (await t.call("POST", `/api/admin/users/${u.id}/ban/`, { token: admin.token, body: {} })).body
        .is_banned,
    ).toBe(true);
    expect(
      (await t.call("POST", `/api/admin/users/${u.id}/unban/`, { token: admin.token })).body.is_banned,
    ).toBe(false);
    const role = await t.call("POST", `/api/admin/users/${u.id}/role/`, {
      token: admin.token,
      body: { role: "expert" },
    });
    expect(role.body.role).toBe("expert");
  });
});
