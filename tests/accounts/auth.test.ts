import { describe, expect, test } from "bun:test";
import { sign } from "hono/jwt";
import { signAccessToken } from "../../src/modules/accounts/tokens";
import { expectError, makeTestApp } from "../helpers/app";

const t = makeTestApp();
const ACCESS_TTL = 900;
const countUsers = () => (t.ctx.sqlite.query("SELECT count(*) AS n FROM users").get() as { n: number }).n;
const events = (type: string) =>
  (t.ctx.sqlite.query("SELECT count(*) AS n FROM events WHERE type = ?").get(type) as { n: number }).n;

let seq = 0;
function creds(extra: Record<string, unknown> = {}) {
  seq++;
  return {
    email: `Person${seq}@Example.com`,
    password: "correct horse battery",
    username: `Person_${seq}`,
    ...extra,
  };
}

async function register(extra: Record<string, unknown> = {}) {
  const body = creds(extra);
  const r = await t.call("POST", "/api/v1/auth/register", { body });
  expect(r.status).toBe(201);
  return { ...r, creds: body };
}

function refreshCookie(headers: Headers): string | undefined {
  return headers
    .getSetCookie()
    .find((c) => c.startsWith("refresh_token="))
    ?.split(";")[0]
    ?.slice("refresh_token=".length);
}

describe("POST /auth/register", () => {
  test("201 with {user, access_token, refresh_token, token_type, expires_in} and an httpOnly cookie", async () => {
    const r = await register();
    expect(Object.keys(r.body).sort()).toEqual(
      ["access_token", "expires_in", "refresh_token", "token_type", "user"].sort(),
    );
    expect(r.body.token_type).toBe("Bearer");
    expect(r.body.expires_in).toBe(ACCESS_TTL);
    expect(r.body.refresh_token).toMatch(/^rt_/);
    expect(r.body.user).toMatchObject({
      email: r.creds.email.toLowerCase(),
      username: r.creds.username.toLowerCase(),
      role: "client",
      telegram_id: null,
      is_banned: false,
    });
    expect(r.body.user).not.toHaveProperty("password_hash");
    expect(JSON.stringify(r.body)).not.toContain("argon2");
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith("refresh_token="))!;
    expect(cookie).toBeTruthy();
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("Path=/api");
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(refreshCookie(r.headers)).toBe(r.body.refresh_token);
    // The access token works at once.
    const me = await t.call("GET", "/api/v1/me", { token: r.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(r.body.user.id);
  });

  test("the password is stored as an argon2id hash, never in clear", async () => {
    const r = await register();
    const row = t.ctx.sqlite.query("SELECT password_hash FROM users WHERE id = ?").get(r.body.user.id) as {
      password_hash: string;
    };
    expect(row.password_hash).toStartWith("$argon2id$");
    expect(row.password_hash).not.toContain(r.creds.password);
  });

  test("username is optional", async () => {
    const r = await t.call("POST", "/api/v1/auth/register", {
      body: { email: "nouser@example.com", password: "long enough pw" },
    });
    expect(r.status).toBe(201);
    expect(r.body.user.username).toBeNull();
  });

  test.each([
    ["same email", (c: ReturnType<typeof creds>) => ({ email: c.email, username: `other_${seq}x` })],
    [
      "same email, other case",
      (c: ReturnType<typeof creds>) => ({ email: c.email.toUpperCase(), username: `oth_${seq}y` }),
    ],
    [
      "same username",
      (c: ReturnType<typeof creds>) => ({ email: `other${seq}@example.com`, username: c.username }),
    ],
    [
      "same username, other case",
      (c: ReturnType<typeof creds>) => ({
        email: `other${seq}z@example.com`,
        username: c.username.toUpperCase(),
      }),
    ],
  ])("duplicate %s -> 409 conflict, nothing written", async (_name, clash) => {
    const first = await register();
    const before = countUsers();
    const r = await t.call("POST", "/api/v1/auth/register", {
      body: { password: "another password", ...clash(first.creds) },
    });
    expectError(r, 409, "conflict");
    expect(countUsers()).toBe(before);
  });

  test.each([
    ["bad email", { email: "not-an-email", password: "long enough pw" }, "json.email"],
    ["short password", { email: "short@example.com", password: "1234567" }, "json.password"],
    ["password too long", { email: "long@example.com", password: "x".repeat(129) }, "json.password"],
    ["missing password", { email: "nopw@example.com" }, "json.password"],
    ["missing email", { password: "long enough pw" }, "json.email"],
    [
      "bad username",
      { email: "bu@example.com", password: "long enough pw", username: "a b" },
      "json.username",
    ],
    [
      "short username",
      { email: "su@example.com", password: "long enough pw", username: "ab" },
      "json.username",
    ],
    ["unknown field", { email: "uf@example.com", password: "long enough pw", role: "admin" }, "json"],
    ["wrong type", { email: "wt@example.com", password: 12345678 }, "json.password"],
  ])("%s -> 400 validation_failed and no row written", async (_name, body, path) => {
    const before = countUsers();
    const e = expectError(await t.call("POST", "/api/v1/auth/register", { body }), 400, "validation_failed");
    const paths: string[] = e.details.issues.map((i: { path: string }) => i.path);
    expect(
      paths.some((p) => p === path || p.startsWith(`${path}.`) || (path === "json" && p.startsWith("json"))),
    ).toBe(true);
    expect(countUsers()).toBe(before);
  });

  test("a client cannot register itself as admin via an extra field", async () => {
    const r = await t.call("POST", "/api/v1/auth/register", {
      body: { email: "sneaky@example.com", password: "long enough pw", role: "admin" },
    });
    expectError(r, 400, "validation_failed");
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM users WHERE role = 'admin'").get()).toEqual({
      n: 0,
    });
  });

  test("registration_open = false -> 403 forbidden, nothing written", async () => {
    const app = makeTestApp();
    app.ctx.settings.setNow({ registration_open: false }, app.clock.now());
    const r = await app.call("POST", "/api/v1/auth/register", {
      body: { email: "closed@example.com", password: "long enough pw" },
    });
    expectError(r, 403, "forbidden");
    expect(app.ctx.sqlite.query("SELECT count(*) AS n FROM users").get()).toEqual({ n: 0 });
    // Login of existing accounts is unaffected.
    app.ctx.settings.setNow({ registration_open: true }, app.clock.now());
    expect(
      (
        await app.call("POST", "/api/v1/auth/register", {
          body: { email: "open@example.com", password: "long enough pw" },
        })
      ).status,
    ).toBe(201);
    app.ctx.settings.setNow({ registration_open: false }, app.clock.now());
    const l = await app.call("POST", "/api/v1/auth/login", {
      body: { login: "open@example.com", password: "long enough pw" },
    });
    expect(l.status).toBe(200);
  });

  test("records a user.registered event", async () => {
    const before = events("user.registered");
    await register();
    expect(events("user.registered")).toBe(before + 1);
  });
});

