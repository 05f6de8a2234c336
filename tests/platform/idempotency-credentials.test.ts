import { beforeEach, describe, expect, test } from "bun:test";
import { register } from "../../src/modules/accounts/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

let t: TestApp;
beforeEach(() => {
  t = makeTestApp({ TRUST_PROXY: "true" });
});

const REFRESH = "/api/v1/auth/refresh";
const office = { "x-forwarded-for": "203.0.113.10" };

/** The whole database file as text: whatever is stored in the clear shows up here. */
const dump = () => Buffer.from(t.ctx.sqlite.serialize()).toString("latin1");

describe("a kept answer goes back only to the credential that made it", () => {
  test("two people behind one address refreshing with the same Idempotency-Key each get their own pair", async () => {
    const ann = await register(t.ctx, { email: "ann@test.local", password: "correct-horse" });
    const bob = await register(t.ctx, { email: "bob@test.local", password: "correct-horse" });
    const refresh = (token: string) =>
      t.call("POST", REFRESH, {
        headers: { ...office, cookie: `refresh_token=${token}`, "idempotency-key": "refresh-1" },
      });
    const a = await refresh(ann.refresh_token);
    const b = await refresh(bob.refresh_token);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body.user.id).toBe(ann.user.id);
    expect(b.body.user.id).toBe(bob.user.id);
    expect(b.body.refresh_token).not.toBe(a.body.refresh_token);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
  });

  test("a rotated refresh token re-sent with its original key runs reuse detection, not a replay of the live pair", async () => {
    const ann = await register(t.ctx, { email: "ann@test.local", password: "correct-horse" });
    const opts = {
      body: { refresh_token: ann.refresh_token },
      headers: { ...office, "idempotency-key": "r-1" },
    };
    const first = await t.call("POST", REFRESH, opts);
    expect(first.status).toBe(200);
    const again = await t.call("POST", REFRESH, opts);
    expect(expectError(again, 401, "unauthenticated").message).toContain("already used");
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    // Reuse revoked the family: the pair handed out first is dead too.
    expectError(
      await t.call("POST", REFRESH, { body: { refresh_token: first.body.refresh_token } }),
      401,
      "unauthenticated",
    );
  });

  test("token answers (/auth/*) are never kept", async () => {
    await register(t.ctx, { email: "ann@test.local", password: "correct-horse" });
    const login = {
      body: { login: "ann@test.local", password: "correct-horse" },
      headers: { "idempotency-key": "l-1" },
    };
    const a = await t.call("POST", "/api/v1/auth/login", login);
    const b = await t.call("POST", "/api/v1/auth/login", login);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(b.body.refresh_token).not.toBe(a.body.refresh_token);
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM idempotency_keys").get()).toEqual({ n: 0 });
  });

  test("a bot key acting as two users with one Idempotency-Key gets each user's own answer", async () => {
    const partner = await t.user("partner");
    const made = await t.call("POST", "/api/v1/me/api-keys", {
      token: partner.token,
      body: { name: "bot", scopes: ["bot:act_as"] },
    });
    const key = made.body.key as string;
    const u1 = await t.user("client", { telegramId: 7001 });
    const u2 = await t.user("client", { telegramId: 7002 });
    const readAll = (tg: number) =>
      t.call("POST", "/api/v1/notifications/read-all", {
        token: key,
        headers: { "x-act-as-telegram-id": String(tg), "idempotency-key": "same" },
      });
    const a = await readAll(7001);
    const b = await readAll(7002);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    const callers = t.ctx.sqlite.query("SELECT caller FROM idempotency_keys ORDER BY id").all() as {
      caller: string;
    }[];
    expect(callers.map((c) => c.caller)).toEqual([
      `act:${made.body.id}:${u1.id}`,
      `act:${made.body.id}:${u2.id}`,
    ]);
  });

  test("anonymous callers behind one address with different cookies do not share answers", async () => {
    let runs = 0;
    t.app.post("/api/v1/__test/anon", (c) => c.json({ run: ++runs }, 201));
    const send = (cookie: string) =>
      t.call("POST", "/api/v1/__test/anon", {
        body: {},
        headers: { ...office, cookie, "idempotency-key": "k" },
      });
    expect((await send("a=1")).body).toEqual({ run: 1 });
    expect((await send("a=2")).body).toEqual({ run: 2 });
    const replay = await send("a=1");
    expect(replay.body).toEqual({ run: 1 });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });
});

describe("nothing secret is stored in the clear", () => {
  test("a new API key kept for replay is sealed: the database holds neither the key nor the Idempotency-Key", async () => {
    const u = await t.user("client");
    const opts = {
      token: u.token,
      body: { name: "screph", scopes: ["usage:write"] },
      headers: { "idempotency-key": "make-key-7f3a" },
    };
    const first = await t.call("POST", "/api/v1/me/api-keys", opts);
    expect(first.status).toBe(201);
    const secret = first.body.key as string;
    const text = dump();
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(3)); // the random part alone
    expect(text).not.toContain("make-key-7f3a");
    // The replay still shows the key once more, to the same caller with the same Idempotency-Key.
    const replay = await t.call("POST", "/api/v1/me/api-keys", opts);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.key).toBe(secret);
  });

  test("login, register and refresh leave no token anywhere in the database", async () => {
    const reg = await t.call("POST", "/api/v1/auth/register", {
      body: { email: "ann@test.local", password: "correct-horse" },
      headers: { "idempotency-key": "reg-1" },
    });
    const login = await t.call("POST", "/api/v1/auth/login", {
      body: { login: "ann@test.local", password: "correct-horse" },
      headers: { "idempotency-key": "login-1" },
    });
    const text = dump();
    for (const r of [reg, login]) {
      expect(text).not.toContain(r.body.access_token);
      expect(text).not.toContain(r.body.refresh_token);
    }
  });
});
