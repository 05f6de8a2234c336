import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { OFREPApi } from "@openfeature/ofrep-core";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { ErrorCode, OpenFeature } from "@openfeature/server-sdk";
import { eq } from "drizzle-orm";
import { users } from "../../src/db/schema";
import { flagBucket } from "../../src/modules/platform/flags/evaluate";
import { expectError, makeTestApp } from "../helpers/app";

const SINGLE = "/ofrep/v1/evaluate/flags";

async function setup() {
  const t = makeTestApp();
  const admin = await t.user("admin");
  const support = await t.user("support");
  const client = await t.user("client");
  const expert = await t.user("expert");
  const keyFor = async (token: string, scopes = ["flags:read"]) => {
    const res = await t.call("POST", "/api/v1/me/api-keys", { token, body: { name: "flags", scopes } });
    expect(res.status).toBe(201);
    return res.body.key as string;
  };
  const flag = async (body: object) => {
    const res = await t.call("POST", "/api/v1/admin/flags", { token: admin.token, body });
    expect(res.status).toBe(201);
  };
  const sk = await keyFor(admin.token);
  const evaluate = (
    key: string | null,
    body: unknown,
    o: { token?: string; headers?: Record<string, string> } = {},
  ) =>
    t.call("POST", key === null ? SINGLE : `${SINGLE}/${key}`, {
      token: o.token === undefined ? sk : o.token || undefined,
      headers: o.headers,
      ...(typeof body === "string" ? { raw: body } : { body }),
    });
  return { ...t, admin, support, client, expert, sk, keyFor, flag, evaluate };
}

describe("OFREP single evaluation", () => {
  test("success: {key, value, reason, variant, metadata}", async () => {
    const t = await setup();
    await t.flag({ key: "beta", description: "The beta", enabled: true });
    const res = await t.evaluate("beta", { context: { targetingKey: String(t.client.id) } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.body).toEqual({
      key: "beta",
      value: true,
      reason: "STATIC",
      variant: "on",
      metadata: { description: "The beta" },
    });
  });

  test("reasons: DISABLED, TARGETING_MATCH for listed users and roles, SPLIT for a rollout", async () => {
    const t = await setup();
    await t.flag({ key: "off", enabled: false, user_ids: [t.client.id] });
    await t.flag({ key: "listed", enabled: true, rollout_percent: 0, user_ids: [t.client.id] });
    await t.flag({ key: "experts", enabled: true, roles: ["expert"] });
    const bucket = flagBucket("half", t.client.id);
    await t.flag({ key: "half", enabled: true, rollout_percent: bucket + 1 });
    const as = (key: string, context: object) => t.evaluate(key, { context });
    const me = { targetingKey: String(t.client.id) };
    expect((await as("off", me)).body).toMatchObject({ value: false, reason: "DISABLED", variant: "off" });
    expect((await as("listed", me)).body).toMatchObject({ value: true, reason: "TARGETING_MATCH" });
    // Without a role in the context, the user's own role counts.
    expect((await as("experts", me)).body).toMatchObject({ value: false, reason: "TARGETING_MATCH" });
    expect((await as("experts", { targetingKey: String(t.expert.id) })).body).toMatchObject({ value: true });
    // A role in the context wins.
    expect((await as("experts", { ...me, role: "expert" })).body).toMatchObject({ value: true });
    expect((await as("half", me)).body).toMatchObject({ value: true, reason: "SPLIT" });
    // A user souk does not know has no role: role-targeted flags stay off for them.
    expect((await as("experts", { targetingKey: "999999" })).body).toMatchObject({ value: false });
  });

  test("no targeting key: the anonymous caller's answer", async () => {
    const t = await setup();
    await t.flag({ key: "everyone", enabled: true });
    await t.flag({ key: "most", enabled: true, rollout_percent: 99 });
    expect((await t.evaluate("everyone", { context: {} })).body).toMatchObject({ value: true });
    expect((await t.evaluate("most", { context: { email: "a@b.c" } })).body).toMatchObject({ value: false });
  });

  test("a built-in flag answers its default until saved", async () => {
    const t = await setup();
    const res = await t.evaluate("rules_engine", { context: { targetingKey: "1" } });
    expect(res.body).toMatchObject({ key: "rules_engine", value: true, reason: "STATIC" });
  });

  test("unknown flag: 404 {key, errorCode: FLAG_NOT_FOUND, errorDetails}", async () => {
    const t = await setup();
    for (const key of ["nope", "Not-A-Key", "a/b"]) {
      const res = await t.evaluate(key, { context: { targetingKey: "1" } });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        key,
        errorCode: "FLAG_NOT_FOUND",
        errorDetails: `flag '${key}' was not found`,
      });
    }
  });

  const badContexts: [string, unknown, string][] = [
    ["not JSON", "{", "PARSE_ERROR"],
    ["no context", {}, "INVALID_CONTEXT"],
    ["context not an object", { context: [1] }, "INVALID_CONTEXT"],
    ["body an array", [{ context: {} }], "INVALID_CONTEXT"],
    ["targetingKey a number", { context: { targetingKey: 5 } }, "INVALID_CONTEXT"],
    ["targetingKey not a user id", { context: { targetingKey: "user-123" } }, "INVALID_CONTEXT"],
    [
      "targetingKey past the safe integers",
      { context: { targetingKey: "99999999999999999" } },
      "INVALID_CONTEXT",
    ],
    ["unknown role", { context: { targetingKey: "1", role: "god" } }, "INVALID_CONTEXT"],
    ["empty targetingKey", { context: { targetingKey: "" } }, "TARGETING_KEY_MISSING"],
  ];
  for (const [name, body, code] of badContexts) {
    test(`400 ${code}: ${name}`, async () => {
      const t = await setup();
      await t.flag({ key: "beta", enabled: true });
      const res = await t.evaluate("beta", body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ key: "beta", errorCode: code });
      expect(typeof res.body.errorDetails).toBe("string");
      const bulk = await t.evaluate(null, body);
      expect(bulk.status).toBe(400);
      expect(bulk.body.errorCode).toBe(code);
      expect(bulk.body.key).toBeUndefined();
    });
  }
});