describe("POST /auth/login", () => {
  test.each([
    ["email", (c: ReturnType<typeof creds>) => c.email],
    ["email in upper case", (c: ReturnType<typeof creds>) => c.email.toUpperCase()],
    ["email with surrounding spaces", (c: ReturnType<typeof creds>) => `  ${c.email}  `],
    ["username", (c: ReturnType<typeof creds>) => c.username],
    ["username in lower case", (c: ReturnType<typeof creds>) => c.username.toLowerCase()],
    ["username in upper case", (c: ReturnType<typeof creds>) => c.username.toUpperCase()],
  ])("by %s -> 200 with the auth shape", async (_name, loginOf) => {
    const reg = await register();
    const r = await t.call("POST", "/api/v1/auth/login", {
      body: { login: loginOf(reg.creds), password: reg.creds.password },
    });
    expect(r.status).toBe(200);
    expect(r.body.user.id).toBe(reg.body.user.id);
    expect(r.body.token_type).toBe("Bearer");
    expect(r.body.expires_in).toBe(ACCESS_TTL);
    expect(r.body.refresh_token).not.toBe(reg.body.refresh_token);
    expect(r.body.user.last_login_at).toBe(new Date(t.clock.now()).toISOString());
    expect(refreshCookie(r.headers)).toBe(r.body.refresh_token);
  });

  test("wrong password and unknown login are the same 401 invalid_credentials", async () => {
    const reg = await register();
    const wrong = expectError(
      await t.call("POST", "/api/v1/auth/login", {
        body: { login: reg.creds.email, password: "wrong password" },
      }),
      401,
      "invalid_credentials",
    );
    const unknown = expectError(
      await t.call("POST", "/api/v1/auth/login", {
        body: { login: "ghost@example.com", password: "whatever1" },
      }),
      401,
      "invalid_credentials",
    );
    expect(wrong.message).toBe(unknown.message);
  });

  test("the password is case-sensitive", async () => {
    const reg = await register();
    const r = await t.call("POST", "/api/v1/auth/login", {
      body: { login: reg.creds.email, password: reg.creds.password.toUpperCase() },
    });
    expectError(r, 401, "invalid_credentials");
  });

  test("a Telegram-only user (no password) cannot log in with a password", async () => {
    const u = await t.user("client", { email: "tgonly@example.com", username: "tgonly", telegramId: 777 });
    const r = await t.call("POST", "/api/v1/auth/login", {
      body: { login: u.email!, password: "anything1" },
    });
    expectError(r, 401, "invalid_credentials");
  });

  test.each([
    ["empty login", { login: "", password: "x" }],
    ["empty password", { login: "a@b.co", password: "" }],
    ["missing fields", {}],
    ["unknown field", { login: "a@b.co", password: "xxxxxxxx", remember: true }],
  ])("%s -> 400 validation_failed", async (_name, body) => {
    expectError(await t.call("POST", "/api/v1/auth/login", { body }), 400, "validation_failed");
  });

  test("a banned user gets 403 forbidden with the right password", async () => {
    const reg = await register();
    t.ctx.sqlite.query("UPDATE users SET is_banned = 1 WHERE id = ?").run(reg.body.user.id);
    const r = await t.call("POST", "/api/v1/auth/login", {
      body: { login: reg.creds.email, password: reg.creds.password },
    });
    expectError(r, 403, "forbidden");
    // A wrong password still reads as invalid credentials (no ban oracle without the password).
    const w = await t.call("POST", "/api/v1/auth/login", {
      body: { login: reg.creds.email, password: "wrong one!" },
    });
    expectError(w, 401, "invalid_credentials");
  });
});

