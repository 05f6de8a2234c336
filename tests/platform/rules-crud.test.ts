import { beforeEach, describe, expect, test } from "bun:test";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { count, RULES, rulesWorld, saveRule } from "../helpers/rules";

let t: TestApp;
let w: Awaited<ReturnType<typeof rulesWorld>>;

beforeEach(async () => {
  t = makeTestApp();
  w = await rulesWorld(t);
});

const VALID = {
  name: "Big cancellations",
  event_type: "order.cancel",
  priority: 3,
  conditions: {
    all: [
      { fact: "subject.price", operator: "gte", value: 100_000 },
      {
        any: [
          { fact: "actor.role", operator: "eq", value: "client" },
          { not: { fact: "payload.reason", operator: "exists" } },
        ],
      },
    ],
  },
  actions: [{ type: "request_admin_attention", params: { reason: "A big order was cancelled" } }],
};

const post = (body: unknown, token = w.admin.token) => t.call("POST", RULES, { token, body });

/** Posts a rule with one field replaced and returns the issue paths of the 400. */
async function issuesOf(body: Record<string, unknown>) {
  const r = await post({ ...VALID, ...body });
  const e = expectError(r, 400, "validation_failed");
  return (e.details.issues as { path: string; message: string }[]).map((i) => i.path);
}