describe("OFREP authentication", () => {
  test("401 without a credential, with an access token, with an unknown or revoked key", async () => {
    const t = await setup();
    const body = { context: { targetingKey: "1" } };
    for (const token of ["", t.admin.token, "sk_unknown"]) {
      const res = await t.evaluate("rules_engine", body, { token });
      expect(res.status).toBe(401);
      expect(typeof res.body.errorDetails).toBe("string");
      expect(res.body.error).toBeUndefined();
    }
    const keys = await t.call("GET", "/api/v1/me/api-keys", { token: t.admin.token });
    await t.call("DELETE", `/api/v1/me/api-keys/${keys.body.results[0].id}`, { token: t.admin.token });
    expect((await t.evaluate("rules_engine", body)).status).toBe(401);
  });

  test("X-API-Key works as well as Authorization: Bearer", async () => {
    const t = await setup();
    const res = await t.evaluate(
      "rules_engine",
      { context: {} },
      { token: "", headers: { "x-api-key": t.sk } },
    );
    expect(res.status).toBe(200);
  });

  test("403 for a key without flags:read, and once its owner no longer holds it", async () => {
    const t = await setup();
    const other = await t.keyFor(t.admin.token, ["balance:read"]);
    const res = await t.evaluate("rules_engine", { context: {} }, { token: other });
    expect(res.status).toBe(403);
    expect(res.body.errorDetails).toContain("flags:read");

    const supportKey = await t.keyFor(t.support.token);
    expect((await t.evaluate("rules_engine", { context: {} }, { token: supportKey })).status).toBe(200);
    t.ctx.db.update(users).set({ role: "client" }).where(eq(users.id, t.support.id)).run();
    expect((await t.evaluate("rules_engine", { context: {} }, { token: supportKey })).status).toBe(403);
  });

  test("clients and experts cannot make a flags:read key", async () => {
    const t = await setup();
    for (const u of [t.client, t.expert]) {
      const res = await t.call("POST", "/api/v1/me/api-keys", {
        token: u.token,
        body: { name: "x", scopes: ["flags:read"] },
      });
      expectError(res, 403, "forbidden");
    }
  });

  test("405 for other methods, 404 for other OFREP paths, 413 for a huge body", async () => {
    const t = await setup();
    const get = await t.call("GET", `${SINGLE}/rules_engine`, { token: t.sk });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const other = await t.call("POST", "/ofrep/v2/whatever", { token: t.sk, body: {} });
    expect(other.status).toBe(404);
    expect(other.body.error).toBeUndefined();
    const huge = { context: { targetingKey: "1", pad: "x".repeat(t.ctx.env.BODY_LIMIT_BYTES + 10) } };
    const res = await t.evaluate("rules_engine", huge);
    expect(res.status).toBe(413);
    expect(res.body.error).toBeUndefined();
  });

  test("429 with Retry-After past the rate limit", async () => {
    const t = await setup();
    t.ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "2/minute" }, t.clock.now());
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.evaluate("rules_engine", { context: {} })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const res = await t.evaluate("rules_engine", { context: {} });
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.body.error).toBeUndefined();
  });
});

