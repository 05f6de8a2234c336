import { beforeEach, describe, expect, test } from "bun:test";
import { makeTestApp, type TestApp } from "../helpers/app";
import {
  count,
  newOrder,
  orderAct,
  orderStatus,
  RULES,
  rulesWorld,
  runsOf,
  saveRule,
} from "../helpers/rules";

let t: TestApp;
let w: Awaited<ReturnType<typeof rulesWorld>>;

beforeEach(async () => {
  t = makeTestApp();
  w = await rulesWorld(t);
});

const notes = (userId: number) =>
  t.ctx.sqlite
    .query("SELECT title, message, data FROM notifications WHERE user_id = ? AND type = 'system' ORDER BY id")
    .all(userId) as {
    title: string;
    message: string;
    data: string;
  }[];

/** Every evaluation logged, matched or not (off by default). */
const logUnmatched = () =>
  t.call("PATCH", "/api/v1/admin/system/settings", {
    token: w.admin.token,
    body: { rules_log_unmatched: true },
  });

const budgetOver = (n: number) => ({ all: [{ fact: "payload.budget", operator: "gt", value: n }] });

describe("execution after emit", () => {
  test("a matching rule acts in the event's transaction; every evaluation is logged with the rule's version", async () => {
    await logUnmatched();
    const rule = await saveRule(t, w.admin, {
      conditions: budgetOver(100_00),
      actions: [
        { type: "create_notification", params: { to: "client", title: "Big order", message: "We saw it" } },
      ],
    });
    const big = await newOrder(t, w, { budget: 900_00 });
    const small = await newOrder(t, w, { budget: 50_00 });
    expect(notes(w.client.id)).toHaveLength(1);
    expect(notes(w.client.id)[0]).toMatchObject({ title: "Big order", message: "We saw it" });
    expect(JSON.parse(notes(w.client.id)[0]!.data)).toMatchObject({
      rule_id: rule.id,
      subject_type: "order",
      subject_id: String(big.id),
    });
    const runs = runsOf(t, rule.id);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ rule_version: 1, matched: 1, applied: 1, depth: 0, replay: 0 });
    expect(runs[0]!.actions).toEqual([{ type: "create_notification", ok: true }]);
    expect(runs[1]).toMatchObject({ matched: 0, applied: 0, actions: [] });
    const eventIds = runs.map((r) => r.event_id);
    const types = eventIds.map(
      (id) =>
        t.ctx.sqlite.query("SELECT type, subject_id FROM events WHERE id = ?").get(id) as {
          type: string;
          subject_id: string;
        },
    );
    expect(types).toEqual([
      { type: "order.created", subject_id: String(big.id) },
      { type: "order.created", subject_id: String(small.id) },
    ]);
  });

  test("an edit bumps the version and later runs record it", async () => {
    const rule = await saveRule(t, w.admin, { conditions: budgetOver(0) });
    await newOrder(t, w);
    const r = await t.call("PATCH", `${RULES}/${rule.id}`, { token: w.admin.token, body: { priority: 5 } });
    expect(r.body.version).toBe(2);
    await newOrder(t, w);
    expect(runsOf(t, rule.id).map((x) => x.rule_version)).toEqual([1, 2]);
  });

  test("disabled and deleted rules do not run; rules on other types are not evaluated", async () => {
    const off = await saveRule(t, w.admin, { enabled: false });
    const gone = await saveRule(t, w.admin, {});
    const other = await saveRule(t, w.admin, { event_type: "order.cancel" });
    const prefix = await saveRule(t, w.admin, { event_type: "order.*" });
    const star = await saveRule(t, w.admin, { event_type: "*" });
    const userPrefix = await saveRule(t, w.admin, { event_type: "user.*" });
    expect((await t.call("DELETE", `${RULES}/${gone.id}`, { token: w.admin.token })).status).toBe(200);
    await newOrder(t, w);
    expect(runsOf(t, off.id)).toHaveLength(0);
    expect(runsOf(t, gone.id)).toHaveLength(0);
    expect(runsOf(t, other.id)).toHaveLength(0);
    expect(runsOf(t, userPrefix.id)).toHaveLength(0);
    expect(runsOf(t, prefix.id)).toHaveLength(1);
    // `*` saw order.created (and nothing else happened after it).
    expect(runsOf(t, star.id).length).toBeGreaterThanOrEqual(1);
  });

  test("by default only matched runs are logged; rules_log_unmatched logs every evaluation", async () => {
    const rule = await saveRule(t, w.admin, { conditions: budgetOver(100_00) });
    await newOrder(t, w, { budget: 50_00 });
    await newOrder(t, w, { budget: 500_00 });
    expect(runsOf(t, rule.id).map((r) => r.matched)).toEqual([1]);
    await logUnmatched();
    await newOrder(t, w, { budget: 50_00 });
    expect(runsOf(t, rule.id).map((r) => r.matched)).toEqual([1, 0]);
  });
});

