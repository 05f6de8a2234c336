import { beforeEach, describe, expect, test } from "bun:test";
import { SETTINGS } from "../../src/modules/platform/settings/registry";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

const BASE = "/api/v1/admin/system/settings";

let t: TestApp;
let admin: Awaited<ReturnType<TestApp["user"]>>;

beforeEach(async () => {
  t = makeTestApp();
  admin = await t.user("admin");
});

const countRows = (table: string, where = "1 = 1") =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
const settingsRows = () =>
  t.ctx.sqlite.query("SELECT key, value, updated_at, updated_by FROM settings ORDER BY key").all();

describe("GET /admin/system/settings", () => {
  test("returns every value and the definitions with defaults and descriptions", async () => {
    const r = await t.call("GET", BASE, { token: admin.token });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.values).sort()).toEqual(Object.keys(SETTINGS).sort());
    expect(r.body.values.MAX_ORDER_RETRIES).toBe(5);
    expect(r.body.values.RETRY_BACKOFF_FACTOR).toBe(2);
    expect(r.body.values.registration_open).toBe(true);
    expect(r.body.values.yookassa_ip_allowlist).toEqual([]);
    // The test helper raised both limits.
    expect(r.body.values.RATE_LIMIT_DEFAULT).toBe("100000/minute");
    expect(r.body.definitions).toHaveLength(Object.keys(SETTINGS).length);
    const def = r.body.definitions.find((d: { key: string }) => d.key === "RATE_LIMIT_DEFAULT");
    expect(def).toEqual({
      key: "RATE_LIMIT_DEFAULT",
      default: "600/minute",
      description: SETTINGS.RATE_LIMIT_DEFAULT.description,
      schema: { type: "string", pattern: expect.any(String) },
    });
    for (const d of r.body.definitions) expect(typeof d.description).toBe("string");
  });

  test("each definition carries its value's JSON Schema, which its default satisfies", async () => {
    const r = await t.call("GET", BASE, { token: admin.token });
    const schema = Object.fromEntries(
      r.body.definitions.map((d: { key: string; schema: unknown }) => [d.key, d.schema]),
    );
    expect(schema.MAX_ORDER_RETRIES).toEqual({ type: "integer", minimum: 0, maximum: 50 });
    expect(schema.RETRY_BACKOFF_FACTOR).toEqual({ type: "number", minimum: 1, maximum: 10 });
    expect(schema.registration_open).toEqual({ type: "boolean" });
    expect(schema.backup_cron).toEqual({ type: "string", format: "cron" });
    expect(schema.yookassa_ip_allowlist).toEqual({ type: "array", items: { type: "string" } });
    expect(schema.payment_settings).toMatchObject({ type: "object", required: ["instructions", "fields"] });
    expect(new RegExp(schema.RATE_LIMIT_AUTH.pattern).test("20/minute")).toBe(true);
    const typeOf = (v: unknown) =>
      Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : v === null ? "null" : typeof v;
    for (const d of r.body.definitions) {
      expect(d.schema.$schema).toBeUndefined();
      const kind = typeOf(d.default);
      expect(d.schema.type === "number" && kind === "integer" ? "number" : kind).toBe(d.schema.type);
    }
  });

  test("a support user (settings:read missing) is 403, a client is 403, no auth is 401", async () => {
    const support = await t.user("support");
    const client = await t.user("client");
    expectError(await t.call("GET", BASE, { token: support.token }), 403, "forbidden");
    expectError(await t.call("GET", BASE, { token: client.token }), 403, "forbidden");
    expectError(await t.call("GET", BASE), 401, "unauthenticated");
    expectError(await t.call("GET", BASE, { token: "garbage" }), 401, "unauthenticated");
  });

  test("a staff user granted settings:read may read but not write", async () => {
    const staff = await t.user("support", { grantedPermissions: ["settings:read"] });
    expect((await t.call("GET", BASE, { token: staff.token })).status).toBe(200);
    expectError(
      await t.call("PATCH", BASE, { token: staff.token, body: { MAX_ORDER_RETRIES: 1 } }),
      403,
      "forbidden",
    );
    expect(t.ctx.settings.get("MAX_ORDER_RETRIES")).toBe(5);
  });
});

