import { beforeAll, describe, expect, test } from "bun:test";
import { DAY } from "../../src/lib/time";
import { expectError, makeTestApp } from "../helpers/app";
import { makeExpert, makeOrder, makeSubject } from "../helpers/marketplace";
import { buyPackage, course, learn, parseCsv, refund, register, session, type User, V } from "./flows";

const t = makeTestApp();
const NOW = "2026-11-22T10:00:00.000Z";
let admin: User;
let e1: User;
let e2: User;
let subjectId: number;

const at = (iso: string) => t.clock.set(iso);
const get = (path: string, token = admin.token) => t.call("GET", `${V}${path}`, { token });

/**
 * Sign-ups, sessions and revenue spread over days, each made at its own moment through the API:
 * the clock is set to the moment first. Everything starts 40 days ago so tokens predate it all.
 */
beforeAll(async () => {
  at("2026-10-13T08:00:00.000Z");
  t.ctx.settings.setNow({ order_commission_percent: 10 }, t.clock.now());
  admin = await t.user("admin");
  subjectId = makeSubject(t).id;
  e1 = await makeExpert(t, [subjectId]);
  e2 = await makeExpert(t, [subjectId]);
  const c1 = await t.user("client");
  const c2 = await t.user("client");
  // 2026-10-13: admin, two experts, two clients (5 users, outside 30 days).

  at("2026-11-12T12:00:00.000Z");
  await session(t, { client: c1, expert: e1, subjectId, minutes: 60, end: "wallet" });
  at("2026-11-15T23:59:59.999Z");
  await register(t, "just_before_the_week");
  at("2026-11-17T09:00:00.000Z");
  await register(t, "a17");
  await register(t, "b17");
  at("2026-11-19T09:00:00.000Z");
  await register(t, "c19");
  await session(t, { client: c2, expert: e2, subjectId, minutes: 30, end: "manual" });
  await session(t, { client: c1, expert: e2, subjectId, minutes: 45, end: "manual" });

  at("2026-11-20T15:00:00.000Z");
  const pkg = await buyPackage(t, c1, 500_00);
  at("2026-11-21T16:00:00.000Z");
  await session(t, { client: c2, expert: e1, subjectId, minutes: 50, price: 1000_00, end: "wallet" });
  at("2026-11-21T23:59:59.999Z");
  await register(t, "last_ms_of_21");
  at("2026-11-22T00:00:00.000Z");
  await register(t, "first_ms_of_22");
  at("2026-11-22T08:00:00.000Z");
  await refund(t, admin, pkg);
  const paid = await course(t, e1, "Paid course", 200_00);
  await learn(t, c2, paid, { price: 200_00 });
  await register(t, "d22");
  await session(t, { client: c1, expert: e1, subjectId, minutes: 20, end: "open" });
  await session(t, { client: c2, expert: e2, subjectId, minutes: 20, end: "cancelled" });
  at(NOW);
});

describe("GET /analytics/user-growth", () => {
  test("a dense week, oldest first: zeros on quiet days, UTC day boundaries to the millisecond", async () => {
    const r = await get("/analytics/user-growth?days=7");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      period_days: 7,
      data: [
        { date: "2026-11-16", new_users: 0 },
        { date: "2026-11-17", new_users: 2 },
        { date: "2026-11-18", new_users: 0 },
        { date: "2026-11-19", new_users: 1 },
        { date: "2026-11-20", new_users: 0 },
        { date: "2026-11-21", new_users: 1 },
        { date: "2026-11-22", new_users: 2 },
      ],
    });
  });

  test("days defaults to 30; 1 is today alone; 365 reaches the first users", async () => {
    const d30 = await get("/analytics/user-growth");
    expect(d30.body.period_days).toBe(30);
    expect(d30.body.data).toHaveLength(30);
    expect(d30.body.data[0].date).toBe("2026-10-24");
    expect(d30.body.data.reduce((a: number, d: { new_users: number }) => a + d.new_users, 0)).toBe(7);
    expect((await get("/analytics/user-growth?days=1")).body.data).toEqual([
      { date: "2026-11-22", new_users: 2 },
    ]);
    const year = (await get("/analytics/user-growth?days=365")).body.data;
    expect(year).toHaveLength(365);
    expect(year[0].date).toBe("2025-11-23");
    expect(year.find((d: { date: string }) => d.date === "2026-10-13").new_users).toBe(5);
  });

  test("?format=csv: date,new_users, one row per day", async () => {
    const res = await t.app.request(`${V}/analytics/user-growth?days=3&format=csv`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="user-growth-3d.csv"');
    expect(parseCsv(await res.text())).toEqual([
      ["date", "new_users"],
      ["2026-11-20", "0"],
      ["2026-11-21", "1"],
      ["2026-11-22", "2"],
    ]);
  });
});