describe("priority and stop_processing", () => {
  test("higher priority runs first, ties by id; a matched stop_processing rule ends the list", async () => {
    await logUnmatched();
    const order: number[] = [];
    const low = await saveRule(t, w.admin, {
      priority: 1,
      actions: [{ type: "assign_tag", params: { tag: "low" } }],
    });
    const high = await saveRule(t, w.admin, {
      priority: 10,
      actions: [{ type: "assign_tag", params: { tag: "high" } }],
    });
    const stopper = await saveRule(t, w.admin, {
      priority: 5,
      stop_processing: true,
      conditions: budgetOver(100_00),
      actions: [{ type: "assign_tag", params: { tag: "stopper" } }],
    });
    const tie = await saveRule(t, w.admin, {
      priority: 10,
      actions: [{ type: "assign_tag", params: { tag: "tie" } }],
    });
    // The stopper does not match: everyone runs, in order.
    const a = await newOrder(t, w, { budget: 10_00 });
    const tagsOf = (id: number) =>
      (
        t.ctx.sqlite
          .query("SELECT tag FROM subject_tags WHERE subject_id = ? ORDER BY id")
          .all(String(id)) as { tag: string }[]
      ).map((r) => r.tag);
    expect(tagsOf(a.id)).toEqual(["high", "tie", "low"]);
    // It matches: lower-priority rules are not evaluated at all.
    const b = await newOrder(t, w, { budget: 900_00 });
    expect(tagsOf(b.id)).toEqual(["high", "tie", "stopper"]);
    for (const r of [high, tie, stopper]) order.push(runsOf(t, r.id).length);
    expect(order).toEqual([2, 2, 2]);
    expect(runsOf(t, low.id)).toHaveLength(1);
  });
});

describe("savepoints", () => {
  test("a failing action undoes only its own rule's actions; the request and other rules succeed", async () => {
    const good = await saveRule(t, w.admin, {
      priority: 1,
      actions: [{ type: "assign_tag", params: { tag: "seen" } }],
    });
    const bad = await saveRule(t, w.admin, {
      priority: 2,
      actions: [
        { type: "assign_tag", params: { tag: "half-done" } },
        // A new order has no expert yet: this fails, and the tag above is rolled back with it.
        { type: "create_notification", params: { to: "expert", title: "x", message: "y" } },
        { type: "request_admin_attention", params: { reason: "never" } },
      ],
    });
    const o = await newOrder(t, w);
    expect(orderStatus(t, o.id)).toBe("new");
    expect(count(t, "subject_tags", "tag = 'seen'")).toBe(1);
    expect(count(t, "subject_tags", "tag = 'half-done'")).toBe(0);
    expect(count(t, "attention_items")).toBe(0);
    const [run] = runsOf(t, bad.id);
    expect(run).toMatchObject({ matched: 1, applied: 0 });
    expect(run!.actions).toEqual([
      { type: "assign_tag", ok: true },
      { type: "create_notification", ok: false, error: "the event has no expert of the subject" },
      { type: "request_admin_attention", ok: false, error: "not run: an earlier action failed" },
    ]);
    expect(runsOf(t, good.id)[0]).toMatchObject({ matched: 1, applied: 1 });
    // The tag.assigned event of the rolled-back action is gone too.
    expect(count(t, "events", "type = 'tag.assigned'")).toBe(1);
  });
});

