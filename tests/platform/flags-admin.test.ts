import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { auditLog, events, featureFlags } from "../../src/db/schema";
import { MAX_FLAG_USER_IDS } from "../../src/modules/platform/flags/schemas";
import { expectError, makeTestApp } from "../helpers/app";

const URL = "/api/v1/admin/flags";

async function setup() {
  const t = makeTestApp();
  const admin = await t.user("admin");
  const support = await t.user("support");
  const client = await t.user("client");
  const expert = await t.user("expert");
  const audits = (key: string) =>
    t.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetType, "flag"), eq(auditLog.targetId, key)))
      .all();
  const flagEvents = (key: string) =>
    t.ctx.db
      .select()
      .from(events)
      .where(and(eq(events.subjectType, "flag"), eq(events.subjectId, key)))
      .all();
  const rows = () => t.ctx.db.select().from(featureFlags).all();
  return { ...t, admin, support, client, expert, audits, flagEvents, rows };
}

describe("POST /admin/flags", () => {
  test("creates a flag, audited with before and after, and emits flag.created", async () => {
    const t = await setup();
    const body = {
      key: "new_checkout",
      description: "The new checkout",
      enabled: true,
      rollout_percent: 25,
      roles: ["client", "expert", "client"],
      user_ids: [t.expert.id, t.expert.id],
    };
    const res = await t.call("POST", URL, { token: t.admin.token, body });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      key: "new_checkout",
      description: "The new checkout",
      enabled: true,
      rollout_percent: 25,
      roles: ["client", "expert"],
      user_ids: [t.expert.id],
      built_in: false,
      default: null,
      saved: true,
      created_at: "2026-11-22T10:00:00.000Z",
      updated_by: t.admin.id,
    });
    const [a] = t.audits("new_checkout");
    expect(a).toMatchObject({ actorId: t.admin.id, action: "flag.created" });
    expect(a!.details).toEqual({ key: "new_checkout", before: null, after: res.body });
    const [e] = t.flagEvents("new_checkout");
    expect(e).toMatchObject({ type: "flag.created", actorId: t.admin.id });
    expect(e!.payload).toEqual({ key: "new_checkout", before: null, after: res.body });
  });

  test("defaults: disabled, 100 %, no roles, no users", async () => {
    const t = await setup();
    const res = await t.call("POST", URL, { token: t.admin.token, body: { key: "a.b-c_d" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      enabled: false,
      rollout_percent: 100,
      roles: [],
      user_ids: [],
      description: "",
    });
  });

  test("a duplicate key is 409 and changes nothing", async () => {
    const t = await setup();
    await t.call("POST", URL, { token: t.admin.token, body: { key: "beta", enabled: true } });
    const res = await t.call("POST", URL, { token: t.admin.token, body: { key: "beta", enabled: false } });
    expectError(res, 409, "conflict");
    expect(t.rows()).toHaveLength(1);
    expect(t.rows()[0]!.enabled).toBe(true);
    expect(t.audits("beta")).toHaveLength(1);
  });

  test("a built-in key is 409: it is changed with PATCH", async () => {
    const t = await setup();
    const res = await t.call("POST", URL, { token: t.admin.token, body: { key: "rules_engine" } });
    expect(expectError(res, 409, "conflict").message).toContain("PATCH");
    expect(t.rows()).toHaveLength(0);
  });

  const bad: [string, unknown][] = [
    ["no key", { enabled: true }],
    ["uppercase key", { key: "Beta" }],
    ["key starting with a digit", { key: "1beta" }],
    ["key with a space", { key: "be ta" }],
    ["key too long", { key: `a${"b".repeat(64)}` }],
    ["rollout over 100", { key: "x", rollout_percent: 101 }],
    ["negative rollout", { key: "x", rollout_percent: -1 }],
    ["fractional rollout", { key: "x", rollout_percent: 2.5 }],
    ["rollout as a string", { key: "x", rollout_percent: "50" }],
    ["enabled as a string", { key: "x", enabled: "true" }],
    ["unknown role", { key: "x", roles: ["god"] }],
    ["roles not an array", { key: "x", roles: "admin" }],
    ["user id zero", { key: "x", user_ids: [0] }],
    ["negative user id", { key: "x", user_ids: [-3] }],
    ["user id as a string", { key: "x", user_ids: ["1"] }],
    ["fractional user id", { key: "x", user_ids: [1.5] }],
    [
      "too many user ids",
      { key: "x", user_ids: Array.from({ length: MAX_FLAG_USER_IDS + 1 }, (_, i) => i + 1) },
    ],
    ["description too long", { key: "x", description: "d".repeat(501) }],
    ["unknown field", { key: "x", variant: "on" }],
    ["an array", [{ key: "x" }]],
  ];
  for (const [name, body] of bad) {
    test(`400 and nothing written: ${name}`, async () => {
      const t = await setup();
      const res = await t.call("POST", URL, { token: t.admin.token, body });
      expectError(res, 400, "validation_failed");
      expect(t.rows()).toHaveLength(0);
      expect(t.ctx.db.select().from(auditLog).all()).toHaveLength(0);
    });
  }

  test("user ids that are no users are 400, naming them", async () => {
    const t = await setup();
    const res = await t.call("POST", URL, {
      token: t.admin.token,
      body: { key: "x", user_ids: [t.client.id, 9999] },
    });
    const err = expectError(res, 400, "validation_failed");
    expect(JSON.stringify(err.details)).toContain("9999");
    expect(t.rows()).toHaveLength(0);
  });

  test("malformed JSON is 400 invalid_json", async () => {
    const t = await setup();
    const res = await t.call("POST", URL, { token: t.admin.token, raw: '{"key": "x",' });
    expectError(res, 400, "invalid_json");
    expect(t.rows()).toHaveLength(0);
  });

  test("security: 401 without auth, 403 for support, clients and experts", async () => {
    const t = await setup();
    expectError(await t.call("POST", URL, { body: { key: "x" } }), 401, "unauthenticated");
    for (const u of [t.support, t.client, t.expert]) {
      expectError(await t.call("POST", URL, { token: u.token, body: { key: "x" } }), 403, "forbidden");
    }
    expect(t.rows()).toHaveLength(0);
  });

  test("answers under the /api compatibility prefix too", async () => {
    const t = await setup();
    const res = await t.call("POST", "/api/admin/flags/", { token: t.admin.token, body: { key: "x" } });
    expect(res.status).toBe(201);
  });
});