describe("GET /analytics/revenue", () => {
  test("earned less refunded per day: a refund day can be negative; count and mean over every movement", async () => {
    const r = await get("/analytics/revenue?days=3");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      period_days: 3,
      analytics: {
        // +500.00 package; +100.00 session commission; -500.00 refund +20.00 course commission.
        total_revenue: 120_00,
        transaction_count: 4,
        avg_transaction: 30_00,
        currency: "RUB",
        daily_revenue: [
          { date: "2026-11-20", revenue: 500_00 },
          { date: "2026-11-21", revenue: 100_00 },
          { date: "2026-11-22", revenue: -480_00 },
        ],
      },
    });
  });

  test("a longer period adds the first session's commission; zeros fill the quiet days", async () => {
    const r = await get("/analytics/revenue?days=14");
    const a = r.body.analytics;
    expect(a.total_revenue).toBe(220_00);
    expect(a.transaction_count).toBe(5);
    expect(a.avg_transaction).toBe(44_00);
    expect(a.daily_revenue).toHaveLength(14);
    expect(a.daily_revenue[0]).toEqual({ date: "2026-11-09", revenue: 0 });
    expect(a.daily_revenue.filter((d: { revenue: number }) => d.revenue !== 0)).toEqual([
      { date: "2026-11-12", revenue: 100_00 },
      { date: "2026-11-20", revenue: 500_00 },
      { date: "2026-11-21", revenue: 100_00 },
      { date: "2026-11-22", revenue: -480_00 },
    ]);
  });

  test("a currency without a revenue account: zeros, no mean", async () => {
    const r = await get("/analytics/revenue?days=2&currency=EUR");
    expect(r.body.analytics).toEqual({
      total_revenue: 0,
      transaction_count: 0,
      avg_transaction: null,
      currency: "EUR",
      daily_revenue: [
        { date: "2026-11-21", revenue: 0 },
        { date: "2026-11-22", revenue: 0 },
      ],
    });
  });

  test("?format=csv: date,revenue,currency", async () => {
    const res = await t.app.request(`${V}/analytics/revenue?days=2&format=csv`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="revenue-2d-RUB.csv"');
    expect(parseCsv(await res.text())).toEqual([
      ["date", "revenue", "currency"],
      ["2026-11-21", "10000", "RUB"],
      ["2026-11-22", "-48000", "RUB"],
    ]);
  });
});