describe("actions", () => {
  test("create_notification reaches actor, client, expert, admins and an explicit user_id", async () => {
    const other = await t.user("client");
    const admin2 = await t.user("admin");
    await saveRule(t, w.admin, {
      event_type: "order.take",
      actions: [
        { type: "create_notification", params: { to: "actor", title: "to actor", message: "m" } },
        { type: "create_notification", params: { to: "client", title: "to client", message: "m" } },
        { type: "create_notification", params: { to: "expert", title: "to expert", message: "m" } },
        { type: "create_notification", params: { to: "admins", title: "to admins", message: "m" } },
        {
          type: "create_notification",
          params: { to: `user_id:${other.id}`, title: "to other", message: "m" },
        },
      ],
    });
    const o = await newOrder(t, w);
    expect((await orderAct(t, o.id, "take", w.expert.token)).status).toBe(200);
    expect(notes(w.expert.id).map((n) => n.title)).toEqual(["to actor", "to expert"]);
    expect(notes(w.client.id).map((n) => n.title)).toEqual(["to client"]);
    expect(notes(w.admin.id).map((n) => n.title)).toEqual(["to admins"]);
    expect(notes(admin2.id).map((n) => n.title)).toEqual(["to admins"]);
    expect(notes(other.id).map((n) => n.title)).toEqual(["to other"]);
  });

  test("create_notification to a user_id that does not exist fails the action, not the request", async () => {
    const rule = await saveRule(t, w.admin, {
      actions: [{ type: "create_notification", params: { to: "user_id:999999", title: "t", message: "m" } }],
    });
    await newOrder(t, w);
    expect(runsOf(t, rule.id)[0]!.actions[0]).toEqual({
      type: "create_notification",
      ok: false,
      error: "user_id:999999 (user 999999) does not exist",
    });
  });

  test("change_status moves the order through the machine, as the system, audited", async () => {
    const rule = await saveRule(t, w.admin, {
      name: "Cheap orders are cancelled",
      conditions: { all: [{ fact: "payload.budget", operator: "lt", value: 10_00 }] },
      actions: [{ type: "change_status", params: { to: "cancelled" } }],
    });
    const o = await newOrder(t, w, { budget: 5_00 });
    expect(orderStatus(t, o.id)).toBe("cancelled");
    const ev = t.ctx.sqlite
      .query("SELECT actor_id, payload FROM events WHERE type = 'order.cancel' AND subject_id = ?")
      .get(String(o.id)) as { actor_id: number | null; payload: string };
    expect(ev.actor_id).toBeNull();
    expect(JSON.parse(ev.payload)).toMatchObject({ from: "new", to: "cancelled", rule_id: rule.id });
    const row = t.ctx.sqlite
      .query("SELECT status_reason, cancelled_at FROM orders WHERE id = ?")
      .get(o.id) as {
      status_reason: string;
      cancelled_at: number;
    };
    expect(row.status_reason).toBe(`rule #${rule.id}: Cheap orders are cancelled`);
    expect(row.cancelled_at).toBe(t.clock.now());
    const audit = t.ctx.sqlite
      .query("SELECT actor_id, details FROM audit_log WHERE action = 'rule.change_status'")
      .get() as { actor_id: number | null; details: string };
    expect(audit.actor_id).toBeNull();
    expect(JSON.parse(audit.details)).toMatchObject({ rule_id: rule.id, from: "new", to: "cancelled" });
    // Both parties hear of it (the system acted).
    const clientNotes = t.ctx.sqlite
      .query("SELECT type FROM notifications WHERE user_id = ? AND type = 'order_status_changed'")
      .all(w.client.id);
    expect(clientNotes).toHaveLength(1);
    // The order's own route sees the new status.
    expect((await t.call("GET", `/api/v1/orders/${o.id}`, { token: w.client.token })).body.status).toBe(
      "cancelled",
    );
  });

  test("a transition the machine refuses is a failed action; the request succeeds and the order is unchanged", async () => {
    const rule = await saveRule(t, w.admin, {
      actions: [{ type: "change_status", params: { to: "completed" } }],
    });
    const o = await newOrder(t, w);
    expect(orderStatus(t, o.id)).toBe("new");
    const [run] = runsOf(t, rule.id);
    expect(run).toMatchObject({ matched: 1, applied: 0 });
    expect(run!.actions[0]!.ok).toBe(false);
    expect(run!.actions[0]!.error).toStartWith(
      "invalid_transition: a rule cannot move an order from new to completed",
    );
    expect(count(t, "audit_log", "action = 'rule.change_status'")).toBe(0);
  });

  test("change_status never takes a money edge: a delivered escrow order cannot be completed by a rule", async () => {
    const rule = await saveRule(t, w.admin, {
      event_type: "order.complete",
      actions: [{ type: "change_status", params: { to: "completed" } }],
    });
    const { fundWallet } = await import("../helpers/marketplace");
    fundWallet(t, w.client.id, 10_000_00);
    const o = await newOrder(t, w);
    await orderAct(t, o.id, "take", w.expert.token);
    await orderAct(t, o.id, "set-price", w.expert.token, { price: 100_00 });
    expect((await orderAct(t, o.id, "pay", w.client.token)).status).toBe(200);
    await orderAct(t, o.id, "start", w.expert.token);
    expect((await orderAct(t, o.id, "complete", w.expert.token)).status).toBe(200);
    expect(orderStatus(t, o.id)).toBe("delivered");
    expect(runsOf(t, rule.id)[0]!.actions[0]!.error).toContain("invalid_transition");
  });

  test("change_status on an event without an order subject fails the action", async () => {
    const rule = await saveRule(t, w.admin, {
      event_type: "rule.created",
      actions: [{ type: "change_status", params: { to: "cancelled" } }],
    });
    await saveRule(t, w.admin, {});
    expect(runsOf(t, rule.id)[0]!.actions[0]).toEqual({
      type: "change_status",
      ok: false,
      error: "a rule has no status a rule can change",
    });
  });

  test("assign_tag tags the subject once (listed on it); assign_flag flags the actor, shown to staff", async () => {
    await saveRule(t, w.admin, {
      actions: [
        { type: "assign_tag", params: { tag: "vip" } },
        { type: "assign_flag", params: { flag: "watch" } },
      ],
    });
    const o = await newOrder(t, w);
    await newOrder(t, w);
    const tags = await t.call("GET", `/api/v1/admin/tags?subject_type=order&subject_id=${o.id}`, {
      token: w.admin.token,
    });
    expect(tags.status).toBe(200);
    expect(tags.body.results).toHaveLength(1);
    expect(tags.body.results[0]).toMatchObject({
      kind: "tag",
      tag: "vip",
      subject_type: "order",
      subject_id: String(o.id),
    });
    const flags = await t.call("GET", `/api/v1/admin/users/${w.client.id}/flags`, { token: w.admin.token });
    // Two orders, one flag: the second assignment changed nothing (and emitted nothing).
    expect(flags.body.results.map((f: { tag: string }) => f.tag)).toEqual(["watch"]);
    expect(count(t, "events", "type = 'user.flagged'")).toBe(1);
    expect(count(t, "events", "type = 'tag.assigned'")).toBe(2);
  });

  test("request_admin_attention opens an item and notifies each admin", async () => {
    const rule = await saveRule(t, w.admin, {
      name: "Look at this",
      actions: [{ type: "request_admin_attention", params: { reason: "A new order to check" } }],
    });
    const o = await newOrder(t, w);
    const list = await t.call("GET", "/api/v1/admin/attention?status=open", { token: w.admin.token });
    expect(list.body.results).toHaveLength(1);
    expect(list.body.results[0]).toMatchObject({
      reason: "A new order to check",
      status: "open",
      rule_id: rule.id,
      subject_type: "order",
      subject_id: String(o.id),
    });
    expect(notes(w.admin.id).map((n) => n.title)).toEqual(["Needs attention: Look at this"]);
    expect(count(t, "events", "type = 'attention.created'")).toBe(1);
  });
});

