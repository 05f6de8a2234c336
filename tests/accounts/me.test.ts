import { describe, expect, test } from "bun:test";
import { ROLE_PERMISSIONS } from "../../src/modules/accounts/permissions";
import { expectError, makeTestApp } from "../helpers/app";

const t = makeTestApp();

async function newKey(token: string, scopes: string[], name = "test key") {
  const r = await t.call("POST", "/api/v1/me/api-keys", { token, body: { name, scopes } });
  if (r.status !== 201) throw new Error(`key creation failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { id: number; key: string; scopes: string[]; prefix: string };
}

describe("GET /me", () => {
  test("returns the caller's profile with role permissions", async () => {
    const u = await t.user("client", { firstName: "Ann", bio: "hello" });
    const r = await t.call("GET", "/api/v1/me", { token: u.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: u.id,
      email: u.email,
      username: u.username,
      telegram_id: null,
      role: "client",
      first_name: "Ann",
      bio: "hello",
      is_banned: false,
    });
    for (const k of [
      "last_name",
      "experience_years",
      "education",
      "skills",
      "avatar_url",
      "created_at",
      "last_login_at",
    ]) {
      expect(r.body).toHaveProperty(k);
    }
    expect(r.body.permissions).toEqual([...ROLE_PERMISSIONS.client]);
    for (const secret of ["password_hash", "passwordHash", "granted_permissions", "ban_reason"]) {
      expect(r.body).not.toHaveProperty(secret);
    }
  });

  test("permissions include granted ones for staff", async () => {
    const u = await t.user("support", { grantedPermissions: ["users:ban"] });
    const r = await t.call("GET", "/api/v1/me", { token: u.token });
    expect(r.body.permissions).toEqual([...ROLE_PERMISSIONS.support, "users:ban"]);
  });

  test("no auth -> 401 unauthenticated", async () => {
    expectError(await t.call("GET", "/api/v1/me"), 401, "unauthenticated");
    expectError(await t.call("PATCH", "/api/v1/me", { body: { bio: "x" } }), 401, "unauthenticated");
  });

  test("a banned user's token -> 403", async () => {
    const u = await t.user("client", { isBanned: true });
    expectError(await t.call("GET", "/api/v1/me", { token: u.token }), 403, "forbidden");
  });
});

describe("PATCH /me", () => {
  test("updates the seed-000 profile fields", async () => {
    const u = await t.user("expert");
    const body = {
      first_name: "Ivan",
      last_name: "Petrov",
      bio: "Mathematician, 10 years of tutoring",
      experience_years: 10,
      education: "MSU, Faculty of Mechanics and Mathematics",
      skills: "algebra, calculus",
      avatar_url: "https://cdn.example.com/a.png",
    };
    const r = await t.call("PATCH", "/api/v1/me", { token: u.token, body });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: u.id, ...body });
    expect(r.body.permissions).toEqual([...ROLE_PERMISSIONS.expert]);
    const again = await t.call("GET", "/api/v1/me", { token: u.token });
    expect(again.body).toMatchObject(body);
  });

  test("null clears a field, omitted fields are untouched, {} changes nothing", async () => {
    const u = await t.user("client", { bio: "old bio", skills: "old skills" });
    const r = await t.call("PATCH", "/api/v1/me", { token: u.token, body: { bio: null } });
    expect(r.status).toBe(200);
    expect(r.body.bio).toBeNull();
    expect(r.body.skills).toBe("old skills");
    const same = await t.call("PATCH", "/api/v1/me", { token: u.token, body: {} });
    expect(same.status).toBe(200);
    expect(same.body.skills).toBe("old skills");
  });

  test("email and username are lower-cased; changing to your own values is fine", async () => {
    const u = await t.user();
    const r = await t.call("PATCH", "/api/v1/me", {
      token: u.token,
      body: { email: "New.Mail@Example.COM", username: "New_Name" },
    });
    expect(r.status).toBe(200);
    expect(r.body.email).toBe("new.mail@example.com");
    expect(r.body.username).toBe("new_name");
    const same = await t.call("PATCH", "/api/v1/me", {
      token: u.token,
      body: { email: "new.mail@example.com", username: "new_name" },
    });
    expect(same.status).toBe(200);
  });

  test.each([
    ["email", (o: { email: string | null; username: string | null }) => ({ email: o.email })],
    [
      "email in other case",
      (o: { email: string | null; username: string | null }) => ({ email: o.email!.toUpperCase() }),
    ],
    ["username", (o: { email: string | null; username: string | null }) => ({ username: o.username })],
    [
      "username in other case",
      (o: { email: string | null; username: string | null }) => ({ username: o.username!.toUpperCase() }),
    ],
  ])("taking another user's %s -> 409 conflict", async (_name, clash) => {
    const other = await t.user();
    const u = await t.user();
    expectError(await t.call("PATCH", "/api/v1/me", { token: u.token, body: clash(other) }), 409, "conflict");
    const me = await t.call("GET", "/api/v1/me", { token: u.token });
    expect(me.body.email).toBe(u.email);
    expect(me.body.username).toBe(u.username);
  });

  test("keeping your own email while taking another user's username -> 409, not 500", async () => {
    // The clash lookup must not stop at the caller's own row.
    const u = await t.user();
    const other = await t.user();
    const r = await t.call("PATCH", "/api/v1/me", {
      token: u.token,
      body: { email: u.email, username: other.username },
    });
    expectError(r, 409, "conflict");
    const r2 = await t.call("PATCH", "/api/v1/me", {
      token: other.token,
      body: { username: other.username, email: u.email },
    });
    expectError(r2, 409, "conflict");
  });

  test.each([
    ["experience_years as string", { experience_years: "10" }],
    ["experience_years negative", { experience_years: -1 }],
    ["experience_years fractional", { experience_years: 1.5 }],
    ["bio as number", { bio: 5 }],
    ["bio too long", { bio: "x".repeat(5001) }],
    ["skills as array", { skills: ["a", "b"] }],
    ["avatar_url not a url", { avatar_url: "not a url" }],
    ["avatar_url javascript:", { avatar_url: "javascript:alert(document.cookie)" }],
    ["avatar_url data:", { avatar_url: "data:text/html,<script>alert(1)</script>" }],
    ["email invalid", { email: "nope" }],
    ["email null", { email: null }],
    ["username invalid", { username: "no spaces allowed" }],
    ["role escalation", { role: "admin" }],
    ["granted_permissions escalation", { granted_permissions: ["*"] }],
    ["is_banned", { is_banned: false }],
    ["telegram_id", { telegram_id: 1 }],
  ])("%s -> 400 validation_failed", async (_name, body) => {
    const u = await t.user();
    expectError(await t.call("PATCH", "/api/v1/me", { token: u.token, body }), 400, "validation_failed");
    const row = t.ctx.sqlite.query("SELECT role, updated_at FROM users WHERE id = ?").get(u.id) as {
      role: string;
      updated_at: number;
    };
    expect(row.role).toBe("client");
  });

  test("/api/me/ alias accepts PATCH", async () => {
    const u = await t.user();
    const r = await t.call("PATCH", "/api/me/", { token: u.token, body: { bio: "via alias" } });
    expect(r.status).toBe(200);
    expect(r.body.bio).toBe("via alias");
  });
});

describe("API keys", () => {
  test("POST -> 201 with an sk_ key shown once; the list never shows it", async () => {
    const u = await t.user();
    const r = await t.call("POST", "/api/v1/me/api-keys", {
      token: u.token,
      body: { name: "screph", scopes: ["balance:read", "usage:write", "balance:read"] },
    });
    expect(r.status).toBe(201);
    expect(r.body.key).toMatch(/^sk_[A-Za-z0-9_-]{20,}$/);
    expect(r.body).toMatchObject({
      name: "screph",
      scopes: ["balance:read", "usage:write"],
      revoked_at: null,
    });
    expect(r.body.key.startsWith(r.body.prefix)).toBe(true);
    // Stored only as a hash.
    const row = t.ctx.sqlite.query("SELECT key_hash FROM api_keys WHERE id = ?").get(r.body.id) as {
      key_hash: string;
    };
    expect(row.key_hash).not.toContain(r.body.key);
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);

    const list = await t.call("GET", "/api/v1/me/api-keys", { token: u.token });
    expect(list.status).toBe(200);
    expect(list.body.results).toHaveLength(1);
    expect(list.body.results[0]).toMatchObject({ id: r.body.id, name: "screph", prefix: r.body.prefix });
    expect(list.body.results[0]).not.toHaveProperty("key");
    expect(list.body.results[0]).not.toHaveProperty("key_hash");
    expect(JSON.stringify(list.body)).not.toContain(r.body.key);
  });

  test("the key works as a Bearer credential and sets last_used_at", async () => {
    const u = await t.user();
    const k = await newKey(u.token, ["me:read"]);
    const listBefore = await t.call("GET", "/api/v1/me/api-keys", { token: u.token });
    expect(listBefore.body.results[0].last_used_at).toBeNull();
    const me = await t.call("GET", "/api/v1/me", { token: k.key });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(u.id);
    const listAfter = await t.call("GET", "/api/v1/me/api-keys", { token: u.token });
    expect(listAfter.body.results[0].last_used_at).toBe(new Date(t.clock.now()).toISOString());
  });

  test("a key limited to balance:read gets 403 on PATCH /me and on key management", async () => {
    const u = await t.user();
    const k = await newKey(u.token, ["balance:read"]);
    expectError(await t.call("PATCH", "/api/v1/me", { token: k.key, body: { bio: "x" } }), 403, "forbidden");
    expectError(await t.call("GET", "/api/v1/me", { token: k.key }), 403, "forbidden");
    expectError(await t.call("GET", "/api/v1/me/api-keys", { token: k.key }), 403, "forbidden");
    expectError(
      await t.call("POST", "/api/v1/me/api-keys", {
        token: k.key,
        body: { name: "x", scopes: ["balance:read"] },
      }),
      403,
      "forbidden",
    );
  });

  test("a key can mint keys only within its own scopes", async () => {
    const u = await t.user();
    const k = await newKey(u.token, ["api_keys:write", "me:read"]);
    const ok = await t.call("POST", "/api/v1/me/api-keys", {
      token: k.key,
      body: { name: "sub", scopes: ["me:read"] },
    });
    expect(ok.status).toBe(201);
    expectError(
      await t.call("POST", "/api/v1/me/api-keys", {
        token: k.key,
        body: { name: "sub", scopes: ["me:write"] },
      }),
      403,
      "forbidden",
    );
  });

  test.each([["users:read"], ["*"], ["bot:act_as"], ["users:*"], ["system:write"], ["gateway:*"]])(
    "a client asking for %s -> 403 and no key written",
    async (scope) => {
      const u = await t.user("client");
      const r = await t.call("POST", "/api/v1/me/api-keys", {
        token: u.token,
        body: { name: "x", scopes: ["me:read", scope] },
      });
      const e = expectError(r, 403, "forbidden");
      expect(e.message).toContain(scope);
      expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM api_keys WHERE user_id = ?").get(u.id)).toEqual({
        n: 0,
      });
    },
  );

  test("an `{id}` grant does not let a key claim the whole subtree", async () => {
    const u = await t.user("client", { grantedPermissions: ["reports:{id}"] });
    expectError(
      await t.call("POST", "/api/v1/me/api-keys", {
        token: u.token,
        body: { name: "x", scopes: ["reports:*"] },
      }),
      403,
      "forbidden",
    );
    const ok = await t.call("POST", "/api/v1/me/api-keys", {
      token: u.token,
      body: { name: "x", scopes: ["reports:{id}"] },
    });
    expect(ok.status).toBe(201);
  });

  test.each([
    ["no scopes", { name: "x", scopes: [] }],
    ["no name", { scopes: ["me:read"] }],
    ["empty name", { name: "", scopes: ["me:read"] }],
    ["bad scope syntax", { name: "x", scopes: ["ME READ"] }],
    ["leading wildcard", { name: "x", scopes: ["*:read"] }],
    ["scopes not an array", { name: "x", scopes: "me:read" }],
    ["unknown field", { name: "x", scopes: ["me:read"], user_id: 1 }],
  ])("%s -> 400 validation_failed", async (_name, body) => {
    const u = await t.user();
    expectError(
      await t.call("POST", "/api/v1/me/api-keys", { token: u.token, body }),
      400,
      "validation_failed",
    );
  });

  test("DELETE revokes (204) and the key is refused at once", async () => {
    const u = await t.user();
    const k = await newKey(u.token, ["me:read"]);
    expect((await t.call("GET", "/api/v1/me", { token: k.key })).status).toBe(200);
    const d = await t.call("DELETE", `/api/v1/me/api-keys/${k.id}`, { token: u.token });
    expect(d.status).toBe(204);
    expectError(await t.call("GET", "/api/v1/me", { token: k.key }), 401, "unauthenticated");
    const list = await t.call("GET", "/api/v1/me/api-keys", { token: u.token });
    expect(list.body.results[0].revoked_at).toBe(new Date(t.clock.now()).toISOString());
    // A second delete finds nothing to revoke.
    expectError(await t.call("DELETE", `/api/v1/me/api-keys/${k.id}`, { token: u.token }), 404, "not_found");
  });

  test("deleting someone else's key -> 404 and the key keeps working", async () => {
    const owner = await t.user();
    const thief = await t.user();
    const k = await newKey(owner.token, ["me:read"]);
    expectError(
      await t.call("DELETE", `/api/v1/me/api-keys/${k.id}`, { token: thief.token }),
      404,
      "not_found",
    );
    expect((await t.call("GET", "/api/v1/me", { token: k.key })).status).toBe(200);
    const thiefList = await t.call("GET", "/api/v1/me/api-keys", { token: thief.token });
    expect(thiefList.body.results).toEqual([]);
  });

  test("DELETE with an unknown or invalid id", async () => {
    const u = await t.user();
    expectError(await t.call("DELETE", "/api/v1/me/api-keys/999999", { token: u.token }), 404, "not_found");
    expectError(
      await t.call("DELETE", "/api/v1/me/api-keys/abc", { token: u.token }),
      400,
      "validation_failed",
    );
  });

  test("a banned owner's key is refused at once", async () => {
    const u = await t.user();
    const k = await newKey(u.token, ["me:read"]);
    t.ctx.sqlite.query("UPDATE users SET is_banned = 1 WHERE id = ?").run(u.id);
    expectError(await t.call("GET", "/api/v1/me", { token: k.key }), 403, "forbidden");
  });

  test("no auth -> 401 on every key route", async () => {
    expectError(await t.call("GET", "/api/v1/me/api-keys"), 401, "unauthenticated");
    expectError(
      await t.call("POST", "/api/v1/me/api-keys", { body: { name: "x", scopes: ["me:read"] } }),
      401,
      "unauthenticated",
    );
    expectError(await t.call("DELETE", "/api/v1/me/api-keys/1"), 401, "unauthenticated");
  });
});

describe("bot: /bot/users and X-Act-As-Telegram-Id", () => {
  async function botKey(role: "admin" | "partner" = "partner") {
    const owner = await t.user(role);
    return (await newKey(owner.token, ["bot:act_as"], "bot server")).key;
  }

  test.each(["admin", "partner"] as const)("a %s can create a bot:act_as key", async (role) => {
    const owner = await t.user(role);
    const k = await newKey(owner.token, ["bot:act_as"]);
    expect(k.scopes).toEqual(["bot:act_as"]);
  });

  test("POST /bot/users upserts: 201 the first time, 200 the second (same id)", async () => {
    const key = await botKey();
    const body = { telegram_id: 9_000_001, username: "Bot_User", first_name: "Botty" };
    const r1 = await t.call("POST", "/api/v1/bot/users", { token: key, body });
    expect(r1.status).toBe(201);
    expect(r1.body).toMatchObject({
      telegram_id: 9_000_001,
      username: "bot_user",
      first_name: "Botty",
      role: "client",
    });
    const r2 = await t.call("POST", "/api/v1/bot/users", {
      token: key,
      body: { ...body, first_name: "Renamed" },
    });
    expect(r2.status).toBe(200);
    expect(r2.body.id).toBe(r1.body.id);
    expect(r2.body.first_name).toBe("Renamed");
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM users WHERE telegram_id = 9000001").get()).toEqual({
      n: 1,
    });
  });

  test.each([
    ["missing telegram_id", { username: "x" }],
    ["telegram_id as string", { telegram_id: "1" }],
    ["telegram_id zero", { telegram_id: 0 }],
    ["unknown field", { telegram_id: 1, role: "admin" }],
  ])("POST /bot/users with %s -> 400", async (_name, body) => {
    const key = await botKey();
    expectError(await t.call("POST", "/api/v1/bot/users", { token: key, body }), 400, "validation_failed");
  });

  test("a plain client key or token without bot:act_as -> 403", async () => {
    const c = await t.user("client");
    const k = await newKey(c.token, ["me:read"]);
    const body = { telegram_id: 9_000_002 };
    expectError(await t.call("POST", "/api/v1/bot/users", { token: k.key, body }), 403, "forbidden");
    expectError(await t.call("POST", "/api/v1/bot/users", { token: c.token, body }), 403, "forbidden");
    // A partner key without the scope is refused too: the key's scopes count, not only the owner's.
    const p = await t.user("partner");
    const pk = await newKey(p.token, ["me:read"]);
    expectError(await t.call("POST", "/api/v1/bot/users", { token: pk.key, body }), 403, "forbidden");
    expectError(await t.call("POST", "/api/v1/bot/users", { body }), 401, "unauthenticated");
  });

  test("X-Act-As-Telegram-Id with the bot key makes GET /me return that user", async () => {
    const key = await botKey();
    const created = await t.call("POST", "/api/v1/bot/users", {
      token: key,
      body: { telegram_id: 9_000_003 },
    });
    const r = await t.call("GET", "/api/v1/me", {
      token: key,
      headers: { "x-act-as-telegram-id": "9000003" },
    });
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(created.body.id);
    expect(r.body.telegram_id).toBe(9_000_003);
    expect(r.body.permissions).toEqual([...ROLE_PERMISSIONS.client]);
    // With the target's permissions: it may update the target's profile (the key has no me:write scope).
    const p = await t.call("PATCH", "/api/v1/me", {
      token: key,
      headers: { "x-act-as-telegram-id": "9000003" },
      body: { bio: "set by the bot" },
    });
    expect(p.status).toBe(200);
    expect(p.body.id).toBe(created.body.id);
    expect(p.body.bio).toBe("set by the bot");
  });

  test("an admin's bot key acts too", async () => {
    const key = await botKey("admin");
    const target = await t.user("client", { telegramId: 9_000_010 });
    const r = await t.call("GET", "/api/v1/me", {
      token: key,
      headers: { "x-act-as-telegram-id": "9000010" },
    });
    expect(r.body.id).toBe(target.id);
  });

  test("unknown telegram id -> 404", async () => {
    const key = await botKey();
    expectError(
      await t.call("GET", "/api/v1/me", { token: key, headers: { "x-act-as-telegram-id": "9999999" } }),
      404,
      "not_found",
    );
  });

  test.each(["abc", "-5", "0", "1.5", "99999999999999999999"])(
    "a malformed act-as id %p -> 400",
    async (id) => {
      const key = await botKey();
      expectError(
        await t.call("GET", "/api/v1/me", { token: key, headers: { "x-act-as-telegram-id": id } }),
        400,
        "validation_failed",
      );
    },
  );

  test("act-as with a key lacking bot:act_as -> 403 (even when its owner holds it)", async () => {
    await t.user("client", { telegramId: 9_000_004 });
    const c = await t.user("client");
    const ck = await newKey(c.token, ["me:read"]);
    expectError(
      await t.call("GET", "/api/v1/me", { token: ck.key, headers: { "x-act-as-telegram-id": "9000004" } }),
      403,
      "forbidden",
    );
    const p = await t.user("partner");
    const pk = await newKey(p.token, ["me:read"]);
    expectError(
      await t.call("GET", "/api/v1/me", { token: pk.key, headers: { "x-act-as-telegram-id": "9000004" } }),
      403,
      "forbidden",
    );
  });

  test("act-as with an access token (not a key) -> 403, never silently ignored", async () => {
    await t.user("client", { telegramId: 9_000_005 });
    for (const role of ["client", "partner", "admin"] as const) {
      const u = await t.user(role);
      const r = await t.call("GET", "/api/v1/me", {
        token: u.token,
        headers: { "x-act-as-telegram-id": "9000005" },
      });
      expectError(r, 403, "forbidden");
    }
  });

  test("a banned target -> 403", async () => {
    const key = await botKey();
    await t.user("client", { telegramId: 9_000_006, isBanned: true });
    expectError(
      await t.call("GET", "/api/v1/me", { token: key, headers: { "x-act-as-telegram-id": "9000006" } }),
      403,
      "forbidden",
    );
  });

  test("a revoked bot key cannot act", async () => {
    const owner = await t.user("partner");
    const k = await newKey(owner.token, ["bot:act_as"]);
    await t.user("client", { telegramId: 9_000_007 });
    await t.call("DELETE", `/api/v1/me/api-keys/${k.id}`, { token: owner.token });
    expectError(
      await t.call("GET", "/api/v1/me", { token: k.key, headers: { "x-act-as-telegram-id": "9000007" } }),
      401,
      "unauthenticated",
    );
  });

  test("a partner's bot key cannot act as an admin or staff user (no privilege escalation)", async () => {
    const key = await botKey("partner");
    const admin = await t.user("admin", { telegramId: 9_000_008 });
    await t.user("support", { telegramId: 9_000_009 });
    await t.user("client", { telegramId: 9_000_011, grantedPermissions: ["users:ban"] });
    for (const id of ["9000008", "9000009", "9000011"]) {
      const r = await t.call("GET", "/api/v1/me", { token: key, headers: { "x-act-as-telegram-id": id } });
      expectError(r, 403, "forbidden");
    }
    const ban = await t.call("POST", `/api/v1/admin/users/${admin.id + 1}/ban`, {
      token: key,
      headers: { "x-act-as-telegram-id": "9000008" },
    });
    expectError(ban, 403, "forbidden");
    // An expert (an end user) is fine.
    const ex = await t.user("expert", { telegramId: 9_000_012 });
    const r = await t.call("GET", "/api/v1/me", {
      token: key,
      headers: { "x-act-as-telegram-id": "9000012" },
    });
    expect(r.body.id).toBe(ex.id);
  });
});

describe("payment_settings in /me", () => {
  test("shows the manual-transfer details admins set (empty by default)", async () => {
    const u = await t.user("client");
    expect((await t.call("GET", "/api/v1/me", { token: u.token })).body.payment_settings).toEqual({
      instructions: "",
      fields: {},
    });
    const admin = await t.user("admin");
    const value = {
      instructions: "Transfer to the account below",
      fields: { bank: "Tinkoff", account: "4081 7810" },
    };
    const r = await t.call("PATCH", "/api/v1/admin/system/settings", {
      token: admin.token,
      body: { payment_settings: value },
    });
    expect(r.status).toBe(200);
    expect((await t.call("GET", "/api/v1/me", { token: u.token })).body.payment_settings).toEqual(value);
    const bad = { payment_settings: { instructions: "x", fields: { bank: 1 } } };
    const e = await t.call("PATCH", "/api/v1/admin/system/settings", { token: admin.token, body: bad });
    expect(e.status).toBe(400);
  });
});