describe("OFREP bulk evaluation", () => {
  test("every flag for the context, with an ETag; If-None-Match answers 304 until a flag changes", async () => {
    const t = await setup();
    await t.flag({ key: "beta", enabled: true, roles: ["client"] });
    const ctx = { context: { targetingKey: String(t.client.id) } };
    const res = await t.evaluate(null, ctx);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      flags: [
        { key: "beta", value: true, reason: "TARGETING_MATCH", variant: "on", metadata: {} },
        {
          key: "rules_engine",
          value: true,
          reason: "STATIC",
          variant: "on",
          metadata: { description: "Run the automation rules after each platform event" },
        },
      ],
    });
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);

    const same = await t.evaluate(null, ctx, { headers: { "if-none-match": etag } });
    expect(same.status).toBe(304);
    expect(same.body).toBeNull();
    expect(same.headers.get("etag")).toBe(etag);
    expect((await t.evaluate(null, ctx, { headers: { "if-none-match": `W/${etag}` } })).status).toBe(304);
    expect((await t.evaluate(null, ctx, { headers: { "if-none-match": '"other"' } })).status).toBe(200);

    // Another caller's answers differ, and so does the ETag.
    const expert = await t.evaluate(null, { context: { targetingKey: String(t.expert.id) } });
    expect(expert.headers.get("etag")).not.toBe(etag);

    await t.call("PATCH", "/api/v1/admin/flags/beta", { token: t.admin.token, body: { enabled: false } });
    const changed = await t.evaluate(null, ctx, { headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.body.flags[0]).toMatchObject({ key: "beta", value: false, reason: "DISABLED" });
  });

  test("needs a flags:read key", async () => {
    const t = await setup();
    expect((await t.evaluate(null, { context: {} }, { token: "" })).status).toBe(401);
    const other = await t.keyFor(t.admin.token, ["balance:read"]);
    expect((await t.evaluate(null, { context: {} }, { token: other })).status).toBe(403);
  });
});

