import { beforeAll, describe, expect, test } from "bun:test";
import { balanceOf, platformRevenue } from "../../src/modules/ledger/service";
import { expectError, makeTestApp } from "../helpers/app";
import { makeExpert, makeSubject } from "../helpers/marketplace";
import {
  buyPackage,
  course,
  learn,
  parseCsv,
  refund,
  reviewClient,
  reviewExpert,
  session,
  type User,
  V,
} from "./flows";

const t = makeTestApp();
let admin: User;
let client: User;

/**
 * Six users (admin, two experts, three clients: one with Telegram, one with a confirmed email);
 * five sessions (three completed: two paid from the wallet, one by manual transfer; one new; one
 * cancelled) and a work order; three courses (two published, one draft) with three enrollments;
 * three order reviews and two course ratings; a package sale and a refunded one.
 */
beforeAll(async () => {
  t.ctx.settings.setNow({ order_commission_percent: 10 }, t.clock.now());
  const subject = makeSubject(t);
  admin = await t.user("admin");
  const e1 = await makeExpert(t, [subject.id]);
  const e2 = await makeExpert(t, [subject.id]);
  const c1 = await t.user("client", { telegramId: 5_550_001 });
  const c2 = await t.user("client");
  const c3 = await t.user("client", { emailVerifiedAt: t.clock.now() });
  client = c2;

  const s1 = await session(t, { client: c1, expert: e1, subjectId: subject.id, minutes: 60, end: "wallet" });
  await session(t, { client: c2, expert: e1, subjectId: subject.id, minutes: 30, end: "manual" });
  const s3 = await session(t, {
    client: c3,
    expert: e2,
    subjectId: subject.id,
    minutes: 45,
    price: 500_00,
    end: "wallet",
  });
  await session(t, { client: c1, expert: e1, subjectId: subject.id, minutes: 90, end: "open" });
  await session(t, { client: c2, expert: e2, subjectId: subject.id, minutes: 90, end: "cancelled" });
  const work = await t.call("POST", `${V}/orders`, {
    token: c1.token,
    body: { title: "Essay", subject_id: subject.id },
  });
  expect(work.status).toBe(201);

  const a = await course(t, e1, 'Python, "quoted" basics', 200_00);
  const b = await course(t, e2, "Free intro");
  const draft = await t.call("POST", `${V}/courses`, { token: e2.token, body: { title: "Draft" } });
  expect(draft.status).toBe(201);
  await learn(t, c1, a, { price: 200_00, progress: 50, rating: 5 });
  await learn(t, c2, a, { price: 200_00, progress: 100, rating: 4 });
  await learn(t, c3, b, { progress: 30 });

  await reviewExpert(t, c1, s1, 5);
  await reviewClient(t, e1, s1, 3);
  await reviewExpert(t, c3, s3, 4);

  await buyPackage(t, c3, 500_00);
  await refund(t, admin, await buyPackage(t, c2, 300_00));
});

const platform = (token?: string, query = "") => t.call("GET", `${V}/analytics/platform${query}`, { token });

describe("GET /analytics/platform", () => {
  test("figures from the data above, exact", async () => {
    const r = await platform(admin.token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      users: { total: 6, students: 3, mentors: 2, verified: 2, verification_rate: 33.33 },
      sessions: { total: 5, completed: 3, scheduled: 1, completion_rate: 60 },
      courses: { total: 3, published: 2, enrollments: 3, avg_enrollments_per_course: 1 },
      // (5 + 3 + 4 + 5 + 4) / 5
      reviews: { total: 5, average_rating: 4.2 },
      // Commissions 100.00 + 50.00 + 2 × 20.00, a 500.00 package; the 300.00 one was refunded.
      revenue: { total: 690_00, currency: "RUB" },
    });
    expect(balanceOf(t.ctx.db, platformRevenue("RUB"))).toBe(690_00);
  });

  test("revenue in another currency is its own account (none here)", async () => {
    const r = await platform(admin.token, "?currency=USD");
    expect(r.body.revenue).toEqual({ total: 0, currency: "USD" });
    expect(r.body.users.total).toBe(6);
    expectError(await platform(admin.token, "?currency=usd"), 400, "validation_failed");
  });

  test("also answered under /api (the compatibility prefix) and with a trailing slash", async () => {
    const r = await t.call("GET", "/api/analytics/platform/", { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body.sessions.total).toBe(5);
  });

  test("?format=csv: a metric,value table of every figure", async () => {
    const res = await t.app.request(`${V}/analytics/platform?format=csv`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/csv");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="analytics-platform-RUB.csv"');
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual(["metric", "value"]);
    const m = Object.fromEntries(rows.slice(1));
    expect(m).toEqual({
      "users.total": "6",
      "users.students": "3",
      "users.mentors": "2",
      "users.verified": "2",
      "users.verification_rate": "33.33",
      "sessions.total": "5",
      "sessions.completed": "3",
      "sessions.scheduled": "1",
      "sessions.completion_rate": "60",
      "courses.total": "3",
      "courses.published": "2",
      "courses.enrollments": "3",
      "courses.avg_enrollments_per_course": "1",
      "reviews.total": "5",
      "reviews.average_rating": "4.2",
      "revenue.total": "69000",
      "revenue.currency": "RUB",
    });
  });

  test("bad queries are 400 validation_failed: unknown format, unknown parameter", async () => {
    for (const q of ["?format=xml", "?format=", "?foo=1", "?days=30"]) {
      const e = expectError(await platform(admin.token, q), 400, "validation_failed");
      expect(e.details.issues.length).toBeGreaterThan(0);
    }
  });

  test("every staff endpoint: no credentials 401, a client or an expert 403", async () => {
    const expert = await t.user("expert");
    for (const path of ["platform", "user-growth", "sessions", "courses", "revenue"]) {
      expectError(await t.call("GET", `${V}/analytics/${path}`), 401, "unauthenticated");
      expectError(await t.call("GET", `${V}/analytics/${path}`, { token: client.token }), 403, "forbidden");
      expectError(
        await t.call("GET", `${V}/analytics/${path}?format=csv`, { token: expert.token }),
        403,
        "forbidden",
      );
    }
  });

  test("permissions: none 401, a client or support 403, staff granted analytics:read 200", async () => {
    expectError(await platform(), 401, "unauthenticated");
    expectError(await platform("not-a-token"), 401, "unauthenticated");
    expectError(await platform(client.token), 403, "forbidden");
    const support = await t.user("support");
    expectError(await platform(support.token), 403, "forbidden");
    const analyst = await t.user("support", { grantedPermissions: ["analytics:read"] });
    expect((await platform(analyst.token)).status).toBe(200);
  });
});
