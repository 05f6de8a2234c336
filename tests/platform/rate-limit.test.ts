import { describe, expect, spyOn, test } from "bun:test";
import { MemoryStore } from "hono-rate-limiter";
import { register } from "../../src/modules/accounts/service";
import { expectError, makeTestApp } from "../helpers/app";

const ME = "/api/v1/me";
const LOGIN = "/api/v1/auth/login";

describe("RATE_LIMIT_DEFAULT (per caller)", () => {
  test("the 4th request of a user within the window is 429 with Retry-After and RateLimit-*; another user is served", async () => {
    const t = makeTestApp();
    t.ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "3/minute" });
    const alice = await t.user("client");
    const bob = await t.user("client");

    for (let i = 1; i <= 3; i++) {
      const r = await t.call("GET", ME, { token: alice.token });
      expect(r.status).toBe(200);
      expect(r.headers.get("ratelimit-limit")).toBe("3");
      expect(r.headers.get("ratelimit-remaining")).toBe(String(3 - i));
      expect(r.headers.get("ratelimit-policy")).toBe("3;w=60");
    }
    const limited = await t.call("GET", ME, { token: alice.token });
    const e = expectError(limited, 429, "rate_limited");
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(e.details.retry_after_seconds).toBe(retryAfter);
    expect(limited.headers.get("ratelimit-limit")).toBe("3");
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("ratelimit-reset"))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get("x-request-id")).toBeTruthy();

    // The /api alias and other routes share the caller's budget.
    expectError(await t.call("GET", "/api/me", { token: alice.token }), 429, "rate_limited");
    expectError(await t.call("GET", "/api/v1/notifications", { token: alice.token }), 429, "rate_limited");

    // Bob has his own budget.
    const b = await t.call("GET", ME, { token: bob.token });
    expect(b.status).toBe(200);
    expect(b.headers.get("ratelimit-remaining")).toBe("2");
  });

  test("a limited POST runs nothing and keeps no idempotency key", async () => {
    const t = makeTestApp();
    t.ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "1/minute" });
    const alice = await t.user("client");
    const body = { name: "k", scopes: ["balance:read"] };
    expect((await t.call("POST", "/api/v1/me/api-keys", { token: alice.token, body })).status).toBe(201);
    const r = await t.call("POST", "/api/v1/me/api-keys", {
      token: alice.token,
      body,
      headers: { "idempotency-key": "limited" },
    });
    expectError(r, 429, "rate_limited");
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM api_keys").get()).toEqual({ n: 1 });
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM idempotency_keys").get()).toEqual({ n: 0 });
  });

  test("anonymous callers are limited by IP; /healthz is never limited", async () => {
    const t = makeTestApp({ TRUST_PROXY: "true" });
    t.ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "2/minute" });
    const from = (ip: string) => ({ headers: { "x-forwarded-for": ip } });
    expect((await t.call("GET", "/api/v1/health", from("10.0.0.1"))).status).toBe(200);
    expect((await t.call("GET", "/api/v1/health", from("10.0.0.1"))).status).toBe(200);
    expectError(await t.call("GET", "/api/v1/health", from("10.0.0.1")), 429, "rate_limited");
    expect((await t.call("GET", "/api/v1/health", from("10.0.0.2"))).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await t.call("GET", "/healthz", from("10.0.0.1"))).status).toBe(200);
  });

  test("a changed setting takes effect without a restart", async () => {
    const t = makeTestApp();
    t.ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "1/minute" });
    const u = await t.user("client");
    expect((await t.call("GET", ME, { token: u.token })).status).toBe(200);
    expectError(await t.call("GET", ME, { token: u.token }), 429, "rate_limited");
    t.ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "5/minute" });
    const r = await t.call("GET", ME, { token: u.token });
    expect(r.status).toBe(200);
    expect(r.headers.get("ratelimit-limit")).toBe("5");
  });

  test("the limiter replaced after a setting change releases its store (no leaked timer or counters)", async () => {
    const t = makeTestApp();
    const u = await t.user("client");
    const shutdown = spyOn(MemoryStore.prototype, "shutdown");
    try {
      await t.call("GET", ME, { token: u.token });
      expect(shutdown).toHaveBeenCalledTimes(0);
      for (const spec of ["50/minute", "60/minute", "70/minute"]) {
        t.ctx.settings.setNow({ RATE_LIMIT_DEFAULT: spec });
        await t.call("GET", ME, { token: u.token });
      }
      expect(shutdown).toHaveBeenCalledTimes(3);
    } finally {
      shutdown.mockRestore();
    }
  });

  test("the window passes and the caller is served again", async () => {
    const t = makeTestApp();
    t.ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "1/second" });
    const u = await t.user("client");
    expect((await t.call("GET", ME, { token: u.token })).status).toBe(200);
    const r = await t.call("GET", ME, { token: u.token });
    expectError(r, 429, "rate_limited");
    expect(r.headers.get("retry-after")).toBe("1");
    await Bun.sleep(1100);
    expect((await t.call("GET", ME, { token: u.token })).status).toBe(200);
  });
});

