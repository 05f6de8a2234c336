import { describe, expect, test } from "bun:test";
import { expectError, makeTestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";

/** The address souk recorded for an audited admin action sent with these headers. */
async function recordedIp(env: Record<string, string>, headers: Record<string, string>) {
  const t = makeTestApp(env);
  const admin = await t.user("admin");
  await t.call("PATCH", "/api/v1/admin/system/settings", {
    token: admin.token,
    body: { auto_accept_days: 4 },
    headers,
  });
  return (t.ctx.sqlite.query("SELECT ip FROM audit_log ORDER BY id DESC").get() as { ip: string }).ip;
}

describe("client address behind proxies", () => {
  test("TRUST_PROXY=1 takes the last X-Forwarded-For entry (what the proxy saw), not the client's first", async () => {
    expect(await recordedIp({ TRUST_PROXY: "1" }, { "x-forwarded-for": "6.6.6.6, 203.0.113.5" })).toBe(
      "203.0.113.5",
    );
  });

  test("TRUST_PROXY=2 counts two hops from the right", async () => {
    const xff = "6.6.6.6, 203.0.113.5, 10.0.0.2";
    expect(await recordedIp({ TRUST_PROXY: "2" }, { "x-forwarded-for": xff })).toBe("203.0.113.5");
    // Fewer entries than hops: the leftmost was still written by a proxy.
    expect(await recordedIp({ TRUST_PROXY: "2" }, { "x-forwarded-for": "203.0.113.9" })).toBe("203.0.113.9");
  });

  test("TRUST_PROXY=fly reads Fly-Client-IP and ignores X-Forwarded-For", async () => {
    const headers = { "fly-client-ip": "198.51.100.4", "x-forwarded-for": "6.6.6.6" };
    expect(await recordedIp({ TRUST_PROXY: "fly" }, headers)).toBe("198.51.100.4");
    // Off Fly's setting, the header is just another client-chosen value.
    expect(await recordedIp({ TRUST_PROXY: "1" }, { "fly-client-ip": "198.51.100.4" })).toBe("unknown");
  });

  test("without TRUST_PROXY, or with a value that is not an address, the headers are ignored", async () => {
    expect(await recordedIp({}, { "x-forwarded-for": "6.6.6.6" })).toBe("unknown");
    expect(await recordedIp({ TRUST_PROXY: "1" }, { "x-forwarded-for": "1.1.1.1, not-an-ip" })).toBe(
      "unknown",
    );
  });
});

describe("request ids", () => {
  test("souk always chooses the id: a client's X-Request-Id is replaced", async () => {
    const t = makeTestApp();
    for (const sent of ["mine", "a".repeat(300), "bad id!"]) {
      const r = await t.call("GET", "/api/v1/health", { headers: { "x-request-id": sent } });
      const id = r.headers.get("x-request-id")!;
      expect(id).not.toBe(sent);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
    const e = await t.call("GET", "/api/v1/nope", { headers: { "x-request-id": "mine" } });
    expect(e.body.error.request_id).toBe(e.headers.get("x-request-id"));
  });
});

describe("NUL bytes", () => {
  test.each([
    ["an escaped NUL", '{"bio":"a\\u0000b"}'],
    ["an upper-case escape", '{"bio":"a\\U0000b"}'],
    ["an escaped NUL after an escaped backslash", '{"bio":"a\\\\\\u0000"}'],
    ["a raw NUL byte", '{"bio":"a\u0000b"}'],
  ])("a JSON body with %s is 400 and nothing is stored", async (_n, raw) => {
    const t = makeTestApp();
    const u = await t.user("client");
    const r = await t.call("PATCH", "/api/v1/me", { token: u.token, raw });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toMatch(/^(validation_failed|invalid_json)$/);
    expect(
      (t.ctx.sqlite.query("SELECT bio FROM users WHERE id = ?").get(u.id) as { bio: null }).bio,
    ).toBeNull();
  });

  test("a literal backslash followed by u0000 is ordinary text", async () => {
    const t = makeTestApp();
    const u = await t.user("client");
    const r = await t.call("PATCH", "/api/v1/me", { token: u.token, raw: '{"bio":"C:\\\\u0000"}' });
    expect(r.status).toBe(200);
    expect(r.body.bio).toBe("C:\\u0000");
  });

  test("%00 in the query string is 400", async () => {
    const t = makeTestApp();
    const admin = await t.user("admin");
    expectError(
      await t.call("GET", "/api/v1/admin/users?search=a%00b", { token: admin.token }),
      400,
      "validation_failed",
    );
  });
});

describe("an empty JSON body reads as {} on every route", () => {
  test("refresh and logout by cookie with content-type: application/json and no bytes", async () => {
    const t = makeTestApp();
    const reg = await t.call("POST", "/api/v1/auth/register", {
      body: { email: "ann@test.local", password: "correct-horse" },
    });
    const headers = { "content-type": "application/json", cookie: `refresh_token=${reg.body.refresh_token}` };
    const r = await t.call("POST", "/api/v1/auth/refresh", { raw: "", headers });
    expect(r.status).toBe(200);
    const out = await t.call("POST", "/api/v1/auth/logout", {
      raw: " ",
      headers: { ...headers, cookie: `refresh_token=${r.body.refresh_token}` },
    });
    expect(out.status).toBe(204);
  });

  test("a route with required fields names them instead of answering malformed JSON", async () => {
    const t = makeTestApp();
    const r = await t.call("POST", "/api/v1/auth/login", {
      raw: "",
      headers: { "content-type": "application/json" },
    });
    const e = expectError(r, 400, "validation_failed");
    expect(e.details.issues.map((i: { path: string }) => i.path)).toContain("json.login");
  });
});

describe("/metrics", () => {
  test("business figures are exported as souk_* metrics", async () => {
    const t = makeTestApp();
    const u = await t.user("client");
    grantSeconds(t, u.id, 600);
    await t.call("POST", "/api/v1/usage/record", { token: u.token, body: { id: "m-1", seconds: 20 } });
    await t.call("POST", "/api/v1/usage/holds", { token: u.token, body: { seconds: 60 } });
    const text = await (await t.app.request("/metrics")).text();
    expect(text).toMatch(/^souk_usage_billed_seconds_total \d+/m);
    expect(Number(/^souk_usage_billed_seconds_total (\d+)/m.exec(text)![1])).toBeGreaterThanOrEqual(30);
    expect(text).toMatch(/^souk_holds_open 1$/m);
    expect(text).toMatch(/^souk_ledger_transfers \d+$/m);
    expect(text).toMatch(/^souk_webhook_queue 0$/m);
    for (const name of [
      "souk_minutes_sold_seconds",
      "souk_payments",
      "souk_jobs",
      "souk_orders",
      "souk_job_failures_total",
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  test("with METRICS_TOKEN set, /metrics needs it", async () => {
    const t = makeTestApp({ METRICS_TOKEN: "m".repeat(24) });
    const none = await t.app.request("/metrics");
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");
    const wrong = await t.app.request("/metrics", { headers: { authorization: `Bearer ${"x".repeat(24)}` } });
    expect(wrong.status).toBe(401);
    const ok = await t.app.request("/metrics", { headers: { authorization: `Bearer ${"m".repeat(24)}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("souk_orders");
  });
});