describe("depth guard", () => {
  test("a rule whose action emits an event its own type matches stops after depth 3, logged", async () => {
    const rule = await saveRule(t, w.admin, {
      event_type: "*",
      conditions: { all: [{ fact: "type", operator: "in", value: ["order.created", "attention.created"] }] },
      actions: [{ type: "request_admin_attention", params: { reason: "loop" } }],
    });
    const o = await newOrder(t, w);
    expect(orderStatus(t, o.id)).toBe("new");
    // Evaluated at depths 0, 1, 2 and 3: four items; the fifth event (depth 4) is not evaluated.
    expect(count(t, "attention_items")).toBe(4);
    const runs = runsOf(t, rule.id).filter((r) => r.matched || r.actions[0]?.type === "depth_limit");
    // Inner runs are logged first: a rule's applied run is written after its actions.
    expect(runs.map((r) => r.depth)).toEqual([4, 3, 2, 1, 0]);
    const last = runs.find((r) => r.depth === 4)!;
    expect(last).toMatchObject({ matched: 0, applied: 0 });
    expect(last.actions[0]!.error).toContain("up to depth 3");
    expect(runs.filter((r) => r.applied).map((r) => r.depth)).toEqual([3, 2, 1, 0]);
  });
});

describe("the rules_engine flag", () => {
  test("switched off, no rule runs and nothing is logged; on again, rules run", async () => {
    const rule = await saveRule(t, w.admin, { actions: [{ type: "assign_tag", params: { tag: "x" } }] });
    const off = await t.call("PATCH", "/api/v1/admin/flags/rules_engine", {
      token: w.admin.token,
      body: { enabled: false },
    });
    expect(off.status).toBe(200);
    await newOrder(t, w);
    expect(runsOf(t, rule.id)).toHaveLength(0);
    expect(count(t, "subject_tags")).toBe(0);
    const replay = await t.call("POST", `${RULES}/replay`, { token: w.admin.token, body: { last: 10 } });
    expect(replay.status).toBe(409);
    await t.call("PATCH", "/api/v1/admin/flags/rules_engine", {
      token: w.admin.token,
      body: { enabled: true },
    });
    await newOrder(t, w);
    expect(runsOf(t, rule.id)).toHaveLength(1);
  });
});
