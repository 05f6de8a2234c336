import { beforeAll, describe, expect, test } from "bun:test";
import { emailTokens } from "../../src/db/schema";
import { sha256Hex } from "../../src/lib/crypto";
import { DAY, MINUTE } from "../../src/lib/time";
import { FigureCache, MAX_ENTRIES_PER_FIGURE, TTL_MS } from "../../src/modules/analytics/cache";
import { makeTestApp } from "../helpers/app";
import { makeExpert, makeSubject } from "../helpers/marketplace";
import { buyPackage, course, learn, refund, register, session, type User, V } from "./flows";

const t = makeTestApp();
let admin: User;
let expert: User;
let client: User;
let other: User;
let subjectId: number;
const courses = { a: 0, b: 0 };

beforeAll(async () => {
  t.ctx.settings.setNow({ order_commission_percent: 10 }, t.clock.now());
  admin = await t.user("admin");
  subjectId = makeSubject(t).id;
  expert = await makeExpert(t, [subjectId]);
  client = await t.user("client");
  other = await t.user("client");
  courses.a = await course(t, expert, "A", 100_00);
  courses.b = await course(t, expert, "B");
});

const get = (path: string, token = admin.token) => t.call("GET", `${V}${path}`, { token });
const cacheOf = (r: { headers: Headers }) => r.headers.get("x-cache");

/** Reads `path` twice without a change in between: a hit the second time, with the same figures. */
async function warm(path: string, token = admin.token) {
  const first = await get(path, token);
  expect(first.status).toBe(200);
  const again = await get(path, token);
  expect([path, cacheOf(again)]).toEqual([path, "hit"]);
  expect(again.body).toEqual(first.body);
  return again.body;
}

/** After a change: the next read is a miss; the one after it a hit. */
async function missed(path: string, token = admin.token) {
  const r = await get(path, token);
  expect([path, cacheOf(r)]).toEqual([path, "miss"]);
  expect(cacheOf(await get(path, token))).toBe("hit");
  return r.body;
}

async function stillHit(path: string, token = admin.token) {
  const r = await get(path, token);
  expect([path, cacheOf(r)]).toEqual([path, "hit"]);
  return r.body;
}

const ALL = [
  "/analytics/platform",
  "/analytics/user-growth?days=7",
  "/analytics/sessions?days=7",
  "/analytics/courses",
  "/analytics/revenue?days=7",
];

describe("hits and misses", () => {
  test("every endpoint: a miss, then a hit with the same figures; CSV is served from the same entry", async () => {
    for (const path of ALL) {
      const first = await get(path);
      expect([path, cacheOf(first)]).toEqual([path, "miss"]);
      await warm(path);
      const csv = await get(`${path}${path.includes("?") ? "&" : "?"}format=csv`);
      expect([path, cacheOf(csv)]).toEqual([path, "hit"]);
    }
    expect(cacheOf(await get("/analytics/me/engagement", client.token))).toBe("miss");
    expect(cacheOf(await get(`/analytics/user/${client.id}/engagement`, client.token))).toBe("hit");
    // The admin reading the client's figure shares the client's entry.
    expect(cacheOf(await get(`/analytics/user/${client.id}/engagement`))).toBe("hit");
  });

  test("each query is its own entry: days, currency, course_id", async () => {
    await warm("/analytics/user-growth?days=7");
    expect(cacheOf(await get("/analytics/user-growth?days=8"))).toBe("miss");
    expect(cacheOf(await get("/analytics/revenue?days=7&currency=EUR"))).toBe("miss");
    expect(cacheOf(await get(`/analytics/courses?course_id=${courses.a}`))).toBe("miss");
    expect(cacheOf(await get(`/analytics/courses?course_id=${courses.a}`))).toBe("hit");
  });

  test("errors are not cached: an unknown course stays 404", async () => {
    expect((await get("/analytics/courses?course_id=424242")).status).toBe(404);
    const again = await get("/analytics/courses?course_id=424242");
    expect(again.status).toBe(404);
    expect(cacheOf(again)).toBeNull();
  });
});