describe("access tokens", () => {
  test("expire after ACCESS_TOKEN_TTL (900 s) -> 401 token_expired", async () => {
    const app = makeTestApp();
    const r = await app.call("POST", "/api/v1/auth/register", {
      body: { email: "ttl@example.com", password: "long enough pw" },
    });
    const token = r.body.access_token;
    app.clock.advance((ACCESS_TTL - 1) * 1000);
    expect((await app.call("GET", "/api/v1/me", { token })).status).toBe(200);
    app.clock.advance(1000);
    expectError(await app.call("GET", "/api/v1/me", { token }), 401, "token_expired");
    app.clock.advance(86_400_000);
    expectError(await app.call("GET", "/api/v1/me", { token }), 401, "token_expired");
  });

  test("an expired access token does not block the refresh route", async () => {
    const app = makeTestApp();
    const r = await app.call("POST", "/api/v1/auth/register", {
      body: { email: "ttl2@example.com", password: "long enough pw" },
    });
    app.clock.advance((ACCESS_TTL + 5) * 1000);
    const rr = await app.call("POST", "/api/v1/auth/refresh", {
      token: r.body.access_token,
      body: { refresh_token: r.body.refresh_token },
    });
    expect(rr.status).toBe(200);
    expect((await app.call("GET", "/api/v1/me", { token: rr.body.access_token })).status).toBe(200);
  });

  test("forged, garbage and malformed credentials -> 401 unauthenticated", async () => {
    const u = await t.user();
    const now = Math.floor(t.clock.now() / 1000);
    const payload = { sub: u.id, role: "admin", iat: now, exp: now + 600, typ: "access" };
    const otherSecret = await sign(payload, "another-secret-another-secret-0123456", "HS256");
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const algNone = `${b64({ alg: "none", typ: "JWT" })}.${b64(payload)}.`;
    const [h, , s] = u.token.split(".");
    const tamperedPayload = `${h}.${b64({ ...payload, sub: u.id, role: "admin" })}.${s}`;
    const refreshTyp = await sign(
      { ...payload, typ: "refresh" },
      "test-secret-test-secret-test-secret-0123",
      "HS256",
    );
    const stringSub = await sign(
      { ...payload, sub: String(u.id) },
      "test-secret-test-secret-test-secret-0123",
      "HS256",
    );
    const cases: Record<string, Record<string, string>> = {
      "other secret": { authorization: `Bearer ${otherSecret}` },
      "alg none": { authorization: `Bearer ${algNone}` },
      "tampered payload": { authorization: `Bearer ${tamperedPayload}` },
      "wrong typ": { authorization: `Bearer ${refreshTyp}` },
      "string sub": { authorization: `Bearer ${stringSub}` },
      garbage: { authorization: "Bearer garbage" },
      "unknown api key": { authorization: "Bearer sk_doesnotexist" },
      "no bearer prefix": { authorization: u.token },
      "basic auth": { authorization: "Basic dXNlcjpwYXNz" },
      "empty bearer": { authorization: "Bearer " },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const r = await t.call("GET", "/api/v1/me", { headers });
      expect(r.status, name).toBe(401);
      expectError(r, 401, "unauthenticated");
    }
    expectError(await t.call("GET", "/api/v1/me"), 401, "unauthenticated");
  });

  test("a token for a user who no longer exists -> 401", async () => {
    const token = await signAccessToken(
      "test-secret-test-secret-test-secret-0123",
      999_999,
      "admin",
      t.clock.now(),
      600,
    );
    expectError(await t.call("GET", "/api/v1/me", { token }), 401, "unauthenticated");
  });

  test("the role claim in the token is not trusted: the database role counts", async () => {
    const u = await t.user("client");
    const token = await signAccessToken(
      "test-secret-test-secret-test-secret-0123",
      u.id,
      "admin",
      t.clock.now(),
      600,
    );
    const me = await t.call("GET", "/api/v1/me", { token });
    expect(me.body.role).toBe("client");
    expectError(await t.call("GET", "/api/v1/admin/users", { token }), 403, "forbidden");
  });

  test("a garbage bearer on a public route does not block it", async () => {
    const reg = await register();
    const r = await t.call("POST", "/api/v1/auth/login", {
      token: "garbage",
      body: { login: reg.creds.email, password: reg.creds.password },
    });
    expect(r.status).toBe(200);
  });
});

