import { Database } from "bun:sqlite";
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { runSouk } from "../helpers/cli";
import { count, newOrder, RULES, rulesWorld, runsOf, saveRule } from "../helpers/rules";

let t: TestApp;
let w: Awaited<ReturnType<typeof rulesWorld>>;

beforeEach(async () => {
  t = makeTestApp();
  w = await rulesWorld(t);
});

/** Row counts of everything a rule could write. */
const footprint = () =>
  [
    "rule_runs",
    "events",
    "notifications",
    "audit_log",
    "subject_tags",
    "attention_items",
    "jobs",
    "orders",
  ].map((x) => count(t, x));

describe("POST /admin/rules/{id}/test (dry run)", () => {
  test("a made-up event: matched, a trace of every condition, the actions; nothing written", async () => {
    const rule = await saveRule(t, w.admin, {
      event_type: "order.*",
      conditions: {
        all: [
          { fact: "payload.budget", operator: "gte", value: 100 },
          {
            any: [
              { fact: "actor.role", operator: "eq", value: "client" },
              { fact: "actor.risk_score", operator: "gt", value: 50 },
            ],
          },
        ],
      },
      actions: [{ type: "request_admin_attention", params: { reason: "look" } }],
    });
    const before = footprint();
    const r = await t.call("POST", `${RULES}/${rule.id}/test`, {
      token: w.admin.token,
      body: {
        event: {
          type: "order.created",
          actor_id: w.client.id,
          subject_type: "order",
          subject_id: 5,
          payload: { budget: 250 },
        },
      },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      matched: true,
      event_type_matched: true,
      trace: [
        {
          path: "conditions.all.0",
          fact: "payload.budget",
          operator: "gte",
          value: 100,
          actual: 250,
          result: true,
        },
        {
          path: "conditions.all.1.any.0",
          fact: "actor.role",
          operator: "eq",
          value: "client",
          actual: "client",
          result: true,
        },
        {
          path: "conditions.all.1.any.1",
          fact: "actor.risk_score",
          operator: "gt",
          value: 50,
          actual: null,
          result: false,
        },
      ],
      actions: [{ type: "request_admin_attention", params: { reason: "look" } }],
    });
    expect(footprint()).toEqual(before);
  });

  test("a recorded event by id; a type the rule does not cover does not match", async () => {
    const o = await newOrder(t, w, { budget: 900 });
    const ev = t.ctx.sqlite.query("SELECT id FROM events WHERE type = 'order.created'").get() as {
      id: number;
    };
    const rule = await saveRule(t, w.admin, {
      conditions: { all: [{ fact: "subject.status", operator: "eq", value: "new" }] },
    });
    const before = footprint();
    const r = await t.call("POST", `${RULES}/${rule.id}/test`, {
      token: w.admin.token,
      body: { event_id: ev.id },
    });
    expect(r.body).toMatchObject({
      matched: true,
      event_type_matched: true,
      trace: [{ actual: "new", result: true }],
    });
    const other = await t.call("POST", `${RULES}/${rule.id}/test`, {
      token: w.admin.token,
      body: { event: { type: "order.cancel", subject_type: "order", subject_id: String(o.id) } },
    });
    expect(other.body).toMatchObject({ matched: false, event_type_matched: false, actions: [] });
    expect(other.body.trace[0].result).toBe(true);
    expect(footprint()).toEqual(before);
  });

  test("bad bodies, unknown events and rules", async () => {
    const rule = await saveRule(t, w.admin, {});
    const path = `${RULES}/${rule.id}/test`;
    const token = w.admin.token;
    for (const body of [
      {},
      { event: { type: "order.created" }, event_id: 1 },
      { event: { type: "Order Created" } },
      { event: { type: "order.created", extra: 1 } },
      { event: { type: "order.created", payload: [] } },
      { event_id: "1" },
      { event_id: 0 },
      { rule: {} },
    ]) {
      expectError(await t.call("POST", path, { token, body }), 400, "validation_failed");
    }
    expectError(await t.call("POST", path, { token, raw: "{" }), 400, "invalid_json");
    expectError(await t.call("POST", path, { token, body: { event_id: 999_999 } }), 404, "not_found");
    expectError(
      await t.call("POST", `${RULES}/999/test`, { token, body: { event_id: 1 } }),
      404,
      "not_found",
    );
    await t.call("DELETE", `${RULES}/${rule.id}`, { token });
    expectError(await t.call("POST", path, { token, body: { event_id: 1 } }), 404, "not_found");
  });
});