describe("a change clears exactly the figures it changes", () => {
  test("a sign-up: user growth and platform are recomputed with the new user; the rest stay cached", async () => {
    const growth = await warm("/analytics/user-growth?days=7");
    const platform = await warm("/analytics/platform");
    for (const p of ["/analytics/sessions?days=7", "/analytics/courses", "/analytics/revenue?days=7"])
      await warm(p);
    await register(t, "fresh");
    const g = await missed("/analytics/user-growth?days=7");
    expect(g.data[6].new_users).toBe(growth.data[6].new_users + 1);
    expect((await missed("/analytics/platform")).users.total).toBe(platform.users.total + 1);
    for (const p of ["/analytics/sessions?days=7", "/analytics/courses", "/analytics/revenue?days=7"])
      await stillHit(p);
  });

  test("a confirmed email: platform's verified count", async () => {
    const before = (await warm("/analytics/platform")).users.verified;
    // A link token as the mailer would send it (43 URL-safe characters).
    const token = "analyticsTestVerifyToken_0123456789abcdefgh";
    t.ctx.db
      .insert(emailTokens)
      .values({
        userId: other.id,
        purpose: "verify_email",
        email: other.email!,
        tokenHash: sha256Hex(token),
        expiresAt: t.clock.now() + DAY,
        createdAt: t.clock.now(),
      })
      .run();
    const r = await t.call("POST", `${V}/auth/email/verify`, { body: { token } });
    expect(r.status).toBe(200);
    expect((await missed("/analytics/platform")).users.verified).toBe(before + 1);
  });

  test("a new session clears sessions and platform; a work order or a chat message clears neither", async () => {
    const sessions = await warm("/analytics/sessions?days=7");
    await warm("/analytics/platform");
    const work = await t.call("POST", `${V}/orders`, {
      token: client.token,
      body: { title: "Essay", subject_id: subjectId },
    });
    expect(work.status).toBe(201);
    await stillHit("/analytics/sessions?days=7");
    await stillHit("/analytics/platform");
    const id = await session(t, { client, expert, subjectId, minutes: 40, end: "open" });
    const s = await missed("/analytics/sessions?days=7");
    expect(s.analytics.total).toBe(sessions.analytics.total + 1);
    await missed("/analytics/platform");
    expect((await t.call("POST", `${V}/orders/${id}/take`, { token: expert.token })).status).toBe(200);
    expect((await missed("/analytics/sessions?days=7")).analytics.by_status.in_review).toBe(
      sessions.analytics.by_status.in_review + 1,
    );
    const msg = await t.call("POST", `${V}/orders/${id}/messages`, {
      token: client.token,
      body: { body: "Hi" },
    });
    expect(msg.status).toBe(201);
    await stillHit("/analytics/sessions?days=7");
  });

  test("an enrollment clears the course list and that course, not another course", async () => {
    const a = await warm(`/analytics/courses?course_id=${courses.a}`);
    await warm(`/analytics/courses?course_id=${courses.b}`);
    await warm("/analytics/courses");
    await learn(t, other, courses.a, { price: 100_00 });
    expect((await missed(`/analytics/courses?course_id=${courses.a}`)).enrollments).toBe(a.enrollments + 1);
    await missed("/analytics/courses");
    await stillHit(`/analytics/courses?course_id=${courses.b}`);
  });

  test("a course edit clears that course (its title is in the figures)", async () => {
    await warm(`/analytics/courses?course_id=${courses.b}`);
    const r = await t.call("PATCH", `${V}/courses/${courses.b}`, {
      token: expert.token,
      body: { title: "B, renamed" },
    });
    expect(r.status).toBe(200);
    expect((await missed(`/analytics/courses?course_id=${courses.b}`)).course_title).toBe("B, renamed");
  });

  test("revenue: a package sale, a commission and a refund each clear it; a manual session does not", async () => {
    const total = async () => (await get("/analytics/revenue?days=7")).body.analytics.total_revenue as number;
    await warm("/analytics/revenue?days=7");
    const start = await total();
    const purchase = await buyPackage(t, other, 700_00);
    expect((await missed("/analytics/revenue?days=7")).analytics.total_revenue).toBe(start + 700_00);
    await session(t, { client, expert, subjectId, minutes: 30, end: "manual" });
    await stillHit("/analytics/revenue?days=7");
    await session(t, { client, expert, subjectId, minutes: 30, price: 300_00, end: "wallet" });
    expect((await missed("/analytics/revenue?days=7")).analytics.total_revenue).toBe(start + 730_00);
    await refund(t, admin, purchase);
    expect((await missed("/analytics/revenue?days=7")).analytics.total_revenue).toBe(start + 30_00);
  });

  test("engagement: a user's own activity clears theirs, not anyone else's", async () => {
    const mine = await warm("/analytics/me/engagement", other.token);
    await warm("/analytics/me/engagement", client.token);
    const r = await t.call("POST", `${V}/courses/${courses.a}/progress`, {
      token: other.token,
      body: { progress: 80 },
    });
    expect(r.status).toBe(200);
    const now = await missed("/analytics/me/engagement", other.token);
    expect(now.avg_progress).not.toBe(mine.avg_progress);
    await stillHit("/analytics/me/engagement", client.token);
  });

  test("engagement: the expert completing a session clears the client's (who did nothing)", async () => {
    const id = await session(t, { client, expert, subjectId, minutes: 30, end: "open" });
    await t.call("POST", `${V}/orders/${id}/take`, { token: expert.token });
    await t.call("POST", `${V}/orders/${id}/set-price`, { token: expert.token, body: { price: 100_00 } });
    await t.call("POST", `${V}/orders/${id}/mark-paid`, { token: client.token, body: {} });
    await t.call("POST", `${V}/orders/${id}/confirm-payment`, { token: expert.token });
    await t.call("POST", `${V}/orders/${id}/start`, { token: expert.token });
    const before = await warm("/analytics/me/engagement", client.token);
    const done = await t.call("POST", `${V}/orders/${id}/complete`, { token: expert.token });
    expect(done.body.status).toBe("completed");
    const after = await missed("/analytics/me/engagement", client.token);
    expect(after.sessions_attended).toBe(before.sessions_attended + 1);
  });

  test("a change that rolls back after its event costs one recomputation, never a wrong figure", async () => {
    const id = await session(t, { client: other, expert, subjectId, minutes: 30, end: "open" });
    await t.call("POST", `${V}/orders/${id}/take`, { token: expert.token });
    await t.call("POST", `${V}/orders/${id}/set-price`, { token: expert.token, body: { price: 10_000_00 } });
    const before = await warm("/analytics/sessions?days=7");
    // The wallet is short: the pay transition is written, then the hold refuses and all rolls back.
    const pay = await t.call("POST", `${V}/orders/${id}/pay`, { token: other.token });
    expect(pay.status).toBe(402);
    const after = await get("/analytics/sessions?days=7");
    expect(cacheOf(after)).toBe("miss");
    expect(after.body).toEqual(before);
  });
});