describe("POST /auth/refresh", () => {
  test("with the token in the body: a new pair, the old token is then refused", async () => {
    const reg = await register();
    t.clock.advance(1000);
    const r = await t.call("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: reg.body.refresh_token },
    });
    expect(r.status).toBe(200);
    expect(r.body.user.id).toBe(reg.body.user.id);
    expect(r.body.refresh_token).toMatch(/^rt_/);
    expect(r.body.refresh_token).not.toBe(reg.body.refresh_token);
    expect(r.body.access_token).not.toBe(reg.body.access_token);
    expect(refreshCookie(r.headers)).toBe(r.body.refresh_token);
    expect((await t.call("GET", "/api/v1/me", { token: r.body.access_token })).status).toBe(200);
    const again = await t.call("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: reg.body.refresh_token },
    });
    expectError(again, 401, "unauthenticated");
  });

  test("with the token in the cookie (no body)", async () => {
    const reg = await register();
    const r = await t.call("POST", "/api/v1/auth/refresh", {
      headers: { cookie: `refresh_token=${reg.body.refresh_token}` },
    });
    expect(r.status).toBe(200);
    expect(r.body.user.id).toBe(reg.body.user.id);
    // The rotated cookie works for the next round.
    const next = refreshCookie(r.headers)!;
    const r2 = await t.call("POST", "/api/v1/auth/refresh", { headers: { cookie: `refresh_token=${next}` } });
    expect(r2.status).toBe(200);
  });

  test("with the cookie and an empty JSON body", async () => {
    const reg = await register();
    const r = await t.call("POST", "/api/v1/auth/refresh", {
      body: {},
      headers: { cookie: `refresh_token=${reg.body.refresh_token}` },
    });
    expect(r.status).toBe(200);
  });

  test("no token at all -> 401 unauthenticated", async () => {
    expectError(await t.call("POST", "/api/v1/auth/refresh"), 401, "unauthenticated");
    expectError(await t.call("POST", "/api/v1/auth/refresh", { body: {} }), 401, "unauthenticated");
  });

  test.each([
    ["unknown token", { refresh_token: "rt_unknown" }, 401, "unauthenticated"],
    ["access token in place of refresh token", "access", 401, "unauthenticated"],
    ["empty string", { refresh_token: "" }, 400, "validation_failed"],
    ["number", { refresh_token: 42 }, 400, "validation_failed"],
    ["unknown field", { refresh_token: "rt_x", extra: 1 }, 400, "validation_failed"],
  ])("%s -> %d %s", async (_name, body, status, code) => {
    const reg = await register();
    const b = body === "access" ? { refresh_token: reg.body.access_token.slice(0, 200) } : body;
    expectError(await t.call("POST", "/api/v1/auth/refresh", { body: b }), status as number, code as string);
  });

  test("reuse of a rotated token revokes the whole family, including its newest token", async () => {
    const reg = await register();
    const r1 = await t.call("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: reg.body.refresh_token },
    });
    const r2 = await t.call("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: r1.body.refresh_token },
    });
    expect(r2.status).toBe(200);
    const before = events("auth.refresh_reuse_detected");
    // An attacker replays the first (rotated) token.
    expectError(
      await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: reg.body.refresh_token } }),
      401,
      "unauthenticated",
    );
    expect(events("auth.refresh_reuse_detected")).toBe(before + 1);
    // The legitimate holder's newest token is dead too.
    expectError(
      await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: r2.body.refresh_token } }),
      401,
      "unauthenticated",
    );
    // Another session of the same user (another family) is untouched.
    const other = await t.call("POST", "/api/v1/auth/login", {
      body: { login: reg.creds.email, password: reg.creds.password },
    });
    expect(
      (await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: other.body.refresh_token } }))
        .status,
    ).toBe(200);
  });

  test("a revoked family stays revoked even after the reuse is replayed again", async () => {
    const reg = await register();
    const r1 = await t.call("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: reg.body.refresh_token },
    });
    for (let i = 0; i < 2; i++) {
      await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: reg.body.refresh_token } });
    }
    expectError(
      await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: r1.body.refresh_token } }),
      401,
      "unauthenticated",
    );
  });

  test("an expired refresh token -> 401 token_expired", async () => {
    const app = makeTestApp({ REFRESH_TOKEN_TTL_SECONDS: "3600" });
    const reg = await app.call("POST", "/api/v1/auth/register", {
      body: { email: "exp@example.com", password: "long enough pw" },
    });
    app.clock.advance(3599_000);
    const ok = await app.call("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: reg.body.refresh_token },
    });
    expect(ok.status).toBe(200);
    app.clock.advance(3600_000);
    expectError(
      await app.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: ok.body.refresh_token } }),
      401,
      "token_expired",
    );
  });

  test("the refresh cookie max-age follows REFRESH_TOKEN_TTL_SECONDS", async () => {
    const app = makeTestApp({ REFRESH_TOKEN_TTL_SECONDS: "3600" });
    const reg = await app.call("POST", "/api/v1/auth/register", {
      body: { email: "cookie@example.com", password: "long enough pw" },
    });
    const cookie = reg.headers.getSetCookie().find((c) => c.startsWith("refresh_token="))!;
    expect(cookie).toContain("Max-Age=3600");
  });

  test("a banned user's refresh token is refused", async () => {
    const reg = await register();
    t.ctx.sqlite.query("UPDATE users SET is_banned = 1 WHERE id = ?").run(reg.body.user.id);
    const r = await t.call("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: reg.body.refresh_token },
    });
    expectError(r, 403, "forbidden");
  });
});

