import { beforeEach, describe, expect, test } from "bun:test";
import { HOUR } from "../../src/lib/time";
import { signAccessToken } from "../../src/modules/accounts/tokens";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { makeExpert } from "../helpers/marketplace";
import {
  act,
  type Caller,
  completeTaken,
  expertRow,
  isoNow,
  payAndStart,
  placeOrder,
  runAction,
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

const stats = async (e: Caller) => {
  const r = await t.call("GET", `${V1}/experts/dashboard/statistics`, { token: e.token });
  expect(r.status).toBe(200);
  return r.body;
};
const score = async (e: Caller) => {
  const b = await stats(e);
  return { master_score: b.master_score, score_components: b.score_components };
};
const review = async (o: number, c: Caller, rating: number) =>
  expect(
    (await t.call("POST", `${V1}/orders/${o}/review-master`, { token: c.token, body: { rating } })).status,
  ).toBe(201);

/**
 * Five orders placed at once and taken 2, 4, 6, 8 and 10 hours later: three completed (rated 5, 3
 * and 4), one cancelled by the client after the take, one refunded after a dispute; the fourth
 * passed its deadline while the expert worked on it.
 */
async function story() {
  const c = await signUp(t);
  const e = w.expert;
  const start = t.clock.now();
  const deadline = new Date(start + 9 * HOUR).toISOString();
  const ids = [];
  for (let i = 0; i < 5; i++) {
    ids.push(await placeOrder(t, c, w.subject.id, i === 3 ? { deadline } : {}));
  }
  const [o1, o2, o3, o4, o5] = ids as [number, number, number, number, number];
  for (const o of ids) {
    t.clock.advance(2 * HOUR);
    await act(t, o, "take", e);
  }
  return { c, e, o1, o2, o3, o4, o5 };
}

describe("an expert's score, kept by the flows that change it", () => {
  test("known reviews, completions, cancellations, SLA breaches and take times give the exact score", async () => {
    const { c, e, o1, o2, o3, o4, o5 } = await story();
    // Five takes, 30 hours in all (mean 6): response 15 * (24 - 6) / 23 = 11.739 -> 11.74.
    expect(await score(e)).toEqual({
      master_score: 61.74,
      score_components: { rating: 20, success: 15, timeliness: 15, response: 11.74 },
    });

    // O4's deadline (9 h) passed at 10 h while it was in review with the expert.
    const sla = await runAction(t, w.admin, "orders-sla-breach");
    expect(sla).toEqual({ breached: 1 });
    // 1 of 5 taken breached: timeliness 15 * 4 / 5 = 12.
    expect((await score(e)).score_components.timeliness).toBe(12);

    await completeTaken(t, o1, c, e);
    await completeTaken(t, o2, c, e);
    await act(t, o3, "cancel", c, { reason: "found someone else" });
    await completeTaken(t, o4, c, e);
    await payAndStart(t, o5, c, e);
    await act(t, o5, "dispute", c, { reason: "nothing came" });
    await act(t, o5, "resolve", w.admin, { outcome: "refund" });
    await review(o1, c, 5);
    await review(o2, c, 3);
    await review(o4, c, 4);

    // rating 40 * (4 - 1) / 4 = 30; success 30 * 3 / (3 + 2) = 18; timeliness 12; response 11.74.
    const b = await stats(e);
    expect(b).toMatchObject({
      master_score: 71.74,
      score_components: { rating: 30, success: 18, timeliness: 12, response: 11.74 },
      score_updated_at: isoNow(t),
    });
    expect(expertRow(t, e.id)).toMatchObject({
      reviews_count: 3,
      rating_sum: 12,
      orders_taken: 5,
      orders_completed: 3,
      orders_failed: 2,
      sla_breaches: 1,
      take_hours_sum: 30,
      master_score: 71.74,
    });

    // The staff list of experts shows the same figures.
    const list = await t.call("GET", `${V1}/admin/experts`, { token: w.admin.token });
    expect(list.body.results.find((x: any) => x.id === e.id)).toMatchObject({
      master_score: 71.74,
      score_components: { rating: 30, success: 18, timeliness: 12, response: 11.74 },
      score_updated_at: isoNow(t),
    });

    // The nightly rebuild counts the same from the tables and corrects nothing.
    const rebuilt = await runAction(t, w.admin, "scores-recompute");
    expect(rebuilt).toMatchObject({ corrected: 0 });
    expect(expertRow(t, e.id)).toMatchObject({ take_hours_sum: 30, master_score: 71.74 });
  });

  test("a breach before anyone took the order does not count against the expert who takes it", async () => {
    const c = await signUp(t);
    const o = await placeOrder(t, c, w.subject.id, {
      deadline: new Date(t.clock.now() + HOUR).toISOString(),
    });
    t.clock.advance(2 * HOUR);
    expect(await runAction(t, w.admin, "orders-sla-breach")).toEqual({ breached: 1 });
    t.clock.advance(HOUR);
    await act(t, o, "take", w.expert);
    // Taken 3 h after creation: response 15 * 21 / 23 = 13.70; no breach of theirs: timeliness 15.
    expect(await score(w.expert)).toEqual({
      master_score: 63.7,
      score_components: { rating: 20, success: 15, timeliness: 15, response: 13.7 },
    });
    expect((await runAction(t, w.admin, "scores-recompute")).corrected).toBe(0);
  });

  test("an order staff set back to new and taken again counts once, with the new take time", async () => {
    const c = await signUp(t);
    const o = await placeOrder(t, c, w.subject.id, {
      deadline: new Date(t.clock.now() + 3 * HOUR).toISOString(),
    });
    t.clock.advance(2 * HOUR);
    await act(t, o, "take", w.expert);
    t.clock.advance(2 * HOUR);
    expect(await runAction(t, w.admin, "orders-sla-breach")).toEqual({ breached: 1 });
    // Breached while theirs: timeliness 0.
    expect(expertRow(t, w.expert.id)).toMatchObject({ orders_taken: 1, sla_breaches: 1, take_hours_sum: 2 });
    const back = await t.call("POST", `${V1}/admin/orders/${o}/set-status`, {
      token: w.admin.token,
      body: { status: "new", reason: "the client changed the brief" },
    });
    expect(back.status).toBe(200);
    t.clock.advance(HOUR);
    await act(t, o, "take", w.expert);
    // One order, taken 5 h after creation, the breach before this take no longer theirs:
    // response 15 * 19 / 23 = 12.39, timeliness 15.
    expect(expertRow(t, w.expert.id)).toMatchObject({
      orders_taken: 1,
      sla_breaches: 0,
      take_hours_sum: 5,
      timeliness_score: 15,
      response_score: 12.39,
      master_score: 62.39,
    });
    expect((await runAction(t, w.admin, "scores-recompute")).corrected).toBe(0);
  });

  test("slow takes: response falls to 0 from 24 hours; the expert's decline ends no order of theirs as failed", async () => {
    const c = await signUp(t);
    const o = await placeOrder(t, c, w.subject.id);
    t.clock.advance(30 * HOUR);
    await act(t, o, "take", w.expert);
    await act(t, o, "decline", w.expert, { reason: "too much" });
    expect(await score(w.expert)).toEqual({
      master_score: 50,
      score_components: { rating: 20, success: 15, timeliness: 15, response: 0 },
    });
  });

  test("a manual payment completed by the expert counts as a completion", async () => {
    const c = await signUp(t);
    const o = await placeOrder(t, c, w.subject.id);
    await act(t, o, "take", w.expert);
    await act(t, o, "set-price", w.expert, { price: 700 });
    await act(t, o, "mark-paid", c, { note: "sent by bank transfer" });
    await act(t, o, "confirm-payment", w.expert);
    await act(t, o, "start", w.expert);
    const done = await act(t, o, "complete", w.expert);
    expect(done.status).toBe("completed");
    // Taken at once: response 15; 1 of 1 completed: success 30.
    expect((await score(w.expert)).master_score).toBe(80);
  });

  test("an approved application gives the new expert 50.00 at once (no data: half of each weight)", async () => {
    const c = await signUp(t);
    const a = await t.call("POST", `${V1}/experts/applications`, { token: c.token, body: {} });
    expect(a.status).toBe(201);
    const ok = await t.call("POST", `${V1}/admin/experts/applications/${a.body.id}/approve`, {
      token: w.admin.token,
      body: {},
    });
    expect(ok.status).toBe(200);
    const token = await signAccessToken(t.ctx.jwtSecret, c.id, "expert", t.clock.now(), 3600);
    expect(await stats({ id: c.id, token })).toMatchObject({
      master_score: 50,
      score_components: { rating: 20, success: 15, timeliness: 7.5, response: 7.5 },
      score_updated_at: isoNow(t),
    });
  });

  test("a role change to expert gives a score at once", async () => {
    const u = await t.user("client");
    await t.call("POST", `${V1}/admin/users/${u.id}/role`, {
      token: w.admin.token,
      body: { role: "expert" },
    });
    expect(expertRow(t, u.id)).toMatchObject({ master_score: 50 });
  });

  test("another expert's reviews and orders stay theirs", async () => {
    const c = await signUp(t);
    const other = await makeExpert(t, [w.subject.id]);
    const o = await placeOrder(t, c, w.subject.id);
    await act(t, o, "take", other);
    await completeTaken(t, o, c, other);
    await review(o, c, 1);
    // Rated 1: rating 0; 1 of 1 completed 30; on time 15; taken at once 15.
    expect(await score(other)).toMatchObject({ master_score: 60 });
    expect(expertRow(t, w.expert.id)).toBeNull();
    expect(await score(w.expert)).toEqual({ master_score: null, score_components: null });
  });

  test("the dashboard statistics are the expert's own: 401 without a token, 403 for a client", async () => {
    expectError(await t.call("GET", `${V1}/experts/dashboard/statistics`), 401, "unauthenticated");
    const c = await signUp(t);
    expectError(
      await t.call("GET", `${V1}/experts/dashboard/statistics`, { token: c.token }),
      403,
      "forbidden",
    );
  });

  test("a client cannot see the staff list of experts with their scores", async () => {
    const c = await signUp(t);
    expectError(await t.call("GET", `${V1}/admin/experts`, { token: c.token }), 403, "forbidden");
    expectError(await t.call("GET", `${V1}/admin/experts`, { token: w.expert.token }), 403, "forbidden");
  });

  test("an accepted delivery and its review move the score in their own transactions", async () => {
    const c = await signUp(t);
    const o = await placeOrder(t, c, w.subject.id);
    await act(t, o, "take", w.expert);
    await payAndStart(t, o, c, w.expert);
    await act(t, o, "complete", w.expert);
    // Delivered, not yet accepted: no completion counted.
    expect(expertRow(t, w.expert.id)).toMatchObject({ orders_completed: 0 });
    await act(t, o, "accept", c);
    expect(expertRow(t, w.expert.id)).toMatchObject({ orders_completed: 1 });
  });
});