describe("PATCH /admin/system/settings", () => {
  test("changes one key and keeps the others", async () => {
    const r = await t.call("PATCH", BASE, { token: admin.token, body: { MAX_ORDER_RETRIES: 2 } });
    expect(r.status).toBe(200);
    expect(r.body.values.MAX_ORDER_RETRIES).toBe(2);
    expect(r.body.values.RATE_LIMIT_DEFAULT).toBe("100000/minute");
    expect(r.body.values.RATE_LIMIT_AUTH).toBe("100000/minute");
    expect(t.ctx.settings.get("MAX_ORDER_RETRIES")).toBe(2);
    const row = t.ctx.sqlite
      .query("SELECT value, updated_at, updated_by FROM settings WHERE key = 'MAX_ORDER_RETRIES'")
      .get() as { value: string; updated_at: number; updated_by: number };
    expect(row).toEqual({ value: "2", updated_at: t.clock.now(), updated_by: admin.id });
    // Read back through GET as well.
    const g = await t.call("GET", BASE, { token: admin.token });
    expect(g.body.values.MAX_ORDER_RETRIES).toBe(2);
  });

  test.each([
    ["MAX_ORDER_RETRIES", 0],
    ["RETRY_BACKOFF_FACTOR", 1.5],
    ["RATE_LIMIT_DEFAULT", "10/second"],
    ["registration_open", false],
    ["yookassa_ip_allowlist", ["185.71.76.0/27", "77.75.156.11"]],
    ["order_commission_percent", 12.5],
  ])("accepts a valid %s = %p and reads it back typed", async (key, value) => {
    const r = await t.call("PATCH", BASE, { token: admin.token, body: { [key]: value } });
    expect(r.status).toBe(200);
    expect(r.body.values[key]).toEqual(value);
    expect(t.ctx.settings.get(key as keyof typeof SETTINGS)).toEqual(value as never);
  });

  test("an empty body changes nothing but still answers 200", async () => {
    const before = settingsRows();
    const r = await t.call("PATCH", BASE, { token: admin.token, body: {} });
    expect(r.status).toBe(200);
    expect(settingsRows()).toEqual(before);
  });

  const BAD: [string, Record<string, unknown>, string][] = [
    ["an unknown key", { NOPE: 1 }, "NOPE"],
    ["a prototype key", JSON.parse('{"__proto__": {"x": 1}}'), "__proto__"],
    ["an inherited name", { toString: 1 }, "toString"],
    ["a string for a number", { MAX_ORDER_RETRIES: "3" }, "MAX_ORDER_RETRIES"],
    ["a float for an int", { MAX_ORDER_RETRIES: 1.5 }, "MAX_ORDER_RETRIES"],
    ["a number out of range", { MAX_ORDER_RETRIES: 51 }, "MAX_ORDER_RETRIES"],
    ["a negative number", { low_balance_seconds: -1 }, "low_balance_seconds"],
    ["null for an unknown key", { NOPE: null }, "NOPE"],
    ["a string for a boolean", { registration_open: "false" }, "registration_open"],
    ["a malformed rate", { RATE_LIMIT_DEFAULT: "100 per minute" }, "RATE_LIMIT_DEFAULT"],
    ["a rate with an unknown unit", { RATE_LIMIT_AUTH: "5/week" }, "RATE_LIMIT_AUTH"],
    ["a zero rate (would lock everyone out)", { RATE_LIMIT_DEFAULT: "0/minute" }, "RATE_LIMIT_DEFAULT"],
    ["a zero-padded zero rate", { RATE_LIMIT_AUTH: "00/second" }, "RATE_LIMIT_AUTH"],
    ["an array of numbers for a list of strings", { yookassa_ip_allowlist: [1, 2] }, "yookassa_ip_allowlist"],
  ];

  for (const mode of ["PATCH", "PUT"] as const) {
    test.each(BAD)(`${mode}: %s is 400 validation_failed and changes nothing`, async (_name, bad, path) => {
      const before = settingsRows();
      const audits = countRows("audit_log");
      const events = countRows("events");
      // A valid key in the same body must not be applied either. PUT lists every key.
      const every = mode === "PUT" ? t.ctx.settings.all() : {};
      const body = { ...every, MAX_ORDER_RETRIES: 9, ...bad };
      const r = await t.call(mode, BASE, { token: admin.token, body });
      const e = expectError(r, 400, "validation_failed");
      expect(e.details.issues.map((i: { path: string }) => i.path)).toContain(path);
      expect(settingsRows()).toEqual(before);
      expect(countRows("audit_log")).toBe(audits);
      expect(countRows("events")).toBe(events);
      expect(t.ctx.settings.get("MAX_ORDER_RETRIES")).toBe(5);
      expect(t.ctx.settings.get("RATE_LIMIT_DEFAULT")).toBe("100000/minute");
    });
  }

  test("every bad key is listed at once", async () => {
    const r = await t.call("PATCH", BASE, {
      token: admin.token,
      body: { NOPE: 1, MAX_ORDER_RETRIES: -1, registration_open: 1 },
    });
    const e = expectError(r, 400, "validation_failed");
    expect(e.details.issues.map((i: { path: string }) => i.path).sort()).toEqual(
      ["MAX_ORDER_RETRIES", "NOPE", "registration_open"].sort(),
    );
  });

  test.each([
    ["an array", "[1,2]"],
    ["a string", '"x"'],
    ["null", "null"],
    ["a number", "42"],
  ])("a body that is %s is 400 validation_failed", async (_n, raw) => {
    const before = settingsRows();
    expectError(await t.call("PATCH", BASE, { token: admin.token, raw }), 400, "validation_failed");
    expect(settingsRows()).toEqual(before);
  });

  test("malformed JSON is 400 invalid_json", async () => {
    expectError(await t.call("PATCH", BASE, { token: admin.token, raw: "{oops" }), 400, "invalid_json");
  });

  test("each write leaves one audit_log row and one events row with actor, mode and values", async () => {
    const audits = countRows("audit_log");
    const events = countRows("events");
    const patched = await t.call("PATCH", BASE, {
      token: admin.token,
      body: { MAX_ORDER_RETRIES: 3 },
      headers: { "x-request-id": "req-settings-1" },
    });
    expect(countRows("audit_log")).toBe(audits + 1);
    expect(countRows("events")).toBe(events + 1);
    const a = t.ctx.sqlite
      .query(
        "SELECT actor_id, action, target_type, details, request_id, created_at FROM audit_log ORDER BY id DESC",
      )
      .get() as Record<string, unknown>;
    expect(a).toMatchObject({
      actor_id: admin.id,
      action: "settings.updated",
      target_type: "settings",
      // souk's own id, never the one the client sent.
      request_id: patched.headers.get("x-request-id"),
      created_at: t.clock.now(),
    });
    expect(a.request_id).not.toBe("req-settings-1");
    expect(JSON.parse(String(a.details))).toEqual({ mode: "patch", values: { MAX_ORDER_RETRIES: 3 } });
    const ev = t.ctx.sqlite
      .query("SELECT type, actor_id, subject_type, payload FROM events ORDER BY id DESC")
      .get() as Record<string, unknown>;
    expect(ev).toMatchObject({ type: "settings.updated", actor_id: admin.id, subject_type: "settings" });
    expect(JSON.parse(String(ev.payload))).toEqual({ mode: "patch", values: { MAX_ORDER_RETRIES: 3 } });

    await t.call("PUT", BASE, {
      token: admin.token,
      body: { ...t.ctx.settings.all(), MAX_ORDER_RETRIES: 4 },
    });
    expect(countRows("audit_log")).toBe(audits + 2);
    expect(countRows("events", "type = 'settings.updated'")).toBe(2);
  });

  test("client -> 403 and no auth -> 401; nothing written", async () => {
    const client = await t.user("client");
    const before = settingsRows();
    for (const mode of ["PATCH", "PUT"]) {
      expectError(
        await t.call(mode, BASE, { token: client.token, body: { MAX_ORDER_RETRIES: 1 } }),
        403,
        "forbidden",
      );
      expectError(await t.call(mode, BASE, { body: { MAX_ORDER_RETRIES: 1 } }), 401, "unauthenticated");
    }
    expect(settingsRows()).toEqual(before);
    expect(countRows("audit_log")).toBe(0);
  });

  test("a banned admin is refused", async () => {
    const banned = await t.user("admin", { isBanned: true });
    expectError(
      await t.call("PATCH", BASE, { token: banned.token, body: { MAX_ORDER_RETRIES: 1 } }),
      403,
      "forbidden",
    );
  });
});