describe("POST /auth/logout", () => {
  test("204, clears the cookie, then the refresh token fails", async () => {
    const reg = await register();
    const r = await t.call("POST", "/api/v1/auth/logout", {
      body: { refresh_token: reg.body.refresh_token },
    });
    expect(r.status).toBe(204);
    const cleared = r.headers.getSetCookie().find((c) => c.startsWith("refresh_token="))!;
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
    expectError(
      await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: reg.body.refresh_token } }),
      401,
      "unauthenticated",
    );
  });

  test("logout with the cookie revokes the family's rotated successors too", async () => {
    const reg = await register();
    const r1 = await t.call("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: reg.body.refresh_token },
    });
    const out = await t.call("POST", "/api/v1/auth/logout", {
      headers: { cookie: `refresh_token=${r1.body.refresh_token}` },
    });
    expect(out.status).toBe(204);
    expectError(
      await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: r1.body.refresh_token } }),
      401,
      "unauthenticated",
    );
  });

  test("logout of one session leaves the others", async () => {
    const reg = await register();
    const other = await t.call("POST", "/api/v1/auth/login", {
      body: { login: reg.creds.email, password: reg.creds.password },
    });
    await t.call("POST", "/api/v1/auth/logout", { body: { refresh_token: reg.body.refresh_token } });
    expect(
      (await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: other.body.refresh_token } }))
        .status,
    ).toBe(200);
  });

  test("no token -> 401; unknown token -> 204 (nothing to revoke, no oracle)", async () => {
    expectError(await t.call("POST", "/api/v1/auth/logout"), 401, "unauthenticated");
    expect((await t.call("POST", "/api/v1/auth/logout", { body: { refresh_token: "rt_nope" } })).status).toBe(
      204,
    );
  });
});

