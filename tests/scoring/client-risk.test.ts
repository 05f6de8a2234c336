import { beforeEach, describe, expect, test } from "bun:test";
import { DAY } from "../../src/lib/time";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { fundWallet, makeExpert } from "../helpers/marketplace";
import {
  act,
  type Caller,
  clientRow,
  completeTaken,
  isoNow,
  payAndStart,
  placeOrder,
  scoringWorld,
  signUp,
  V1,
} from "./helpers";

let t: TestApp;
let w: Awaited<ReturnType<typeof scoringWorld>>;

beforeEach(async () => {
  t = makeTestApp();
  w = await scoringWorld(t);
});

const me = async (u: Caller) => (await t.call("GET", `${V1}/me`, { token: u.token })).body;
const risk = async (u: Caller) => {
  const b = await me(u);
  return { risk_score: b.risk_score, risk_level: b.risk_level, risk_updated_at: b.risk_updated_at };
};

describe("a client's risk, kept by the flows that change it", () => {
  test("a client who signed up today with no orders scores exactly 25.00, medium (GET /me)", async () => {
    const c = await signUp(t);
    expect(await risk(c)).toEqual({ risk_score: 25, risk_level: "medium", risk_updated_at: isoNow(t) });
    // The stored inputs behind it: nothing yet.
    expect(clientRow(t, c.id)).toMatchObject({
      orders_total: 0,
      orders_cancelled: 0,
      orders_completed: 0,
      negative_flags: 0,
      reviews_received: 0,
      rating_sum: 0,
      risk_score: 25,
      risk_level: "medium",
      updated_at: t.clock.now(),
    });
  });

  test("known cancellations, completions, ratings and flags give the exact score at each step", async () => {
    const c = await signUp(t);
    const e = w.expert;
    const [o1, o2, o3, o4] = [
      await placeOrder(t, c, w.subject.id),
      await placeOrder(t, c, w.subject.id),
      await placeOrder(t, c, w.subject.id),
      await placeOrder(t, c, w.subject.id),
    ];
    // 4 orders, none cancelled or completed yet: age 15 + experience 10.
    expect((await risk(c)).risk_score).toBe(25);

    await act(t, o3!, "cancel", c, { reason: "changed my mind" });
    // cancellation 1/4 * 45 = 11.25 on top.
    expect(await risk(c)).toMatchObject({ risk_score: 36.25, risk_level: "medium" });

    for (const o of [o1!, o2!]) {
      await act(t, o, "take", e);
      await completeTaken(t, o, c, e);
    }
    // Two completed: experience (5 - 2) / 5 * 10 = 6 -> 11.25 + 15 + 6 = 32.25.
    expect((await risk(c)).risk_score).toBe(32.25);

    const r1 = await t.call("POST", `${V1}/orders/${o1}/review-client`, {
      token: e.token,
      body: { rating: 4, flags: ["late_payment", "rude"] },
    });
    expect(r1.status).toBe(201);
    // 2 negative flags: 16; rating (5 - 4) / 4 * 20 = 5 -> 32.25 + 16 + 5 = 53.25 (high).
    expect(await risk(c)).toMatchObject({ risk_score: 53.25, risk_level: "high" });

    t.clock.advance(10 * DAY);
    const r2 = await t.call("POST", `${V1}/orders/${o2}/review-client`, {
      token: e.token,
      body: { rating: 2, flags: ["no_show", "prompt_payment"] },
    });
    expect(r2.status).toBe(201);
    // Ten days on: cancellation 11.25 + flags min(3 * 8, 25) = 24 (prompt_payment is not negative)
    // + age (30 - 10) / 30 * 15 = 10 + experience 6 + rating (5 - 3) / 4 * 20 = 10 = 61.25.
    expect(await risk(c)).toEqual({ risk_score: 61.25, risk_level: "high", risk_updated_at: isoNow(t) });
    expect(clientRow(t, c.id)).toMatchObject({
      orders_total: 4,
      orders_cancelled: 1,
      orders_completed: 2,
      negative_flags: 3,
      reviews_received: 2,
      rating_sum: 6,
    });
    // o4 is still new: it counts in the total only.
    expect((await t.call("GET", `${V1}/orders/${o4}`, { token: c.token })).body.status).toBe("new");
  });

  test("a refund after a dispute counts as a cancellation; a staff override moves the counts both ways", async () => {
    const c = await signUp(t);
    const o = await placeOrder(t, c, w.subject.id);
    await act(t, o, "take", w.expert);
    await act(t, o, "set-price", w.expert, { price: 500 });
    fundWallet(t, c.id, 500);
    await act(t, o, "pay", c);
    await act(t, o, "dispute", c, { reason: "nothing delivered" });
    await act(t, o, "resolve", w.admin, { outcome: "refund" });
    // 1 of 1 cancelled: 45 + 25.
    expect((await risk(c)).risk_score).toBe(70);

    const o2 = await placeOrder(t, c, w.subject.id);
    const set = (status: string) =>
      t.call("POST", `${V1}/admin/orders/${o2}/set-status`, {
        token: w.admin.token,
        body: { status, reason: "staff correction" },
      });
    expect((await set("cancelled")).status).toBe(200);
    // 2 of 2 cancelled.
    expect((await risk(c)).risk_score).toBe(70);
    expect(clientRow(t, c.id)).toMatchObject({ orders_total: 2, orders_cancelled: 2 });
    expect((await set("new")).status).toBe(200);
    // 1 of 2: 22.5 + 25.
    expect((await risk(c)).risk_score).toBe(47.5);
    expect(clientRow(t, c.id)).toMatchObject({ orders_total: 2, orders_cancelled: 1 });
  });

  test("the score is clamped at 100 and critical", async () => {
    const c = await signUp(t);
    const orders: number[] = [];
    for (let i = 0; i < 3; i++) orders.push(await placeOrder(t, c, w.subject.id));
    for (const o of orders) {
      await act(t, o, "take", w.expert);
      await completeTaken(t, o, c, w.expert);
      await t.call("POST", `${V1}/orders/${o}/review-client`, {
        token: w.expert.token,
        body: { rating: 1, flags: ["no_show", "rude", "late_payment"] },
      });
    }
    for (let i = 0; i < 9; i++) await act(t, await placeOrder(t, c, w.subject.id), "cancel", c);
    // 9/12 * 45 = 33.75 + 25 + 15 + 4 + 20 = 97.75: one more cancellation passes 100.
    expect(await risk(c)).toMatchObject({ risk_score: 97.75, risk_level: "critical" });
    for (let i = 0; i < 3; i++) await act(t, await placeOrder(t, c, w.subject.id), "cancel", c);
    // 12/15 * 45 = 36 + 64 = 100 exactly; one more would be 13/16 * 45 + 64 = 100.56, clamped.
    expect((await risk(c)).risk_score).toBe(100);
    await act(t, await placeOrder(t, c, w.subject.id), "cancel", c);
    expect(await risk(c)).toMatchObject({ risk_score: 100, risk_level: "critical" });
  });

  test("ban and unban refresh the risk (the account-age term has moved meanwhile)", async () => {
    const c = await signUp(t);
    t.clock.advance(5 * DAY);
    // Nothing happened for five days: the stored score is still the sign-up one.
    expect((await risk(c)).risk_score).toBe(25);
    const ban = await t.call("POST", `${V1}/admin/users/${c.id}/ban`, { token: w.admin.token, body: {} });
    expect(ban.status).toBe(200);
    // Age (30 - 5) / 30 * 15 = 12.5 + experience 10 = 22.5: low. The ban's answer carries it.
    expect(ban.body).toMatchObject({ risk_score: 22.5, risk_level: "low", risk_updated_at: isoNow(t) });
    t.clock.advance(25 * DAY);
    const unban = await t.call("POST", `${V1}/admin/users/${c.id}/unban`, { token: w.admin.token });
    expect(unban.body).toMatchObject({ risk_score: 10, risk_level: "low" });
  });

  test("banning a staff user writes no client risk for them", async () => {
    const support = await t.user("support");
    await t.call("POST", `${V1}/admin/users/${support.id}/ban`, { token: w.admin.token, body: {} });
    expect(clientRow(t, support.id)).toBeNull();
  });

  test("a user made a client by a role change gets a risk at once", async () => {
    const u = await t.user("support");
    const r = await t.call("POST", `${V1}/admin/users/${u.id}/role`, {
      token: w.admin.token,
      body: { role: "client" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ risk_score: 25, risk_level: "medium" });
  });
});

describe("when the upkeep fails", () => {
  test("the order still completes, and no stats row is left half-updated (the nightly rebuild mends it)", async () => {
    const c = await signUp(t);
    const id = await placeOrder(t, c, w.subject.id);
    await act(t, id, "take", w.expert);
    await payAndStart(t, id, c, w.expert);
    await act(t, id, "complete", w.expert);
    const before = clientRow(t, c.id);
    // The expert's row cannot be written: the client's row, written first, must not change alone.
    t.ctx.sqlite.exec("ALTER TABLE expert_stats RENAME TO expert_stats_away");
    try {
      await act(t, id, "accept", c);
    } finally {
      t.ctx.sqlite.exec("ALTER TABLE expert_stats_away RENAME TO expert_stats");
    }
    expect((await t.call("GET", `${V1}/orders/${id}`, { token: c.token })).body.status).toBe("completed");
    expect(clientRow(t, c.id)).toEqual(before);
  });
});

describe("where the risk is shown, and to whom", () => {
  test("GET /me: clients see their own; experts and staff have no risk fields", async () => {
    const c = await signUp(t);
    expect(await me(c)).toMatchObject({ role: "client", risk_score: 25, risk_level: "medium" });
    for (const u of [w.expert, w.admin]) {
      const b = await me(u);
      expect(b).not.toHaveProperty("risk_score");
      expect(b).not.toHaveProperty("risk_level");
      expect(b).not.toHaveProperty("risk_updated_at");
    }
  });

  test("GET /me: a client whose risk was never computed (an account from before scores) shows null", async () => {
    const old = await t.user("client");
    expect(await me(old)).toMatchObject({ risk_score: null, risk_level: null, risk_updated_at: null });
  });

  test("admin users list: every user with risk fields (null without a client risk)", async () => {
    const c = await signUp(t);
    const r = await t.call("GET", `${V1}/admin/users?page_size=100`, { token: w.admin.token });
    expect(r.status).toBe(200);
    const of = (id: number) => r.body.results.find((u: any) => u.id === id);
    expect(of(c.id)).toMatchObject({ risk_score: 25, risk_level: "medium", risk_updated_at: isoNow(t) });
    expect(of(w.admin.id)).toMatchObject({ risk_score: null, risk_level: null, risk_updated_at: null });
    // Support reads users too; a client may not.
    const support = await t.user("support");
    expect((await t.call("GET", `${V1}/admin/users`, { token: support.token })).status).toBe(200);
    expectError(await t.call("GET", `${V1}/admin/users`, { token: c.token }), 403, "forbidden");
  });

  test("GET /admin/users/{id}: the user with their risk; 404, 400, 401 and 403 as usual", async () => {
    const c = await signUp(t);
    const r = await t.call("GET", `${V1}/admin/users/${c.id}`, { token: w.admin.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: c.id,
      role: "client",
      is_banned: false,
      granted_permissions: [],
      risk_score: 25,
      risk_level: "medium",
      risk_updated_at: isoNow(t),
    });
    // Also under the seed-001 alias with a trailing slash.
    expect((await t.call("GET", `/api/admin/users/${c.id}/`, { token: w.admin.token })).body.id).toBe(c.id);
    expectError(await t.call("GET", `${V1}/admin/users/999999`, { token: w.admin.token }), 404, "not_found");
    expectError(
      await t.call("GET", `${V1}/admin/users/abc`, { token: w.admin.token }),
      400,
      "validation_failed",
    );
    expectError(await t.call("GET", `${V1}/admin/users/${c.id}`), 401, "unauthenticated");
    const other = await signUp(t);
    expectError(await t.call("GET", `${V1}/admin/users/${c.id}`, { token: other.token }), 403, "forbidden");
    expectError(
      await t.call("GET", `${V1}/admin/users/${c.id}`, { token: w.expert.token }),
      403,
      "forbidden",
    );
  });

  test("order detail: its expert and staff who read users see the client's risk; its client, a previewing expert and an arbitrator do not", async () => {
    const c = await signUp(t);
    const o = await placeOrder(t, c, w.subject.id);
    const detail = async (u: Caller) => t.call("GET", `${V1}/orders/${o}`, { token: u.token });

    // Before anyone took it, an expert of the subject may preview it, without the client's risk.
    const other = await makeExpert(t, [w.subject.id]);
    const preview = await detail(other);
    expect(preview.status).toBe(200);
    expect(preview.body).not.toHaveProperty("client_risk");

    await act(t, o, "cancel", c);
    const o2 = await placeOrder(t, c, w.subject.id);
    await act(t, o2, "take", w.expert);
    const mine = await t.call("GET", `${V1}/orders/${o2}`, { token: w.expert.token });
    expect(mine.status).toBe(200);
    // 1 of 2 cancelled: 22.5 + 25.
    expect(mine.body.client_risk).toEqual({
      risk_score: 47.5,
      risk_level: "medium",
      risk_updated_at: isoNow(t),
    });
    // The seed-001 path answers the same.
    expect(
      (await t.call("GET", `/api/appointments/${o2}/`, { token: w.expert.token })).body.client_risk,
    ).toEqual(mine.body.client_risk);

    const own = await t.call("GET", `${V1}/orders/${o2}`, { token: c.token });
    expect(own.status).toBe(200);
    expect(own.body).not.toHaveProperty("client_risk");

    // The other expert cannot see a taken order at all, nor can another client.
    expectError(await t.call("GET", `${V1}/orders/${o2}`, { token: other.token }), 404, "not_found");
    const stranger = await signUp(t);
    expectError(await t.call("GET", `${V1}/orders/${o2}`, { token: stranger.token }), 404, "not_found");

    const support = await t.user("support");
    expect(
      (await t.call("GET", `${V1}/orders/${o2}`, { token: support.token })).body.client_risk,
    ).toMatchObject({
      risk_score: 47.5,
    });
    const arbitrator = await t.user("arbitrator");
    const arb = await t.call("GET", `${V1}/orders/${o2}`, { token: arbitrator.token });
    expect(arb.status).toBe(200);
    expect(arb.body).not.toHaveProperty("client_risk");
  });

  test("order lists never carry the client's risk", async () => {
    const c = await signUp(t);
    const o = await placeOrder(t, c, w.subject.id);
    await act(t, o, "take", w.expert);
    const r = await t.call("GET", `${V1}/orders?role=expert`, { token: w.expert.token });
    expect(r.status).toBe(200);
    expect(r.body.results).toHaveLength(1);
    expect(r.body.results[0]).not.toHaveProperty("client_risk");
  });
});

describe("rules read the stored risk (actor.risk_score, actor.risk_level)", () => {
  async function rule(body: object) {
    const r = await t.call("POST", `${V1}/admin/rules`, {
      token: w.admin.token,
      body: { name: "risky", actions: [], ...body },
    });
    expect(r.status).toBe(201);
  }
  const notes = (userId: number, title: string) =>
    (
      t.ctx.sqlite
        .query("SELECT count(*) AS n FROM notifications WHERE user_id = ? AND title = ?")
        .get(userId, title) as {
        n: number;
      }
    ).n;

  test("a rule on the actor's risk level matches a new client (25.00, medium)", async () => {
    await rule({
      event_type: "order.created",
      conditions: { all: [{ fact: "actor.risk_level", operator: "eq", value: "medium" }] },
      actions: [{ type: "create_notification", params: { to: "actor", title: "medium", message: "m" } }],
    });
    const c = await signUp(t);
    await placeOrder(t, c, w.subject.id);
    expect(notes(c.id, "medium")).toBe(1);
  });

  test("rules see the score the same event just changed (scores are kept before rules run)", async () => {
    await rule({
      event_type: "order.cancel",
      conditions: { all: [{ fact: "actor.risk_score", operator: "gt", value: 40 }] },
      actions: [{ type: "create_notification", params: { to: "actor", title: "risky", message: "r" } }],
    });
    const c = await signUp(t);
    const a = await placeOrder(t, c, w.subject.id);
    await placeOrder(t, c, w.subject.id);
    // 25 before the cancel; 1 of 2 cancelled makes it 47.5 in the cancel's own transaction.
    await act(t, a, "cancel", c);
    expect(notes(c.id, "risky")).toBe(1);
  });

  test("an actor without a stored risk does not match (the fact is missing); their first order gives them one", async () => {
    const r = await t.call("POST", `${V1}/admin/rules`, {
      token: w.admin.token,
      body: {
        name: "any risk",
        event_type: "order.created",
        conditions: { all: [{ fact: "actor.risk_score", operator: "gte", value: 0 }] },
        actions: [{ type: "create_notification", params: { to: "actor", title: "any", message: "a" } }],
      },
    });
    const dryRun = async (actorId: number) =>
      (
        await t.call("POST", `${V1}/admin/rules/${r.body.id}/test`, {
          token: w.admin.token,
          body: { event: { type: "order.created", actor_id: actorId } },
        })
      ).body;
    // An account from before scores, and a staff user: no stored risk, no match.
    const old = await t.user("client");
    expect(await dryRun(old.id)).toMatchObject({ matched: false, trace: [{ actual: null, result: false }] });
    expect((await dryRun(w.admin.id)).matched).toBe(false);
    // The order's event writes the client's row before the rules run on that same event.
    await placeOrder(t, old, w.subject.id);
    expect(notes(old.id, "any")).toBe(1);
    expect(await dryRun(old.id)).toMatchObject({ matched: true, trace: [{ actual: 25, result: true }] });
  });
});