describe("OFREP fuzz", () => {
  const BODIES = [
    undefined,
    "",
    "{",
    "[]",
    "null",
    '"text"',
    "123",
    '{"context": null}',
    '{"__proto__": {"context": {}}}',
    '{"context": {"targetingKey": "1\\u0000"}}',
    '{"context": {"targetingKey": "-1", "role": ["admin"]}}',
    JSON.stringify({ context: { targetingKey: "1".repeat(10_000), role: 1 } }),
  ];

  test("odd bodies, keys and headers never get a 5xx, and every failure is OFREP-shaped", async () => {
    const t = await setup();
    const failures: string[] = [];
    for (const path of [SINGLE, `${SINGLE}/beta`, `${SINGLE}/%ZZ`, `${SINGLE}/${"k".repeat(300)}`]) {
      for (const headers of <Record<string, string>[]>[
        { authorization: `Bearer ${t.sk}`, "content-type": "application/json" },
        { authorization: `Bearer ${t.sk}`, "content-type": "text/plain" },
        { "x-api-key": t.sk, "if-none-match": "*" },
        { authorization: "Bearer sk_" },
        { authorization: "Basic abc" },
      ]) {
        for (const body of BODIES) {
          const res = await t.app.request(path, { method: "POST", headers, body });
          const text = await res.text();
          const json = text ? JSON.parse(text) : null;
          const ok = res.status === 200 || res.status === 304;
          if (res.status >= 500 || (!ok && (typeof json?.errorDetails !== "string" || json.error))) {
            failures.push(
              `${path} ${JSON.stringify(headers)} ${body} -> ${res.status} ${text.slice(0, 200)}`,
            );
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("an OpenFeature SDK with the OFREP provider, over a real port", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let server: ReturnType<typeof Bun.serve>;
  let baseUrl: string;
  const DOMAIN = "souk-flags-test";

  beforeAll(async () => {
    t = await setup();
    server = Bun.serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
    baseUrl = `http://127.0.0.1:${server.port}`;
    await t.flag({ key: "on_flag", enabled: true });
    await t.flag({ key: "off_flag", enabled: false });
    await t.flag({ key: "experts", enabled: true, roles: ["expert"] });
    await OpenFeature.setProviderAndWait(
      DOMAIN,
      new OFREPProvider({ baseUrl, headers: [["Authorization", `Bearer ${t.sk}`]] }),
    );
  });

  afterAll(async () => {
    await OpenFeature.close();
    server.stop(true);
  });

  const client = () => OpenFeature.getClient(DOMAIN);

  test("on and off", async () => {
    const ctx = { targetingKey: String(t.client.id) };
    expect(await client().getBooleanValue("on_flag", false, ctx)).toBe(true);
    const off = await client().getBooleanDetails("off_flag", true, ctx);
    expect(off).toMatchObject({ value: false, reason: "DISABLED", variant: "off" });
    expect(off.errorCode).toBeUndefined();
  });

  test("roles from the context and from the user", async () => {
    expect(await client().getBooleanValue("experts", false, { targetingKey: String(t.expert.id) })).toBe(
      true,
    );
    expect(await client().getBooleanValue("experts", true, { targetingKey: String(t.client.id) })).toBe(
      false,
    );
    expect(
      await client().getBooleanValue("experts", false, { targetingKey: String(t.client.id), role: "expert" }),
    ).toBe(true);
  });

  test("a rollout follows each user's bucket", async () => {
    const users = [t.admin, t.support, t.client, t.expert];
    await t.flag({ key: "rollout", enabled: true, rollout_percent: 50 });
    for (const u of users) {
      const d = await client().getBooleanDetails("rollout", false, { targetingKey: String(u.id) });
      expect(d.value).toBe(flagBucket("rollout", u.id) < 50);
      expect(d.reason).toBe("SPLIT");
    }
    // Moving the rollout just past one user's bucket turns the flag on for that user.
    const b = flagBucket("rollout", t.client.id);
    await t.call("PATCH", "/api/v1/admin/flags/rollout", {
      token: t.admin.token,
      body: { rollout_percent: b },
    });
    expect(await client().getBooleanValue("rollout", true, { targetingKey: String(t.client.id) })).toBe(
      false,
    );
    await t.call("PATCH", "/api/v1/admin/flags/rollout", {
      token: t.admin.token,
      body: { rollout_percent: b + 1 },
    });
    expect(await client().getBooleanValue("rollout", false, { targetingKey: String(t.client.id) })).toBe(
      true,
    );
  });

  test("an unknown flag gives the default value with FLAG_NOT_FOUND", async () => {
    const d = await client().getBooleanDetails("no_such_flag", true, { targetingKey: "1" });
    expect(d).toMatchObject({ value: true, reason: "ERROR", errorCode: ErrorCode.FLAG_NOT_FOUND });
  });

  test("a bad context gives the default value with INVALID_CONTEXT", async () => {
    const d = await client().getBooleanDetails("on_flag", false, { targetingKey: "not-a-user-id" });
    expect(d).toMatchObject({ value: false, reason: "ERROR", errorCode: ErrorCode.INVALID_CONTEXT });
  });

  test("the OFREP client's bulk call reads the flags and honours the ETag", async () => {
    const api = new OFREPApi(baseUrl);
    const headers = { headers: [["Authorization", `Bearer ${t.sk}`]] as [string, string][] };
    const first = await api.postBulkEvaluateFlags(
      { context: { targetingKey: String(t.client.id) } },
      headers,
    );
    expect(first.httpStatus).toBe(200);
    const keys = (first.value as { flags: { key: string }[] }).flags.map((f) => f.key);
    expect(keys).toContain("on_flag");
    const etag = first.httpResponse!.headers.get("etag")!;
    const again = await api.postBulkEvaluateFlags(
      { context: { targetingKey: String(t.client.id) } },
      { headers: [...headers.headers, ["If-None-Match", etag]] },
    );
    expect(again.httpStatus).toBe(304);
  });
});

describe("OFREP unexpected failures", () => {
  test("a 500 GENERAL answer, and the error kept as a critical error with its route", async () => {
    const service = await import("../../src/modules/platform/flags/service");
    const t = await setup();
    await t.flag({ key: "beta", enabled: true });
    const spy = spyOn(service, "resolveFlag").mockImplementation(() => {
      throw new Error("flag store unreadable");
    });
    try {
      const res = await t.evaluate("beta", { context: { targetingKey: String(t.client.id) } });
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ errorCode: "GENERAL" });
    } finally {
      spy.mockRestore();
    }
    const kept = t.ctx.sqlite.query("SELECT kind, message, route, status FROM critical_errors").all();
    expect(kept).toEqual([
      { kind: "http", message: "flag store unreadable", route: "/ofrep/v1/evaluate/flags/*", status: 500 },
    ]);
  });
});