describe("bootstrap", () => {
  test("bootstrap-status true, bootstrap-admin 201 creates an admin, then false and 409", async () => {
    const app = makeTestApp();
    // A client registering first does not close bootstrap.
    await app.call("POST", "/api/v1/auth/register", {
      body: { email: "c@example.com", password: "long enough pw" },
    });
    expect((await app.call("GET", "/api/v1/auth/bootstrap-status")).body).toEqual({ needs_bootstrap: true });
    const r = await app.call("POST", "/api/v1/auth/bootstrap-admin", {
      body: { email: "Root@Example.com", password: "admin password", username: "root" },
    });
    expect(r.status).toBe(201);
    expect(r.body.user.role).toBe("admin");
    expect(r.body.user.email).toBe("root@example.com");
    expect(r.body.token_type).toBe("Bearer");
    expect(refreshCookie(r.headers)).toBe(r.body.refresh_token);
    const me = await app.call("GET", "/api/v1/me", { token: r.body.access_token });
    expect(me.body.permissions).toEqual(["*"]);
    expect((await app.call("GET", "/api/v1/auth/bootstrap-status")).body).toEqual({ needs_bootstrap: false });
    const second = await app.call("POST", "/api/v1/auth/bootstrap-admin", {
      body: { email: "evil@example.com", password: "admin password" },
    });
    expectError(second, 409, "conflict");
    expect(app.ctx.sqlite.query("SELECT count(*) AS n FROM users WHERE role = 'admin'").get()).toEqual({
      n: 1,
    });
    expect(
      app.ctx.sqlite.query("SELECT count(*) AS n FROM users WHERE email = 'evil@example.com'").get(),
    ).toEqual({
      n: 0,
    });
  });

  test("bootstrap-admin validates its body like register and writes nothing on failure", async () => {
    const app = makeTestApp();
    const r = await app.call("POST", "/api/v1/auth/bootstrap-admin", {
      body: { email: "x", password: "short" },
    });
    expectError(r, 400, "validation_failed");
    expect((await app.call("GET", "/api/v1/auth/bootstrap-status")).body).toEqual({ needs_bootstrap: true });
  });

  test("bootstrap-admin with an already registered email -> 409", async () => {
    const app = makeTestApp();
    await app.call("POST", "/api/v1/auth/register", {
      body: { email: "taken@example.com", password: "long enough pw" },
    });
    const r = await app.call("POST", "/api/v1/auth/bootstrap-admin", {
      body: { email: "taken@example.com", password: "admin password" },
    });
    expectError(r, 409, "conflict");
    expect((await app.call("GET", "/api/v1/auth/bootstrap-status")).body).toEqual({ needs_bootstrap: true });
  });
});

describe("/api alias and trailing slashes", () => {
  test.each(["/api/auth/login/", "/api/auth/login", "/api/v1/auth/login/"])("%s logs in", async (path) => {
    const reg = await register();
    const r = await t.call("POST", path, {
      body: { login: reg.creds.username, password: reg.creds.password },
    });
    expect(r.status).toBe(200);
    expect(r.body.user.id).toBe(reg.body.user.id);
  });

  test("register, refresh, logout and bootstrap-status answer under /api with a trailing slash", async () => {
    const c = creds();
    const reg = await t.call("POST", "/api/auth/register/", { body: c });
    expect(reg.status).toBe(201);
    const rr = await t.call("POST", "/api/auth/refresh/", {
      body: { refresh_token: reg.body.refresh_token },
    });
    expect(rr.status).toBe(200);
    expect(
      (await t.call("POST", "/api/auth/logout/", { body: { refresh_token: rr.body.refresh_token } })).status,
    ).toBe(204);
    expect((await t.call("GET", "/api/auth/bootstrap-status/")).status).toBe(200);
  });
});