describe("POST /admin/rules/replay", () => {
  test("a rule added later applies to past events once; a second replay applies nothing again", async () => {
    const a = await newOrder(t, w, { budget: 900_00 });
    await newOrder(t, w, { budget: 10_00 });
    const rule = await saveRule(t, w.admin, {
      conditions: { all: [{ fact: "payload.budget", operator: "gt", value: 100_00 }] },
      actions: [
        { type: "assign_tag", params: { tag: "big" } },
        { type: "create_notification", params: { to: "client", title: "Big", message: "m" } },
      ],
    });
    const r1 = await t.call("POST", `${RULES}/replay`, { token: w.admin.token, body: { last: 50 } });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ runs: 2, matched: 1, applied: 1, failed: 0, already_applied: 0 });
    expect(r1.body.events).toBeGreaterThanOrEqual(2);
    expect(count(t, "subject_tags", "subject_id = ? AND tag = 'big'", String(a.id))).toBe(1);
    const r2 = await t.call("POST", `${RULES}/replay`, { token: w.admin.token, body: { last: 50 } });
    expect(r2.body).toMatchObject({ matched: 1, applied: 0, already_applied: 1 });
    expect(count(t, "notifications", "user_id = ? AND title = 'Big'", w.client.id)).toBe(1);
    const runs = runsOf(t, rule.id);
    expect(runs.every((r) => r.replay === 1)).toBe(true);
    const skipped = runs.filter((r) => r.matched && !r.applied);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.actions).toEqual([
      { type: "assign_tag", ok: false, error: "already applied to this event" },
      { type: "create_notification", ok: false, error: "already applied to this event" },
    ]);
    expect(count(t, "audit_log", "action = 'rule.replayed' AND actor_id = ?", w.admin.id)).toBe(2);
    expect(count(t, "events", "type = 'rule.replayed'")).toBe(2);
  });

  test("a run applied live is not applied again by a replay", async () => {
    const rule = await saveRule(t, w.admin, {
      actions: [{ type: "request_admin_attention", params: { reason: "new order" } }],
    });
    await newOrder(t, w);
    expect(count(t, "attention_items")).toBe(1);
    const r = await t.call("POST", `${RULES}/replay`, { token: w.admin.token, body: { last: 100 } });
    expect(r.body).toMatchObject({ applied: 0, already_applied: 1 });
    expect(count(t, "attention_items")).toBe(1);
    expect(runsOf(t, rule.id).map((x) => [x.applied, x.replay])).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  test("the unique (rule, event) index refuses a second applied run even without the check", () => {
    const insert =
      "INSERT INTO rule_runs (rule_id, rule_version, event_id, matched, applied, actions, depth, replay, duration_us, created_at) VALUES (?, 1, 1, 1, 1, '[]', 0, 0, 1, 0)";
    const now = t.clock.now();
    t.ctx.sqlite
      .query(
        "INSERT INTO rules (name, event_type, conditions, actions, created_at, updated_at) VALUES ('r', '*', '{}', '[]', ?, ?)",
      )
      .run(now, now);
    t.ctx.sqlite.query(insert).run(1);
    expect(() => t.ctx.sqlite.query(insert).run(1)).toThrow(/UNIQUE/);
  });

  test("only the last N events, oldest first", async () => {
    await newOrder(t, w);
    await newOrder(t, w);
    const rule = await saveRule(t, w.admin, { actions: [{ type: "assign_tag", params: { tag: "seen" } }] });
    // The last 2 events: the second order.created, then rule.created.
    const r = await t.call("POST", `${RULES}/replay`, { token: w.admin.token, body: { last: 2 } });
    expect(r.body.events).toBe(2);
    const tagged = t.ctx.sqlite.query("SELECT subject_id FROM subject_tags").all() as {
      subject_id: string;
    }[];
    expect(tagged).toHaveLength(1);
    expect(runsOf(t, rule.id)).toHaveLength(1);
  });

  test("bad bodies are 400 and replay nothing", async () => {
    await saveRule(t, w.admin, {});
    for (const body of [
      {},
      { last: 0 },
      { last: 10_001 },
      { last: "5" },
      { last: 1.5 },
      { last: 5, dry: true },
    ]) {
      expectError(
        await t.call("POST", `${RULES}/replay`, { token: w.admin.token, body }),
        400,
        "validation_failed",
      );
    }
    expect(count(t, "rule_runs")).toBe(0);
  });
});

