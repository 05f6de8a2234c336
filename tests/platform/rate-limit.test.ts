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

describe("RATE_LIMIT_AUTH (per IP on /auth/*)", () => {
  async function withUser(env: Record<string, string> = {}) {
    const t = makeTestApp(env);
    await register(t.ctx, { email: "ann@test.local", password: "correct-horse" });
    t.ctx.settings.setNow({ RATE_LIMIT_AUTH: "2/minute" });
    return t;
  }
  const login = (password: string, headers: Record<string, string> = {}) => ({
    body: { login: "ann@test.local", password },
    headers,
  });

  test("the 3rd login from one IP is 429 even with the right password", async () => {
    const t = await withUser();
    expectError(await t.call("POST", LOGIN, login("wrong-1")), 401, "invalid_credentials");
    expect((await t.call("POST", LOGIN, login("correct-horse"))).status).toBe(200);
    const r = await t.call("POST", LOGIN, login("correct-horse"));
    expectError(r, 429, "rate_limited");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(r.headers.get("ratelimit-limit")).toBe("2");
    // Every /auth/* route shares the IP's budget; the rest of the API does not.
    expectError(
      await t.call("POST", "/api/v1/auth/register", {
        body: { email: "new@test.local", password: "password-1" },
      }),
      429,
      "rate_limited",
    );
    expectError(await t.call("POST", "/api/auth/login", login("correct-horse")), 429, "rate_limited");
    const u = await t.user("client");
    expect((await t.call("GET", ME, { token: u.token })).status).toBe(200);
  });

  test("a bearer token does not escape the per-IP auth limit", async () => {
    const t = await withUser();
    const u = await t.user("client");
    for (let i = 0; i < 2; i++) await t.call("POST", LOGIN, { ...login("wrong"), token: u.token });
    expectError(await t.call("POST", LOGIN, { ...login("wrong"), token: u.token }), 429, "rate_limited");
  });

  test("behind a trusted proxy the limit is per client IP from X-Forwarded-For", async () => {
    const t = await withUser({ TRUST_PROXY: "true" });
    const ip = (a: string) => ({ "x-forwarded-for": `${a}, 10.0.0.254` });
    await t.call("POST", LOGIN, login("wrong", ip("203.0.113.7")));
    await t.call("POST", LOGIN, login("wrong", ip("203.0.113.7")));
    expectError(await t.call("POST", LOGIN, login("correct-horse", ip("203.0.113.7"))), 429, "rate_limited");
    expect((await t.call("POST", LOGIN, login("correct-horse", ip("198.51.100.9")))).status).toBe(200);
  });

  test("without TRUST_PROXY a forged X-Forwarded-For does not reset the budget", async () => {
    const t = await withUser();
    await t.call("POST", LOGIN, login("wrong", { "x-forwarded-for": "1.1.1.1" }));
    await t.call("POST", LOGIN, login("wrong", { "x-forwarded-for": "2.2.2.2" }));
    expectError(
      await t.call("POST", LOGIN, login("correct-horse", { "x-forwarded-for": "3.3.3.3" })),
      429,
      "rate_limited",
    );
  });
});