describe("POST /admin/rules", () => {
  test("creates a rule (version 1, audited, rule.created event) and reads it back", async () => {
    const r = await post(VALID);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: "Big cancellations",
      event_type: "order.cancel",
      enabled: true,
      priority: 3,
      stop_processing: false,
      version: 1,
      created_by: w.admin.id,
      deleted_at: null,
      conditions: VALID.conditions,
      actions: VALID.actions,
    });
    const got = await t.call("GET", `${RULES}/${r.body.id}`, { token: w.admin.token });
    expect(got.body).toEqual(r.body);
    expect(
      count(
        t,
        "audit_log",
        "action = 'rule.created' AND actor_id = ? AND target_id = ?",
        w.admin.id,
        String(r.body.id),
      ),
    ).toBe(1);
    expect(count(t, "events", "type = 'rule.created' AND subject_id = ?", String(r.body.id))).toBe(1);
  });

  test("defaults: enabled, priority 0, conditions that always hold, no stop", async () => {
    const r = await post({ name: "n", event_type: "*", actions: [] });
    expect(r.body).toMatchObject({
      enabled: true,
      priority: 0,
      conditions: { all: [] },
      stop_processing: false,
    });
  });

  test.each([
    [
      "an unknown operator, deep",
      {
        conditions: {
          all: [
            { fact: "type", operator: "eq", value: "x" },
            { any: [{ fact: "payload.a", operator: "like", value: "x" }] },
          ],
        },
      },
      "json.conditions.all.1.any.0.operator",
    ],
    [
      "an unknown fact root",
      { conditions: { all: [{ fact: "order.price", operator: "gt", value: 1 }] } },
      "json.conditions.all.0.fact",
    ],
    [
      "an unknown actor field",
      { conditions: { all: [{ fact: "actor.password_hash", operator: "exists" }] } },
      "json.conditions.all.0.fact",
    ],
    [
      "an unknown subject field",
      { conditions: { all: [{ fact: "subject.escrow_amount", operator: "gt", value: 1 }] } },
      "json.conditions.all.0.fact",
    ],
    [
      "a payload path through the prototype",
      { conditions: { not: { fact: "payload.__proto__.x", operator: "exists" } } },
      "json.conditions.not.fact",
    ],
    [
      "a bare payload",
      { conditions: { all: [{ fact: "payload", operator: "exists" }] } },
      "json.conditions.all.0.fact",
    ],
    [
      "in without a list",
      { conditions: { all: [{ fact: "actor.role", operator: "in", value: "client" }] } },
      "json.conditions.all.0.value",
    ],
    [
      "an empty in list",
      { conditions: { all: [{ fact: "actor.role", operator: "in", value: [] }] } },
      "json.conditions.all.0.value",
    ],
    [
      "an object in an in list",
      { conditions: { all: [{ fact: "actor.role", operator: "in", value: ["a", {}] }] } },
      "json.conditions.all.0.value.1",
    ],
    [
      "gt with a boolean",
      { conditions: { all: [{ fact: "payload.n", operator: "gt", value: true }] } },
      "json.conditions.all.0.value",
    ],
    [
      "eq with null",
      { conditions: { all: [{ fact: "payload.n", operator: "eq", value: null }] } },
      "json.conditions.all.0.value",
    ],
    [
      "eq without a value",
      { conditions: { all: [{ fact: "payload.n", operator: "eq" }] } },
      "json.conditions.all.0.value",
    ],
    [
      "exists with a string",
      { conditions: { all: [{ fact: "payload.n", operator: "exists", value: "yes" }] } },
      "json.conditions.all.0.value",
    ],
    ["two kinds in one node", { conditions: { all: [], any: [] } }, "json.conditions"],
    [
      "a group and a fact in one node",
      { conditions: { not: { fact: "type", operator: "exists", all: [] } } },
      "json.conditions.not",
    ],
    [
      "an unknown key in a condition",
      { conditions: { all: [{ fact: "type", operator: "exists", extra: 1 }] } },
      "json.conditions.all.0.extra",
    ],
    ["a condition that is not an object", { conditions: { any: [1] } }, "json.conditions.any.0"],
    ["all that is not a list", { conditions: { all: {} } }, "json.conditions.all"],
    ["an unknown event type", { event_type: "nothing.happened" }, "json.event_type"],
    ["a pattern no type matches", { event_type: "nothing.*" }, "json.event_type"],
    [
      "a notification to anyone",
      { actions: [{ type: "create_notification", params: { to: "everyone", title: "t", message: "m" } }] },
      "json.actions.0.params.to",
    ],
    [
      "a notification without a title",
      { actions: [{ type: "create_notification", params: { to: "actor", message: "m" } }] },
      "json.actions.0.params.title",
    ],
    [
      "a notification with a blank message",
      { actions: [{ type: "create_notification", params: { to: "actor", title: "t", message: "  " } }] },
      "json.actions.0.params.message",
    ],
    [
      "an unknown param",
      { actions: [{ type: "assign_tag", params: { tag: "ok", color: "red" } }] },
      "json.actions.0.params.color",
    ],
    [
      "a status orders do not have",
      { actions: [{ type: "change_status", params: { to: "flying" } }] },
      "json.actions.0.params.to",
    ],
    [
      "a status only payments reach (a rule never moves money)",
      { actions: [{ type: "change_status", params: { to: "paid" } }] },
      "json.actions.0.params.to",
    ],
    [
      "a tag with spaces",
      { actions: [{ type: "assign_tag", params: { tag: "big spender" } }] },
      "json.actions.0.params.tag",
    ],
    [
      "a flag that is not a string",
      { actions: [{ type: "assign_flag", params: { flag: 7 } }] },
      "json.actions.0.params.flag",
    ],
    [
      "attention without a reason",
      { actions: [{ type: "request_admin_attention", params: {} }] },
      "json.actions.0.params.reason",
    ],
    [
      "params that are not an object",
      { actions: [{ type: "assign_tag", params: "vip" }] },
      "json.actions.0.params",
    ],
    ["an unknown action type", { actions: [{ type: "send_money", params: {} }] }, "json.actions.0.type"],
    ["an unknown top-level field", { color: "red" }, "json"],
    ["a priority out of range", { priority: 5000 }, "json.priority"],
    ["a blank name", { name: "  " }, "json.name"],
  ])("%s is 400 with the path of the bad node, nothing saved", async (_, body, path) => {
    const paths = await issuesOf(body as Record<string, unknown>);
    expect(paths).toContain(path);
    expect(count(t, "rules")).toBe(0);
    expect(count(t, "events", "type LIKE 'rule.%'")).toBe(0);
  });

  test("caps: nesting depth, node count, number of actions and document size", async () => {
    let deep: Record<string, unknown> = { fact: "type", operator: "exists" };
    for (let i = 0; i < 9; i++) deep = { not: deep };
    expect(await issuesOf({ conditions: deep })).toEqual(["json.conditions.not.not.not.not.not.not.not.not"]);
    let eight: Record<string, unknown> = { fact: "type", operator: "exists" };
    for (let i = 0; i < 7; i++) eight = { not: eight };
    expect((await post({ ...VALID, conditions: eight })).status).toBe(201);

    const leaf = { fact: "type", operator: "exists" };
    expect(await issuesOf({ conditions: { all: Array(100).fill(leaf) } })).toEqual(["json.conditions"]);
    expect((await post({ ...VALID, conditions: { all: Array(99).fill(leaf) } })).status).toBe(201);

    const tag = { type: "assign_tag", params: { tag: "t" } };
    expect(await issuesOf({ actions: Array(11).fill(tag) })).toEqual(["json.actions"]);

    const big = { all: [{ fact: "payload.x", operator: "in", value: Array(100).fill("y".repeat(200)) }] };
    expect(await issuesOf({ conditions: big })).toEqual(["json"]);
    // A hugely nested document is refused on size before it is walked.
    let huge: Record<string, unknown> = leaf;
    for (let i = 0; i < 3000; i++) huge = { not: huge };
    expect(await issuesOf({ conditions: huge })).toEqual(["json"]);
  });

  test("malformed JSON and wrong types are the envelope", async () => {
    expectError(await t.call("POST", RULES, { token: w.admin.token, raw: "{nope" }), 400, "invalid_json");
    expectError(await post({ ...VALID, enabled: "yes" }), 400, "validation_failed");
    expectError(await post({ ...VALID, conditions: [] }), 400, "validation_failed");
    expectError(await post({ ...VALID, actions: {} }), 400, "validation_failed");
    expectError(await post([]), 400, "validation_failed");
    expect(count(t, "rules")).toBe(0);
  });
});