describe("GET /admin/rules/{id}/runs", () => {
  test("newest first, paginated, filtered; a deleted rule keeps its log", async () => {
    await t.call("PATCH", "/api/v1/admin/system/settings", {
      token: w.admin.token,
      body: { rules_log_unmatched: true },
    });
    const rule = await saveRule(t, w.admin, {
      conditions: { all: [{ fact: "payload.budget", operator: "gt", value: 100_00 }] },
      actions: [{ type: "assign_tag", params: { tag: "big" } }],
    });
    await newOrder(t, w, { budget: 900_00 });
    await newOrder(t, w, { budget: 10_00 });
    await newOrder(t, w, { budget: 800_00 });
    const path = `${RULES}/${rule.id}/runs`;
    const all = await t.call("GET", path, { token: w.admin.token });
    expect(all.body.count).toBe(3);
    expect(all.body.results.map((r: { matched: boolean }) => r.matched)).toEqual([true, false, true]);
    expect(all.body.results[0]).toMatchObject({
      rule_id: rule.id,
      rule_version: 1,
      applied: true,
      depth: 0,
      replay: false,
      actions: [{ type: "assign_tag", ok: true }],
    });
    expect(typeof all.body.results[0].duration_us).toBe("number");
    const p = await t.call("GET", `${path}?page_size=2&page=2`, { token: w.admin.token });
    expect(p.body.results).toHaveLength(1);
    expect(p.body.previous).toContain("page=1");
    const matched = await t.call("GET", `${path}?matched=false`, { token: w.admin.token });
    expect(matched.body.count).toBe(1);
    expect((await t.call("GET", `${path}?applied=true`, { token: w.admin.token })).body.count).toBe(2);
    await t.call("DELETE", `${RULES}/${rule.id}`, { token: w.admin.token });
    expect((await t.call("GET", path, { token: w.admin.token })).body.count).toBe(3);
    expectError(await t.call("GET", `${RULES}/999/runs`, { token: w.admin.token }), 404, "not_found");
    expectError(
      await t.call("GET", `${path}?page_size=1000`, { token: w.admin.token }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("GET", `${path}?matched=yes`, { token: w.admin.token }),
      400,
      "validation_failed",
    );
    expectError(await t.call("GET", `${path}?color=red`, { token: w.admin.token }), 400, "validation_failed");
  });
});

describe("souk replay-rules", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const run = (args: string[], dataDir: string) => runSouk(args, dataDir);

  test("evaluates the last N events again, once per rule and event; bad --last is a usage error", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "souk-replay-"));
    dirs.push(dataDir);
    // Migrated by the CLI itself, then filled over a plain connection that closes for good: a
    // context's cached statements would keep its connection alive while the child process writes.
    expect((await run(["migrate"], dataDir)).code).toBe(0);
    const ctx = { sqlite: new Database(join(dataDir, "souk.db")) };
    const now = Date.now();
    ctx.sqlite
      .query(
        "INSERT INTO events (type, actor_id, subject_type, subject_id, payload, created_at) VALUES ('order.created', NULL, 'order', '1', '{\"budget\":5}', ?)",
      )
      .run(now);
    ctx.sqlite
      .query(
        `INSERT INTO rules (name, event_type, conditions, actions, created_at, updated_at)
         VALUES ('cli', 'order.created', '{"all":[{"fact":"payload.budget","operator":"eq","value":5}]}', '[{"type":"request_admin_attention","params":{"reason":"r"}}]', ?, ?)`,
      )
      .run(now, now);
    ctx.sqlite.close();

    const first = await run(["replay-rules", "--last=10"], dataDir);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("runs 1, matched 1, applied 1, already applied 0, failed 0");
    const again = await run(["replay-rules", "--last", "10"], dataDir);
    expect(again.stdout).toContain("applied 0, already applied 1");

    for (const bad of [
      ["replay-rules"],
      ["replay-rules", "--last=0"],
      ["replay-rules", "--last=abc"],
      ["replay-rules", "--last=10001"],
    ]) {
      const r = await run(bad, dataDir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--last must be a whole number");
    }
    const db = new Database(join(dataDir, "souk.db"));
    expect(db.query("SELECT count(*) AS n FROM attention_items").get()).toEqual({ n: 1 });
    expect(db.query("SELECT count(*) AS n FROM rule_runs WHERE replay = 1").get()).toEqual({ n: 2 });
    db.close();
  }, 60_000);
});