describe("GET /admin/flags", () => {
  test("lists saved flags and built-in ones with their default, by key", async () => {
    const t = await setup();
    await t.call("POST", URL, { token: t.admin.token, body: { key: "zeta", enabled: true } });
    await t.call("POST", URL, { token: t.admin.token, body: { key: "alpha" } });
    const res = await t.call("GET", URL, { token: t.admin.token });
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(3);
    expect(res.body.results.map((f: { key: string }) => f.key)).toEqual(["alpha", "rules_engine", "zeta"]);
    expect(res.body.results[1]).toMatchObject({
      key: "rules_engine",
      enabled: true,
      built_in: true,
      default: true,
      saved: false,
      created_at: null,
    });
  });

  test("paginates", async () => {
    const t = await setup();
    for (const key of ["a1", "a2", "a3"]) await t.call("POST", URL, { token: t.admin.token, body: { key } });
    const res = await t.call("GET", `${URL}?page=2&page_size=2`, { token: t.admin.token });
    expect(res.body).toMatchObject({ count: 4, next: null, previous: `${URL}?page=1&page_size=2` });
    expect(res.body.results.map((f: { key: string }) => f.key)).toEqual(["a3", "rules_engine"]);
  });

  test("support reads flags; clients cannot; no auth is 401; unknown params are 400", async () => {
    const t = await setup();
    expect((await t.call("GET", URL, { token: t.support.token })).status).toBe(200);
    expectError(await t.call("GET", URL, { token: t.client.token }), 403, "forbidden");
    expectError(await t.call("GET", URL), 401, "unauthenticated");
    expectError(
      await t.call("GET", `${URL}?enabled=true`, { token: t.admin.token }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("GET", `${URL}?page_size=101`, { token: t.admin.token }),
      400,
      "validation_failed",
    );
  });
});

describe("GET /admin/flags/{key}", () => {
  test("one flag; a built-in one unsaved; 404 for an unknown key; 400 for a malformed one", async () => {
    const t = await setup();
    await t.call("POST", URL, { token: t.admin.token, body: { key: "beta", rollout_percent: 5 } });
    const one = await t.call("GET", `${URL}/beta`, { token: t.support.token });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ key: "beta", rollout_percent: 5, saved: true });
    const builtIn = await t.call("GET", `${URL}/rules_engine`, { token: t.admin.token });
    expect(builtIn.body).toMatchObject({ key: "rules_engine", saved: false, default: true });
    expectError(await t.call("GET", `${URL}/nope`, { token: t.admin.token }), 404, "not_found");
    expectError(await t.call("GET", `${URL}/BAD%20KEY`, { token: t.admin.token }), 400, "validation_failed");
    expectError(await t.call("GET", `${URL}/beta`, { token: t.client.token }), 403, "forbidden");
    expectError(await t.call("GET", `${URL}/beta`), 401, "unauthenticated");
  });
});

