import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { HOUR, MINUTE } from "../../src/lib/time";
import { engagementScore } from "../../src/modules/analytics/engagement";
import { expectError, makeTestApp } from "../helpers/app";
import { makeExpert, makeSubject } from "../helpers/marketplace";
import {
  course,
  learn,
  parseCsv,
  register,
  reviewClient,
  reviewExpert,
  session,
  type User,
  V,
} from "./flows";

const t = makeTestApp();
const T0 = Date.parse("2026-11-22T10:00:00.000Z");
let admin: User;
let client: User;
let expert: User;
let other: User;

/**
 * The client: two sessions completed (wallet, manual), one open, one cancelled; three courses at
 * progress 50, 100 and 0; a review of the expert and a course rating. The expert reviewed the client.
 */
beforeAll(async () => {
  t.clock.set(T0);
  admin = await t.user("admin");
  const subject = makeSubject(t);
  expert = await makeExpert(t, [subject.id]);
  client = await t.user("client", { username: "ada" });
  other = await t.user("client");
  const s1 = await session(t, { client, expert, subjectId: subject.id, minutes: 60, end: "wallet" });
  t.clock.set(T0 + HOUR);
  await session(t, { client, expert, subjectId: subject.id, minutes: 30, end: "manual" });
  t.clock.set(T0 + 2 * HOUR);
  await session(t, { client, expert, subjectId: subject.id, minutes: 30, end: "open" });
  await session(t, { client, expert, subjectId: subject.id, minutes: 30, end: "cancelled" });
  t.clock.set(T0 + 3 * HOUR);
  const [a, b, c] = [
    await course(t, expert, "A"),
    await course(t, expert, "B"),
    await course(t, expert, "C"),
  ];
  await learn(t, client, a, { progress: 50 });
  await learn(t, client, b, { progress: 100 });
  await learn(t, client, c);
  t.clock.set(T0 + 4 * HOUR);
  await reviewExpert(t, client, s1, 5);
  await reviewClient(t, expert, s1, 4);
  t.clock.set(T0 + 5 * HOUR);
  await learn(t, other, a);
  await t.call("POST", `${V}/courses/${a}/rate`, { token: client.token, body: { rating: 5 } });
  t.clock.set(T0 + 6 * HOUR);
});

const mine = (token: string, query = "") => t.call("GET", `${V}/analytics/me/engagement${query}`, { token });
const of = (id: number | string, token: string) =>
  t.call("GET", `${V}/analytics/user/${id}/engagement`, { token });