describe("stored values", () => {
  test("a stored value the registry rejects (old version, hand edit) reads as the default, not a lockout", async () => {
    const put = t.ctx.sqlite.query(
      "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    put.run("RATE_LIMIT_DEFAULT", JSON.stringify("0/minute"));
    put.run("MAX_ORDER_RETRIES", JSON.stringify("lots"));
    put.run("an_old_removed_setting", JSON.stringify(1));
    t.ctx.settings.reload();
    expect(t.ctx.settings.get("RATE_LIMIT_DEFAULT")).toBe("600/minute");
    expect(t.ctx.settings.get("MAX_ORDER_RETRIES")).toBe(5);
    // The API stays usable, so an admin can repair it.
    const r = await t.call("GET", BASE, { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body.values.RATE_LIMIT_DEFAULT).toBe("600/minute");
    expect(r.body.values).not.toHaveProperty("an_old_removed_setting");
  });
});

describe("PUT /admin/system/settings", () => {
  /** Every key at its current value, as a client that read GET would send it back. */
  const full = async () =>
    (await t.call("GET", BASE, { token: admin.token })).body.values as Record<string, unknown>;

  test("replaces every setting; null returns a key to its default", async () => {
    await t.call("PATCH", BASE, {
      token: admin.token,
      body: { MAX_ORDER_RETRIES: 1, usage_block_seconds: 30, registration_open: false },
    });
    const r = await t.call("PUT", BASE, {
      token: admin.token,
      body: { ...(await full()), usage_block_seconds: 60, MAX_ORDER_RETRIES: null },
    });
    expect(r.status).toBe(200);
    expect(r.body.values.usage_block_seconds).toBe(60);
    expect(r.body.values.MAX_ORDER_RETRIES).toBe(SETTINGS.MAX_ORDER_RETRIES.default);
    expect(r.body.values.registration_open).toBe(false);
    expect(t.ctx.settings.get("MAX_ORDER_RETRIES")).toBe(5);
    const keys = (t.ctx.sqlite.query("SELECT key FROM settings ORDER BY key").all() as { key: string }[]).map(
      (x) => x.key,
    );
    expect(keys).not.toContain("MAX_ORDER_RETRIES");
  });

  test("PUT {} (or any body missing keys) is refused and changes nothing", async () => {
    await t.call("PATCH", BASE, { token: admin.token, body: { usage_block_seconds: 30 } });
    const before = countRows("settings");
    const e = expectError(
      await t.call("PUT", BASE, { token: admin.token, body: {} }),
      400,
      "validation_failed",
    );
    expect(e.details.issues.map((i: { path: string }) => i.path)).toContain("usage_block_seconds");
    const partial = { usage_block_seconds: 60 };
    expectError(await t.call("PUT", BASE, { token: admin.token, body: partial }), 400, "validation_failed");
    expect(countRows("settings")).toBe(before);
    expect(t.ctx.settings.get("usage_block_seconds")).toBe(30);
  });

  test("PATCH with null resets one key; null for an unknown key is refused", async () => {
    await t.call("PATCH", BASE, { token: admin.token, body: { usage_block_seconds: 30 } });
    const r = await t.call("PATCH", BASE, { token: admin.token, body: { usage_block_seconds: null } });
    expect(r.status).toBe(200);
    expect(t.ctx.settings.get("usage_block_seconds")).toBe(SETTINGS.usage_block_seconds.default);
    expectError(
      await t.call("PATCH", BASE, { token: admin.token, body: { nope: null } }),
      400,
      "validation_failed",
    );
  });
});

describe("GET /admin/system/status", () => {
  test("reports process, database, users, jobs and schedules", async () => {
    await t.user("client");
    const r = await t.call("GET", "/api/v1/admin/system/status", { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: "ok",
      version: expect.any(String),
      time: new Date(t.clock.now()).toISOString(),
      database: { ok: true },
      users: 2,
      admins: 1,
      cron_enabled: false,
      jobs: {},
    });
    expect(r.body.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(r.body.database.size_bytes).toBeGreaterThan(0);
    expect(r.body.memory_rss_bytes).toBeGreaterThan(0);
    const names = r.body.schedules.map((s: { name: string }) => s.name);
    expect(names).toContain("wal-checkpoint");
    expect(names).toContain("jobs-cleanup");
    for (const s of r.body.schedules) {
      expect(typeof s.pattern).toBe("string");
      expect(typeof s.description).toBe("string");
    }
  });

  test("job counts are grouped by status", async () => {
    const now = t.clock.now();
    const ins = t.ctx.sqlite.query(
      "INSERT INTO jobs (type, payload, status, max_attempts, run_at, created_at, updated_at) VALUES ('x', '{}', ?, 1, ?, ?, ?)",
    );
    for (const s of ["queued", "queued", "done", "failed"]) ins.run(s, now, now, now);
    const r = await t.call("GET", "/api/v1/admin/system/status", { token: admin.token });
    expect(r.body.jobs).toEqual({ queued: 2, done: 1, failed: 1 });
  });

  test("support may read status (system:read); client 403; no auth 401", async () => {
    const support = await t.user("support");
    const client = await t.user("client");
    expect((await t.call("GET", "/api/v1/admin/system/status", { token: support.token })).status).toBe(200);
    expectError(
      await t.call("GET", "/api/v1/admin/system/status", { token: client.token }),
      403,
      "forbidden",
    );
    expectError(await t.call("GET", "/api/v1/admin/system/status"), 401, "unauthenticated");
  });
});

describe("POST /admin/system/run-action", () => {
  const RUN = "/api/v1/admin/system/run-action";

  test("jobs-cleanup deletes old finished jobs, old keys and dead refresh tokens and returns the counts", async () => {
    const now = t.clock.now();
    const DAY = 86_400_000;
    const ins = t.ctx.sqlite.query(
      "INSERT INTO jobs (type, payload, status, max_attempts, run_at, created_at, updated_at) VALUES ('x', '{}', ?, 1, ?, ?, ?)",
    );
    ins.run("done", now, now, now - 8 * DAY); // old done: deleted
    ins.run("done", now, now, now - 1 * DAY); // recent done: kept
    ins.run("failed", now, now, now - 31 * DAY); // old failed: deleted
    ins.run("failed", now, now, now - 8 * DAY); // recent failed: kept
    ins.run("queued", now, now, now - 60 * DAY); // queued: never deleted
    const key = t.ctx.sqlite.query(
      "INSERT INTO idempotency_keys (caller, key, method, path, request_hash, created_at) VALUES ('user:1', ?, 'POST', '/x', 'h', ?)",
    );
    key.run("old", now - DAY - 1);
    key.run("new", now - 1000);

    const r = await t.call("POST", RUN, { token: admin.token, body: { action: "jobs-cleanup" } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      action: "jobs-cleanup",
      result: { jobs_done: 1, jobs_failed: 1, idempotency_keys: 1, refresh_tokens: 0 },
    });
    expect(countRows("jobs")).toBe(3);
    expect(countRows("idempotency_keys", "key = 'new'")).toBe(1);
    expect(countRows("idempotency_keys", "key = 'old'")).toBe(0);
  });

  test("wal-checkpoint runs and returns the pragma's result", async () => {
    const r = await t.call("POST", RUN, { token: admin.token, body: { action: "wal-checkpoint" } });
    expect(r.status).toBe(200);
    expect(r.body.action).toBe("wal-checkpoint");
    expect(r.body.result).toBeObject();
    expect(r.body.result).toHaveProperty("busy", 0);
  });

  test("with LITESTREAM, wal-checkpoint leaves the WAL to Litestream (a TRUNCATE would wait out busy_timeout against its read lock)", async () => {
    const lt = makeTestApp({ LITESTREAM: "true" });
    const boss = await lt.user("admin");
    const r = await lt.call("POST", RUN, { token: boss.token, body: { action: "wal-checkpoint" } });
    expect(r.status).toBe(200);
    expect(r.body.result).toEqual({ skipped: "Litestream owns checkpoints" });
  });

  test("a run is audited and emits an event", async () => {
    await t.call("POST", RUN, { token: admin.token, body: { action: "wal-checkpoint" } });
    const a = t.ctx.sqlite.query("SELECT actor_id, action, target_type, target_id FROM audit_log").all();
    expect(a).toEqual([
      {
        actor_id: admin.id,
        action: "system.run_action",
        target_type: "schedule",
        target_id: "wal-checkpoint",
      },
    ]);
    expect(countRows("events", "type = 'system.action_run' AND subject_id = 'wal-checkpoint'")).toBe(1);
  });

  test("an unknown action is 404 and lists the known ones", async () => {
    const e = expectError(
      await t.call("POST", RUN, { token: admin.token, body: { action: "rm-rf" } }),
      404,
      "not_found",
    );
    expect(e.details.actions).toContain("jobs-cleanup");
    expect(countRows("audit_log")).toBe(0);
  });

  test.each([
    ["no action", {}],
    ["an empty action", { action: "" }],
    ["a number", { action: 1 }],
    ["an unknown field", { action: "wal-checkpoint", force: true }],
  ])("%s is 400 validation_failed", async (_n, body) => {
    expectError(await t.call("POST", RUN, { token: admin.token, body }), 400, "validation_failed");
    expect(countRows("audit_log")).toBe(0);
  });

  test("support (no system:run) and client are 403; no auth is 401", async () => {
    const support = await t.user("support");
    const client = await t.user("client");
    const body = { action: "jobs-cleanup" };
    expectError(await t.call("POST", RUN, { token: support.token, body }), 403, "forbidden");
    expectError(await t.call("POST", RUN, { token: client.token, body }), 403, "forbidden");
    expectError(await t.call("POST", RUN, { body }), 401, "unauthenticated");
  });
});

describe("GET /admin/audit-log", () => {
  const LOG = "/api/v1/admin/audit-log";

  test("lists admin actions newest first, paginated", async () => {
    for (let i = 1; i <= 5; i++) {
      t.clock.advance(1000);
      await t.call("PATCH", BASE, { token: admin.token, body: { MAX_ORDER_RETRIES: i } });
    }
    const p1 = await t.call("GET", `${LOG}?page_size=2`, { token: admin.token });
    expect(p1.status).toBe(200);
    expect(p1.body.count).toBe(5);
    expect(p1.body.results).toHaveLength(2);
    expect(p1.body.results[0].details).toEqual({ mode: "patch", values: { MAX_ORDER_RETRIES: 5 } });
    expect(p1.body.results[1].details.values.MAX_ORDER_RETRIES).toBe(4);
    expect(p1.body.results[0]).toMatchObject({
      actor_id: admin.id,
      action: "settings.updated",
      target_type: "settings",
      target_id: null,
      created_at: new Date(t.clock.now()).toISOString(),
    });
    expect(p1.body.previous).toBeNull();
    expect(p1.body.next).toBe("/api/v1/admin/audit-log?page_size=2&page=2");

    const p3 = await t.call("GET", `${LOG}?page=3&page_size=2`, { token: admin.token });
    expect(p3.body.results).toHaveLength(1);
    expect(p3.body.results[0].details.values.MAX_ORDER_RETRIES).toBe(1);
    expect(p3.body.next).toBeNull();
    expect(p3.body.previous).toBe("/api/v1/admin/audit-log?page=2&page_size=2");

    const beyond = await t.call("GET", `${LOG}?page=10`, { token: admin.token });
    expect(beyond.body).toMatchObject({ count: 5, results: [] });
  });

  test.each([["page=0"], ["page=-1"], ["page=abc"], ["page_size=0"], ["page_size=101"]])(
    "?%s is 400 validation_failed",
    async (q) => {
      expectError(await t.call("GET", `${LOG}?${q}`, { token: admin.token }), 400, "validation_failed");
    },
  );

  test("support may read it (audit:read); client 403; no auth 401", async () => {
    const support = await t.user("support");
    const client = await t.user("client");
    expect((await t.call("GET", LOG, { token: support.token })).status).toBe(200);
    expectError(await t.call("GET", LOG, { token: client.token }), 403, "forbidden");
    expectError(await t.call("GET", LOG), 401, "unauthenticated");
  });
});

describe("seed 001 alias paths", () => {
  test("/api/admin/system/settings/ answers GET, PATCH and PUT like /api/v1", async () => {
    const ALIAS = "/api/admin/system/settings/";
    const g = await t.call("GET", ALIAS, { token: admin.token });
    expect(g.status).toBe(200);
    expect(g.body.values.MAX_ORDER_RETRIES).toBe(5);
    const p = await t.call("PATCH", ALIAS, { token: admin.token, body: { auto_accept_days: 7 } });
    expect(p.status).toBe(200);
    expect(t.ctx.settings.get("auto_accept_days")).toBe(7);
    const values = g.body.values as Record<string, unknown>;
    const u = await t.call("PUT", "/api/admin/system/settings", {
      token: admin.token,
      body: { ...values, auto_accept_days: null },
    });
    expect(u.status).toBe(200);
    expect(t.ctx.settings.get("auto_accept_days")).toBe(3);
    expectError(await t.call("GET", ALIAS), 401, "unauthenticated");
  });

  test("/api/admin/system/status/, run-action and audit-log answer too", async () => {
    expect((await t.call("GET", "/api/admin/system/status/", { token: admin.token })).status).toBe(200);
    const r = await t.call("POST", "/api/admin/system/run-action/", {
      token: admin.token,
      body: { action: "jobs-cleanup" },
    });
    expect(r.status).toBe(200);
    const log = await t.call("GET", "/api/admin/audit-log/", { token: admin.token });
    expect(log.status).toBe(200);
    expect(log.body.count).toBe(1);
  });
});