describe("lifetimes", () => {
  const cases: [string, number, string?][] = [
    ["/analytics/platform", TTL_MS.platform],
    ["/analytics/user-growth?days=3", TTL_MS.growth],
    ["/analytics/sessions?days=3", TTL_MS.sessions],
    ["/analytics/courses", TTL_MS.courses],
    ["/analytics/revenue?days=3", TTL_MS.revenue],
    ["/analytics/me/engagement", TTL_MS.engagement, "client"],
  ];

  test("the lifetimes are those documented: 5 min, 1 h, 10 min, 10 min, 10 min, 5 min", () => {
    expect(cases.map(([, ms]) => ms / MINUTE)).toEqual([5, 60, 10, 10, 10, 5]);
  });

  for (const [path, ttl, who] of cases) {
    test(`${path}: a hit until ${ttl / MINUTE} min have passed, then a miss`, async () => {
      // Start at the top of an hour so no window crosses a UTC midnight.
      t.clock.set(Math.ceil(t.clock.now() / (2 * 60 * MINUTE)) * 2 * 60 * MINUTE + 60 * MINUTE);
      const token = who ? client.token : admin.token;
      await get(path, token);
      t.clock.advance(ttl - 1);
      expect(cacheOf(await get(path, token))).toBe("hit");
      t.clock.advance(1);
      expect(cacheOf(await get(path, token))).toBe("miss");
    });
  }

  test("a new UTC day starts a new window, even within the lifetime", async () => {
    t.clock.set("2026-11-30T23:59:00.000Z");
    const before = await get("/analytics/user-growth?days=2");
    expect(before.body.data.map((d: { date: string }) => d.date)).toEqual(["2026-11-29", "2026-11-30"]);
    expect(cacheOf(await get("/analytics/user-growth?days=2"))).toBe("hit");
    t.clock.advance(2 * MINUTE);
    const after = await get("/analytics/user-growth?days=2");
    expect(cacheOf(after)).toBe("miss");
    expect(after.body.data.map((d: { date: string }) => d.date)).toEqual(["2026-11-30", "2026-12-01"]);
  });
});

describe("FigureCache", () => {
  test("holds at most MAX_ENTRIES_PER_FIGURE keys per figure, dropping the oldest first", () => {
    const c = new FigureCache();
    for (let i = 0; i <= MAX_ENTRIES_PER_FIGURE; i++) c.set("engagement", String(i), i, 0);
    expect(c.size("engagement")).toBe(MAX_ENTRIES_PER_FIGURE);
    expect(c.get("engagement", "0", 1)).toBeUndefined();
    expect(c.get("engagement", "1", 1)?.value).toBe(1);
    expect(c.get("engagement", String(MAX_ENTRIES_PER_FIGURE), 1)?.value).toBe(MAX_ENTRIES_PER_FIGURE);
    c.set("platform", "RUB", 1, 0);
    c.drop("engagement");
    expect(c.size("engagement")).toBe(0);
    expect(c.size("platform")).toBe(1);
  });
});