describe("PATCH /admin/flags/{key}", () => {
  test("changes the given fields, audited with before and after, and emits flag.updated", async () => {
    const t = await setup();
    const created = await t.call("POST", URL, {
      token: t.admin.token,
      body: { key: "beta", description: "d", roles: ["expert"] },
    });
    t.clock.advance(60_000);
    const res = await t.call("PATCH", `${URL}/beta`, {
      token: t.admin.token,
      body: { enabled: true, rollout_percent: 40, user_ids: [t.client.id] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      key: "beta",
      description: "d",
      enabled: true,
      rollout_percent: 40,
      roles: ["expert"],
      user_ids: [t.client.id],
      created_at: "2026-11-22T10:00:00.000Z",
      updated_at: "2026-11-22T10:01:00.000Z",
    });
    const a = t.audits("beta").find((r) => r.action === "flag.updated")!;
    expect(a.details).toEqual({ key: "beta", before: created.body, after: res.body });
    const e = t.flagEvents("beta").find((r) => r.type === "flag.updated")!;
    expect(e.payload).toEqual({ key: "beta", before: created.body, after: res.body });
  });

  test("an empty change is audited but is no event", async () => {
    const t = await setup();
    await t.call("POST", URL, { token: t.admin.token, body: { key: "beta" } });
    const res = await t.call("PATCH", `${URL}/beta`, { token: t.admin.token, body: { enabled: false } });
    expect(res.status).toBe(200);
    expect(t.audits("beta").map((r) => r.action)).toEqual(["flag.created", "flag.updated"]);
    expect(t.flagEvents("beta").map((r) => r.type)).toEqual(["flag.created"]);
  });

  test("a built-in flag is saved by its first change, from its default", async () => {
    const t = await setup();
    const res = await t.call("PATCH", `${URL}/rules_engine`, {
      token: t.admin.token,
      body: { enabled: false },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      key: "rules_engine",
      enabled: false,
      saved: true,
      built_in: true,
      default: true,
    });
    expect(t.rows().map((r) => r.key)).toEqual(["rules_engine"]);
    const [a] = t.audits("rules_engine");
    expect(a!.action).toBe("flag.updated");
    expect((a!.details as { before: { saved: boolean; enabled: boolean } }).before).toMatchObject({
      saved: false,
      enabled: true,
    });
    expect(t.flagEvents("rules_engine").map((e) => e.type)).toEqual(["flag.updated"]);
  });

  test("404 for an unknown flag, 400 for bad bodies, nothing written", async () => {
    const t = await setup();
    await t.call("POST", URL, { token: t.admin.token, body: { key: "beta" } });
    expectError(
      await t.call("PATCH", `${URL}/nope`, { token: t.admin.token, body: { enabled: true } }),
      404,
      "not_found",
    );
    for (const body of [
      { key: "renamed" },
      { rollout_percent: 150 },
      { roles: ["root"] },
      { user_ids: [999_999] },
      { enabled: null },
    ]) {
      expectError(
        await t.call("PATCH", `${URL}/beta`, { token: t.admin.token, body }),
        400,
        "validation_failed",
      );
    }
    expectError(
      await t.call("PATCH", `${URL}/beta`, { token: t.admin.token, raw: "{" }),
      400,
      "invalid_json",
    );
    expect(t.rows()[0]).toMatchObject({ enabled: false, rolloutPercent: 100, roles: [], userIds: [] });
    expect(t.audits("beta")).toHaveLength(1);
    expect(t.rows()).toHaveLength(1);
  });

  test("security: 401 without auth, 403 for support and clients", async () => {
    const t = await setup();
    await t.call("POST", URL, { token: t.admin.token, body: { key: "beta" } });
    expectError(await t.call("PATCH", `${URL}/beta`, { body: { enabled: true } }), 401, "unauthenticated");
    for (const u of [t.support, t.client]) {
      expectError(
        await t.call("PATCH", `${URL}/beta`, { token: u.token, body: { enabled: true } }),
        403,
        "forbidden",
      );
    }
    expect(t.rows()[0]!.enabled).toBe(false);
  });
});

describe("DELETE /admin/flags/{key}", () => {
  test("deletes, audited with the before, and emits flag.deleted", async () => {
    const t = await setup();
    const created = await t.call("POST", URL, { token: t.admin.token, body: { key: "beta", enabled: true } });
    const res = await t.call("DELETE", `${URL}/beta`, { token: t.admin.token });
    expect(res.status).toBe(204);
    expect(t.rows()).toHaveLength(0);
    const a = t.audits("beta").find((r) => r.action === "flag.deleted")!;
    expect(a.details).toEqual({ key: "beta", before: created.body, after: null });
    expect(t.flagEvents("beta").map((e) => e.type)).toEqual(["flag.created", "flag.deleted"]);
    expectError(await t.call("GET", `${URL}/beta`, { token: t.admin.token }), 404, "not_found");
    expectError(await t.call("DELETE", `${URL}/beta`, { token: t.admin.token }), 404, "not_found");
  });

  test("a built-in flag returns to its default; an unsaved one has nothing to delete", async () => {
    const t = await setup();
    expectError(await t.call("DELETE", `${URL}/rules_engine`, { token: t.admin.token }), 404, "not_found");
    await t.call("PATCH", `${URL}/rules_engine`, { token: t.admin.token, body: { enabled: false } });
    expect((await t.call("DELETE", `${URL}/rules_engine`, { token: t.admin.token })).status).toBe(204);
    const a = t.audits("rules_engine").find((r) => r.action === "flag.deleted")!;
    expect((a.details as { after: unknown }).after).toMatchObject({ enabled: true, saved: false });
    const view = await t.call("GET", `${URL}/rules_engine`, { token: t.admin.token });
    expect(view.body).toMatchObject({ enabled: true, saved: false });
  });

  test("security: 401 without auth, 403 for support and clients", async () => {
    const t = await setup();
    await t.call("POST", URL, { token: t.admin.token, body: { key: "beta" } });
    expectError(await t.call("DELETE", `${URL}/beta`), 401, "unauthenticated");
    for (const u of [t.support, t.client]) {
      expectError(await t.call("DELETE", `${URL}/beta`, { token: u.token }), 403, "forbidden");
    }
    expect(t.rows()).toHaveLength(1);
  });
});

describe("GET /flags", () => {
  test("each caller gets their own answers; anonymous callers only flags open to everyone", async () => {
    const t = await setup();
    const post = (body: object) => t.call("POST", URL, { token: t.admin.token, body });
    await post({ key: "everyone", enabled: true });
    await post({ key: "experts_only", enabled: true, roles: ["expert"] });
    await post({ key: "listed", enabled: true, rollout_percent: 0, user_ids: [t.client.id] });
    await post({ key: "off", enabled: false });

    const mine = await t.call("GET", "/api/v1/flags", { token: t.client.token });
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({
      flags: { everyone: true, experts_only: false, listed: true, off: false, rules_engine: true },
    });
    const expert = await t.call("GET", "/api/v1/flags", { token: t.expert.token });
    expect(expert.body.flags).toMatchObject({ experts_only: true, listed: false });
    const anon = await t.call("GET", "/api/flags");
    expect(anon.body).toEqual({
      flags: { everyone: true, experts_only: false, listed: false, off: false, rules_engine: true },
    });
  });

  test("a credential that is sent must be valid; unknown params are 400", async () => {
    const t = await setup();
    expectError(await t.call("GET", "/api/v1/flags", { token: "not-a-token" }), 401, "unauthenticated");
    expectError(await t.call("GET", "/api/v1/flags?user=1"), 400, "validation_failed");
  });
});