describe("GET /analytics/sessions", () => {
  const zeros = {
    new: 0,
    in_review: 0,
    awaiting_payment: 0,
    payment_proof_uploaded: 0,
    paid: 0,
    in_progress: 0,
    delivered: 0,
    revision: 0,
    completed: 0,
    declined_by_expert: 0,
    cancelled: 0,
    disputed: 0,
  };

  test("sessions created in the week: every status listed, mean length of the completed, top experts", async () => {
    const r = await get("/analytics/sessions?days=7");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      period_days: 7,
      analytics: {
        total: 5,
        by_status: { ...zeros, completed: 3, new: 1, cancelled: 1 },
        // (30 + 45 + 50) / 3
        avg_duration_minutes: 41.67,
        top_mentors: [
          { mentor_id: e2.id, sessions: 2 },
          { mentor_id: e1.id, sessions: 1 },
        ],
      },
    });
  });

  test("a longer period takes in the first session; a day with none has no mean", async () => {
    const month = (await get("/analytics/sessions?days=30")).body.analytics;
    expect(month.total).toBe(6);
    expect(month.avg_duration_minutes).toBe(46.25);
    expect(month.top_mentors).toEqual([
      { mentor_id: e1.id, sessions: 2 },
      { mentor_id: e2.id, sessions: 2 },
    ]);
    const today = (await get("/analytics/sessions?days=1")).body.analytics;
    expect(today).toEqual({
      total: 2,
      by_status: { ...zeros, new: 1, cancelled: 1 },
      avg_duration_minutes: null,
      top_mentors: [],
    });
  });

  test("?format=csv: metric,value rows, the top experts numbered", async () => {
    const res = await t.app.request(`${V}/analytics/sessions?days=7&format=csv`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual(["metric", "value"]);
    const m = Object.fromEntries(rows.slice(1));
    expect(m).toMatchObject({
      period_days: "7",
      total: "5",
      "by_status.completed": "3",
      "by_status.disputed": "0",
      avg_duration_minutes: "41.67",
      "top_mentors.1.mentor_id": String(e2.id),
      "top_mentors.1.sessions": "2",
      "top_mentors.2.mentor_id": String(e1.id),
    });
    expect(rows).toHaveLength(1 + 2 + 12 + 1 + 4);
  });
});

describe("top mentors", () => {
  test("five at most, most completed first, ties by id; other kinds and statuses do not count", async () => {
    const t2 = makeTestApp();
    const boss = await t2.user("admin");
    const subject = makeSubject(t2);
    const client = await t2.user("client");
    const experts = [];
    for (let i = 0; i < 7; i++) experts.push(await makeExpert(t2, [subject.id]));
    const done = (expertId: number, n: number, extra: Record<string, unknown> = {}) => {
      for (let k = 0; k < n; k++)
        makeOrder(t2, {
          clientId: client.id,
          subjectId: subject.id,
          kind: "session",
          status: "completed",
          expertId,
          durationMinutes: 60,
          ...extra,
        });
    };
    const [a, b, c, d, e, f, g] = experts.map((x) => x.id) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    done(a, 1);
    done(b, 3);
    done(c, 2);
    done(d, 3);
    done(e, 1);
    done(f, 1);
    done(g, 4, { kind: "work" });
    done(g, 4, { status: "cancelled" });
    done(g, 9, { createdAt: t2.clock.now() - 7 * DAY });
    const r = await t2.call("GET", `${V}/analytics/sessions?days=7`, { token: boss.token });
    expect(r.body.analytics.top_mentors).toEqual([
      { mentor_id: b, sessions: 3 },
      { mentor_id: d, sessions: 3 },
      { mentor_id: c, sessions: 2 },
      { mentor_id: a, sessions: 1 },
      { mentor_id: e, sessions: 1 },
    ]);
    expect(r.body.analytics.total).toBe(15);
  });
});

describe("validation of the period endpoints", () => {
  for (const path of ["/analytics/user-growth", "/analytics/sessions", "/analytics/revenue"]) {
    test(`${path}: days outside 1-365, not a whole number, unknown parameters or formats are 400`, async () => {
      for (const q of [
        "days=0",
        "days=366",
        "days=abc",
        "days=1.5",
        "days=-3",
        "days=",
        "format=xml",
        "x=1",
      ]) {
        const e = expectError(await get(`${path}?${q}`), 400, "validation_failed");
        expect(e.details.issues[0].path).toStartWith("query");
      }
      expect((await get(`${path}?days=365`)).status).toBe(200);
    });
  }
});