describe("GET, PATCH, DELETE /admin/rules/{id}", () => {
  test("the list is in evaluation order, filterable, paginated, without deleted rules", async () => {
    const a = await saveRule(t, w.admin, { priority: 1 });
    const b = await saveRule(t, w.admin, { priority: 9, event_type: "order.*" });
    const c = await saveRule(t, w.admin, { priority: 1, enabled: false });
    const d = await saveRule(t, w.admin, { priority: 50 });
    await t.call("DELETE", `${RULES}/${d.id}`, { token: w.admin.token });
    const all = await t.call("GET", RULES, { token: w.admin.token });
    expect(all.body.count).toBe(3);
    expect(all.body.results.map((r: { id: number }) => r.id)).toEqual([b.id, a.id, c.id]);
    const on = await t.call("GET", `${RULES}?enabled=true&event_type=order.created`, {
      token: w.admin.token,
    });
    expect(on.body.results.map((r: { id: number }) => r.id)).toEqual([a.id]);
    const p = await t.call("GET", `${RULES}?page_size=2`, { token: w.admin.token });
    expect(p.body.results).toHaveLength(2);
    expect(p.body.next).toContain("page=2");
    expectError(
      await t.call("GET", `${RULES}?colour=red`, { token: w.admin.token }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("GET", `${RULES}?enabled=maybe`, { token: w.admin.token }),
      400,
      "validation_failed",
    );
  });

  test("PATCH changes what it is given, bumps the version, audits before and after", async () => {
    const r = await saveRule(t, w.admin, {
      name: "old",
      actions: [{ type: "assign_tag", params: { tag: "a" } }],
    });
    const p = await t.call("PATCH", `${RULES}/${r.id}`, {
      token: w.admin.token,
      body: {
        name: "new",
        enabled: false,
        conditions: { any: [{ fact: "payload.budget", operator: "gt", value: 5 }] },
      },
    });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({
      name: "new",
      enabled: false,
      version: 2,
      actions: [{ type: "assign_tag", params: { tag: "a" } }],
    });
    const p2 = await t.call("PATCH", `${RULES}/${r.id}`, { token: w.admin.token, body: { enabled: true } });
    expect(p2.body.version).toBe(3);
    const audit = t.ctx.sqlite
      .query("SELECT details FROM audit_log WHERE action = 'rule.updated' ORDER BY id")
      .get() as { details: string };
    const d = JSON.parse(audit.details);
    expect(d.changed.sort()).toEqual(["conditions", "enabled", "name"]);
    expect(d.before.name).toBe("old");
    expect(d.after.name).toBe("new");
    expect(count(t, "events", "type = 'rule.updated'")).toBe(2);
  });

  test("PATCH validates like POST and changes nothing on a bad body", async () => {
    const r = await saveRule(t, w.admin, {});
    const bad = await t.call("PATCH", `${RULES}/${r.id}`, {
      token: w.admin.token,
      body: { conditions: { all: [{ any: [{ fact: "type", operator: "matches", value: "x" }] }] } },
    });
    expect(expectError(bad, 400, "validation_failed").details.issues[0].path).toBe(
      "json.conditions.all.0.any.0.operator",
    );
    expectError(
      await t.call("PATCH", `${RULES}/${r.id}`, { token: w.admin.token, body: {} }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("PATCH", `${RULES}/${r.id}`, { token: w.admin.token, body: { version: 9 } }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("PATCH", `${RULES}/${r.id}`, { token: w.admin.token, body: { event_type: "nope.*" } }),
      400,
      "validation_failed",
    );
    expect((await t.call("GET", `${RULES}/${r.id}`, { token: w.admin.token })).body.version).toBe(1);
  });

  test("DELETE soft-deletes: gone from the API, the row stays, audited; twice is 404", async () => {
    const r = await saveRule(t, w.admin, {});
    const d = await t.call("DELETE", `${RULES}/${r.id}`, { token: w.admin.token });
    expect(d.status).toBe(200);
    expect(d.body.deleted_at).toBe(new Date(t.clock.now()).toISOString());
    expectError(await t.call("GET", `${RULES}/${r.id}`, { token: w.admin.token }), 404, "not_found");
    expectError(
      await t.call("PATCH", `${RULES}/${r.id}`, { token: w.admin.token, body: { priority: 1 } }),
      404,
      "not_found",
    );
    expectError(await t.call("DELETE", `${RULES}/${r.id}`, { token: w.admin.token }), 404, "not_found");
    expect(count(t, "rules", "id = ? AND deleted_at IS NOT NULL", r.id)).toBe(1);
    expect(count(t, "audit_log", "action = 'rule.deleted'")).toBe(1);
    expect(count(t, "events", "type = 'rule.deleted'")).toBe(1);
  });

  test("unknown and malformed ids", async () => {
    for (const m of ["GET", "DELETE"]) {
      expectError(await t.call(m, `${RULES}/999`, { token: w.admin.token }), 404, "not_found");
      expectError(await t.call(m, `${RULES}/abc`, { token: w.admin.token }), 400, "validation_failed");
    }
    expectError(
      await t.call("PATCH", `${RULES}/999`, { token: w.admin.token, body: { priority: 1 } }),
      404,
      "not_found",
    );
  });
});

describe("permissions", () => {
  test("no auth 401; a client, an expert and support 403 on every rules route; nothing written", async () => {
    const r = await saveRule(t, w.admin, {});
    const support = await t.user("support");
    const routes: [string, string, unknown?][] = [
      ["GET", RULES],
      ["POST", RULES, VALID],
      ["GET", `${RULES}/${r.id}`],
      ["PATCH", `${RULES}/${r.id}`, { priority: 1 }],
      ["DELETE", `${RULES}/${r.id}`],
      ["POST", `${RULES}/${r.id}/test`, { event: { type: "order.created" } }],
      ["GET", `${RULES}/${r.id}/runs`],
      ["POST", `${RULES}/replay`, { last: 5 }],
    ];
    for (const [method, path, body] of routes) {
      expectError(await t.call(method, path, { body }), 401, "unauthenticated");
      for (const u of [w.client, w.expert, support]) {
        expectError(await t.call(method, path, { token: u.token, body }), 403, "forbidden");
      }
    }
    expect(count(t, "rules")).toBe(1);
    expect((await t.call("GET", `${RULES}/${r.id}`, { token: w.admin.token })).body.version).toBe(1);
  });

  test("staff granted rules:read read and dry-run, but cannot write or replay", async () => {
    const r = await saveRule(t, w.admin, {});
    const reader = await t.user("support", { grantedPermissions: ["rules:read"] });
    expect((await t.call("GET", RULES, { token: reader.token })).status).toBe(200);
    expect((await t.call("GET", `${RULES}/${r.id}`, { token: reader.token })).status).toBe(200);
    expect((await t.call("GET", `${RULES}/${r.id}/runs`, { token: reader.token })).status).toBe(200);
    const dry = await t.call("POST", `${RULES}/${r.id}/test`, {
      token: reader.token,
      body: { event: { type: "order.created" } },
    });
    expect(dry.status).toBe(200);
    expectError(await t.call("POST", RULES, { token: reader.token, body: VALID }), 403, "forbidden");
    expectError(await t.call("DELETE", `${RULES}/${r.id}`, { token: reader.token }), 403, "forbidden");
    expectError(
      await t.call("POST", `${RULES}/replay`, { token: reader.token, body: { last: 1 } }),
      403,
      "forbidden",
    );
    const writer = await t.user("support", { grantedPermissions: ["rules:read", "rules:write"] });
    expect((await t.call("POST", RULES, { token: writer.token, body: VALID })).status).toBe(201);
  });
});