describe("engagement from the source tables", () => {
  test("the client: 2 sessions × 3 + 3 courses × 5 + 0.3 × 50 + 2 reviews × 5 = 46", async () => {
    const r = await mine(client.token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      user_id: client.id,
      username: "ada",
      sessions_attended: 2,
      courses_enrolled: 3,
      avg_progress: 50,
      reviews_written: 2,
      // The course rating, the latest thing the client did.
      last_activity: new Date(T0 + 5 * HOUR).toISOString(),
      engagement_score: 46,
    });
    expect((await of(client.id, client.token)).body).toEqual(r.body);
  });

  test("the expert: no sessions as a client, one review written", async () => {
    expect((await mine(expert.token)).body).toMatchObject({
      sessions_attended: 0,
      courses_enrolled: 0,
      avg_progress: 0,
      reviews_written: 1,
      last_activity: new Date(T0 + 4 * HOUR).toISOString(),
      engagement_score: 5,
    });
  });

  test("someone who has done nothing scores 0; signing up was their last activity", async () => {
    const idle = await t.user("client");
    expect((await mine(idle.token)).body).toEqual({
      user_id: idle.id,
      username: idle.username,
      sessions_attended: 0,
      courses_enrolled: 0,
      avg_progress: 0,
      reviews_written: 0,
      last_activity: new Date(idle.createdAt).toISOString(),
      engagement_score: 0,
    });
  });

  test("signing in is activity: a new account's last activity is its sign-up, then its latest login", async () => {
    const u = await register(t, "newcomer");
    const signup = new Date(t.clock.now()).toISOString();
    expect((await mine(u.token)).body.last_activity).toBe(signup);
    // Within the 5-minute lifetime of the cached answer: the login itself must clear it.
    t.clock.advance(MINUTE);
    const login = await t.call("POST", `${V}/auth/login`, {
      body: { login: "newcomer", password: "correct horse battery" },
    });
    expect(login.status).toBe(200);
    const r = await mine(login.body.access_token);
    expect(r.headers.get("x-cache")).toBe("miss");
    expect(r.body.last_activity).toBe(new Date(t.clock.now()).toISOString());
  });

  test("the progress term is exact: a mean of 35/3 gives 3.5 points, rounded half up", async () => {
    const learner = await t.user("client");
    const e = await makeExpert(t);
    for (const progress of [10, 10, 15])
      await learn(t, learner, await course(t, e, `P${progress}`), { progress });
    const r = await mine(learner.token);
    expect(r.body).toMatchObject({ courses_enrolled: 3, avg_progress: 11.67, engagement_score: 19 });
    expect(0.3 * (35 / 3)).toBeLessThan(3.5);
  });

  test("?format=csv: a metric,value table", async () => {
    const res = await t.app.request(`${V}/analytics/me/engagement?format=csv`, {
      headers: { authorization: `Bearer ${client.token}` },
    });
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="engagement-user-${client.id}.csv"`,
    );
    expect(parseCsv(await res.text())).toEqual([
      ["metric", "value"],
      ["user_id", String(client.id)],
      ["username", "ada"],
      ["sessions_attended", "2"],
      ["courses_enrolled", "3"],
      ["avg_progress", "50"],
      ["reviews_written", "2"],
      ["last_activity", new Date(T0 + 5 * HOUR).toISOString()],
      ["engagement_score", "46"],
    ]);
  });
});

describe("who may read whose engagement", () => {
  test("another user's is 404 (not 403), like a user that does not exist", async () => {
    expectError(await of(client.id, other.token), 404, "not_found");
    expectError(await of(999_999, other.token), 404, "not_found");
  });

  test("admins and staff granted analytics:read read anyone's; a missing user is still 404", async () => {
    expect((await of(client.id, admin.token)).body.engagement_score).toBe(46);
    const analyst = await t.user("support", { grantedPermissions: ["analytics:read"] });
    expect((await of(client.id, analyst.token)).body.user_id).toBe(client.id);
    expectError(await of(999_999, admin.token), 404, "not_found");
    const support = await t.user("support");
    expectError(await of(client.id, support.token), 404, "not_found");
  });

  test("unauthenticated 401; malformed ids, formats and extra parameters 400", async () => {
    expectError(await t.call("GET", `${V}/analytics/me/engagement`), 401, "unauthenticated");
    expectError(await t.call("GET", `${V}/analytics/user/${client.id}/engagement`), 401, "unauthenticated");
    for (const id of ["abc", "0", "-2", "1.5"])
      expectError(await of(id, admin.token), 400, "validation_failed");
    expectError(await mine(client.token, "?format=xml"), 400, "validation_failed");
    expectError(await mine(client.token, "?user_id=1"), 400, "validation_failed");
  });
});

describe("engagementScore", () => {
  const inputs = fc.record({
    sessions: fc.nat(40),
    progress: fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 12 }),
    reviews: fc.nat(20),
  });
  const floatScore = (x: { sessions: number; progress: number[]; reviews: number }) => {
    const avg = x.progress.length ? x.progress.reduce((a, b) => a + b, 0) / x.progress.length : 0;
    return (
      Math.min(x.sessions * 3, 30) +
      Math.min(x.progress.length * 5, 25) +
      Math.min(0.3 * avg, 30) +
      Math.min(x.reviews * 5, 15)
    );
  };
  const score = (x: { sessions: number; progress: number[]; reviews: number }) =>
    engagementScore({
      sessions: x.sessions,
      courses: x.progress.length,
      progressSum: x.progress.reduce((a, b) => a + b, 0),
      reviews: x.reviews,
    });

  test("an integer 0-100 within half a point of the formula; equal to its rounding away from halves", () => {
    fc.assert(
      fc.property(inputs, (x) => {
        const s = score(x);
        const f = floatScore(x);
        expect(Number.isInteger(s)).toBe(true);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(100);
        expect(Math.abs(s - f)).toBeLessThanOrEqual(0.5 + 1e-9);
        if (Math.abs((f % 1) - 0.5) > 1e-9) expect(s).toBe(Math.round(f));
      }),
      { numRuns: 500 },
    );
  });

  test("never falls when any input grows; each term stops at its cap", () => {
    fc.assert(
      fc.property(inputs, (x) => {
        const s = score(x);
        expect(score({ ...x, sessions: x.sessions + 1 })).toBeGreaterThanOrEqual(s);
        expect(score({ ...x, reviews: x.reviews + 1 })).toBeGreaterThanOrEqual(s);
        // A new course at full progress can only help.
        expect(score({ ...x, progress: [...x.progress, 100] })).toBeGreaterThanOrEqual(s);
      }),
    );
    expect(engagementScore({ sessions: 11, courses: 6, progressSum: 600, reviews: 4 })).toBe(100);
    expect(engagementScore({ sessions: 10, courses: 0, progressSum: 0, reviews: 3 })).toBe(45);
  });
});