describe("failed logins (per login name and per IP), refresh and sign-up limits", () => {
  async function withUser(env: Record<string, string> = {}) {
    const t = makeTestApp(env);
    await register(t.ctx, { email: "ann@test.local", password: "correct-horse" });
    t.ctx.settings.setNow(
      { RATE_LIMIT_LOGIN_ACCOUNT: "3/hour", RATE_LIMIT_LOGIN_IP: "5/hour" },
      t.clock.now(),
    );
    return t;
  }
  const login = (password: string, headers: Record<string, string> = {}, name = "ann@test.local") => ({
    body: { login: name, password },
    headers,
  });
  const proxied = (ip: string) => ({ "x-forwarded-for": ip });

  test("successful logins and refreshes are never counted: an office behind one IP is not locked out", async () => {
    const t = await withUser({ TRUST_PROXY: "true" });
    t.ctx.settings.setNow({ RATE_LIMIT_AUTH: "2/minute" }, t.clock.now());
    for (let i = 0; i < 20; i++) {
      const r = await t.call("POST", LOGIN, login("correct-horse", proxied("203.0.113.1")));
      expect(r.status).toBe(200);
      const refreshed = await t.call("POST", "/api/v1/auth/refresh", {
        body: { refresh_token: r.body.refresh_token },
        headers: proxied("203.0.113.1"),
      });
      expect(refreshed.status).toBe(200);
    }
  });

  test("the name is locked after RATE_LIMIT_LOGIN_ACCOUNT failures, from any IP, even with the right password", async () => {
    const t = await withUser({ TRUST_PROXY: "true" });
    for (let i = 1; i <= 3; i++) {
      expectError(
        await t.call("POST", LOGIN, login("wrong", proxied(`198.51.100.${i}`))),
        401,
        "invalid_credentials",
      );
    }
    const r = await t.call("POST", LOGIN, login("correct-horse", proxied("198.51.100.99")));
    const e = expectError(r, 429, "rate_limited");
    expect(e.message).toBe("too many failed logins, try again later");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(3000);
    // Case and spaces do not make a new name; other accounts are not affected.
    expectError(
      await t.call("POST", LOGIN, login("correct-horse", {}, " ANN@test.local ")),
      429,
      "rate_limited",
    );
    await register(t.ctx, { email: "bob@test.local", password: "correct-horse" });
    expect((await t.call("POST", LOGIN, login("correct-horse", {}, "bob@test.local"))).status).toBe(200);
    // The window passes.
    t.clock.advance(3_600_001);
    expect((await t.call("POST", LOGIN, login("correct-horse"))).status).toBe(200);
  });

  test("the lockout answer is the same for a name no account has (no enumeration)", async () => {
    const t = await withUser();
    t.ctx.settings.setNow({ RATE_LIMIT_LOGIN_IP: "100/hour" }, t.clock.now());
    const ghost = "ghost@test.local";
    for (let i = 0; i < 3; i++) {
      expectError(await t.call("POST", LOGIN, login("wrong", {}, ghost)), 401, "invalid_credentials");
      expectError(await t.call("POST", LOGIN, login("wrong")), 401, "invalid_credentials");
    }
    const a = await t.call("POST", LOGIN, login("wrong", {}, ghost));
    const b = await t.call("POST", LOGIN, login("wrong"));
    expect(a.status).toBe(429);
    expect(b.status).toBe(429);
    expect(a.body.error.message).toBe(b.body.error.message);
    expect(a.body.error.details).toEqual(b.body.error.details);
  });

  test("one IP spraying many names is locked after RATE_LIMIT_LOGIN_IP failures; other IPs are not", async () => {
    const t = await withUser({ TRUST_PROXY: "true" });
    for (let i = 0; i < 5; i++) {
      expectError(
        await t.call("POST", LOGIN, login("wrong", proxied("192.0.2.7"), `user${i}@test.local`)),
        401,
        "invalid_credentials",
      );
    }
    expectError(
      await t.call("POST", LOGIN, login("correct-horse", proxied("192.0.2.7"))),
      429,
      "rate_limited",
    );
    expect((await t.call("POST", LOGIN, login("correct-horse", proxied("192.0.2.8")))).status).toBe(200);
  });

  test("a right password clears the name's failures", async () => {
    const t = await withUser();
    for (let i = 0; i < 2; i++) await t.call("POST", LOGIN, login("wrong"));
    expect((await t.call("POST", LOGIN, login("correct-horse"))).status).toBe(200);
    for (let i = 0; i < 2; i++) await t.call("POST", LOGIN, login("wrong"));
    expect((await t.call("POST", LOGIN, login("correct-horse"))).status).toBe(200);
  });

  test("bad Telegram signatures count against the IP", async () => {
    const t = await withUser({ TRUST_PROXY: "true" });
    const bad = {
      id: 1,
      first_name: "A",
      auth_date: Math.floor(t.clock.now() / 1000),
      hash: "00".repeat(32),
    };
    for (let i = 0; i < 5; i++) {
      const r = await t.call("POST", "/api/v1/auth/telegram", { body: bad, headers: proxied("192.0.2.50") });
      expectError(r, 401, "invalid_credentials");
    }
    expectError(
      await t.call("POST", "/api/v1/auth/telegram", { body: bad, headers: proxied("192.0.2.50") }),
      429,
      "rate_limited",
    );
    expectError(
      await t.call("POST", LOGIN, login("correct-horse", proxied("192.0.2.50"))),
      429,
      "rate_limited",
    );
  });

  test("refresh has its own per-IP budget (RATE_LIMIT_REFRESH)", async () => {
    const t = await withUser();
    t.ctx.settings.setNow({ RATE_LIMIT_REFRESH: "2/minute" }, t.clock.now());
    const r = await t.call("POST", LOGIN, login("correct-horse"));
    let token = r.body.refresh_token as string;
    for (let i = 0; i < 2; i++) {
      const x = await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: token } });
      expect(x.status).toBe(200);
      token = x.body.refresh_token;
    }
    expectError(
      await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: token } }),
      429,
      "rate_limited",
    );
    // Logins are not in that budget.
    expect((await t.call("POST", LOGIN, login("correct-horse"))).status).toBe(200);
  });

  test("sign-ups share RATE_LIMIT_AUTH per IP; logins do not", async () => {
    const t = await withUser();
    t.ctx.settings.setNow({ RATE_LIMIT_AUTH: "2/minute" }, t.clock.now());
    const signUp = (n: number) =>
      t.call("POST", "/api/v1/auth/register", {
        body: { email: `new${n}@test.local`, password: "password-1" },
      });
    expect((await signUp(1)).status).toBe(201);
    expect((await signUp(2)).status).toBe(201);
    const r = await signUp(3);
    expectError(r, 429, "rate_limited");
    expect(r.headers.get("ratelimit-limit")).toBe("2");
    expectError(
      await t.call("POST", "/api/auth/register/", {
        body: { email: "x@test.local", password: "password-1" },
      }),
      429,
      "rate_limited",
    );
    expect((await t.call("POST", LOGIN, login("correct-horse"))).status).toBe(200);
  });

  test("behind one trusted proxy the client is the last X-Forwarded-For entry: a forged first entry changes nothing", async () => {
    const t = await withUser({ TRUST_PROXY: "true" });
    for (let i = 0; i < 5; i++) {
      await t.call("POST", LOGIN, login("wrong", proxied(`10.9.9.${i}, 203.0.113.7`), `n${i}@test.local`));
    }
    expectError(
      await t.call("POST", LOGIN, login("correct-horse", proxied("1.1.1.1, 203.0.113.7"))),
      429,
      "rate_limited",
    );
    expect(
      (await t.call("POST", LOGIN, login("correct-horse", proxied("203.0.113.7, 198.51.100.9")))).status,
    ).toBe(200);
  });

  test("without TRUST_PROXY a forged X-Forwarded-For does not reset the budget", async () => {
    const t = await withUser();
    for (let i = 0; i < 5; i++) {
      await t.call("POST", LOGIN, login("wrong", proxied(`2.2.2.${i}`), `n${i}@test.local`));
    }
    expectError(await t.call("POST", LOGIN, login("correct-horse", proxied("3.3.3.3"))), 429, "rate_limited");
  });
});
