import { beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/bun-sqlite";
import * as schema from "../../src/db/schema";
import {
  complexities,
  expertDocuments,
  expertProfiles,
  expertSpecializations,
  files,
  orders,
  reviews,
  workTypes,
} from "../../src/db/schema";
import { DAY, MINUTE } from "../../src/lib/time";
import {
  type AccountRef,
  platformRevenue,
  providerClearing,
  transfer,
  userAvailable,
  userHeld,
} from "../../src/modules/ledger/service";
import { type NotificationType, notify } from "../../src/modules/platform/notifications/service";
import { recomputeScores } from "../../src/modules/scoring/recompute";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { makeExpert, makeOrder, makeSubject } from "../helpers/marketplace";

const D = "/api/v1/experts/dashboard";
const ENDPOINTS: [string, string][] = [
  ["GET", "statistics"],
  ["GET", "profile"],
  ["GET", "active-orders"],
  ["GET", "recent-orders"],
  ["GET", "available-orders"],
  ["POST", "take-order"],
  ["GET", "financial-summary"],
  ["GET", "transactions"],
  ["GET", "reviews"],
  ["GET", "notifications"],
  ["POST", "notifications/1/read"],
];

let t: TestApp;
type U = Awaited<ReturnType<TestApp["user"]>>;

beforeEach(() => {
  t = makeTestApp();
});

const get = (path: string, u: { token: string }) => t.call("GET", `${D}/${path}`, { token: u.token });

let keySeq = 0;
/** One ledger transfer at the clock's current time, the way the order verbs write them. */
function move(
  from: AccountRef,
  to: AccountRef,
  amount: number,
  kind: schema.TransferKind,
  orderId?: number,
  reference?: { type: string; id: number },
) {
  return t.ctx.db.transaction((tx) =>
    transfer(t.ctx, tx, {
      from,
      to,
      amount,
      kind,
      idempotencyKey: `test:${++keySeq}`,
      reference: reference ?? (orderId === undefined ? undefined : { type: "order", id: orderId }),
      metadata: orderId === undefined ? {} : { order_id: orderId },
    }),
  ).transfer;
}
const fund = (userId: number, amount: number) =>
  move(providerClearing("stripe", "RUB"), userAvailable(userId, "RUB"), amount, "payment");
/** Wallet payment of an order: the client's money moves to their held account. */
const hold = (clientId: number, orderId: number, amount: number) =>
  move(userAvailable(clientId, "RUB"), userHeld(clientId, "RUB"), amount, "hold", orderId);
/** Acceptance: price minus 10% to the expert, the rest to platform revenue. */
function release(clientId: number, expertId: number, orderId: number, amount: number) {
  const commission = amount / 10;
  const payout = move(
    userHeld(clientId, "RUB"),
    userAvailable(expertId, "RUB"),
    amount - commission,
    "payout",
    orderId,
  );
  move(userHeld(clientId, "RUB"), platformRevenue("RUB"), commission, "commission", orderId);
  return payout;
}

function review(
  orderId: number,
  authorId: number,
  targetId: number,
  rating: number,
  extra: Partial<typeof reviews.$inferInsert> = {},
) {
  return t.ctx.db
    .insert(reviews)
    .values({
      orderId,
      direction: "client_to_expert",
      authorId,
      targetId,
      rating,
      comment: `rated ${rating}`,
      createdAt: t.clock.now(),
      ...extra,
    })
    .returning()
    .get();
}

const catalog = (table: typeof workTypes, name: string) =>
  t.ctx.db
    .insert(table)
    .values({ name, createdAt: t.clock.now(), updatedAt: t.clock.now() })
    .returning()
    .get();

function send(userId: number, type: NotificationType, title: string) {
  t.clock.advance(1000);
  return t.ctx.db.transaction((tx) =>
    notify(t.ctx, tx, { userId, type, title, message: `${title}!`, data: { n: title } }),
  );
}

/**
 * The money story of one expert E (and a rival F), at the default clock 2026-11-22:
 * O1 completed in October (payout 9 000), O2 completed on Nov 5 (payout 18 000), O3 paid
 * (escrow 5 000), O4 in progress (escrow 7 000), O5 cancelled and refunded, O7 declined,
 * O8/O9 completed by manual payment; E moves 1 000 of their own into held on Nov 21.
 * F completed O6 (payout 4 500).
 */
async function story() {
  const s1 = makeSubject(t);
  const s2 = makeSubject(t);
  const s3 = makeSubject(t);
  const client = await t.user("client");
  const e = await makeExpert(t, [s1.id, s2.id]);
  t.ctx.db
    .insert(expertSpecializations)
    .values({ userId: e.id, subjectId: s3.id, isVerified: false, createdAt: t.clock.now() })
    .run();
  const f = await makeExpert(t, [s1.id]);
  const end = t.clock.now();
  fund(client.id, 100_000);

  let k = 0;
  const order = (status: schema.OrderStatus, extra: Partial<typeof orders.$inferInsert> = {}) => {
    k++;
    return makeOrder(t, {
      clientId: client.id,
      subjectId: s1.id,
      expertId: e.id,
      status,
      title: `Order ${k}`,
      takenAt: t.clock.now() + k * MINUTE,
      ...extra,
    });
  };

  t.clock.set("2026-10-20T12:00:00.000Z");
  const o1 = order("completed", { price: 10_000 });
  hold(client.id, o1.id, 10_000);
  release(client.id, e.id, o1.id, 10_000);

  t.clock.set("2026-11-05T09:00:00.000Z");
  const o2 = order("completed", { price: 20_000 });
  hold(client.id, o2.id, 20_000);
  const p2 = release(client.id, e.id, o2.id, 20_000);

  t.clock.set("2026-11-20T09:00:00.000Z");
  const o3 = order("paid", { price: 5_000, escrowAmount: 5_000, paymentMethod: "wallet" });
  hold(client.id, o3.id, 5_000);
  const o4 = order("in_progress", { price: 7_000, escrowAmount: 7_000, paymentMethod: "wallet" });
  hold(client.id, o4.id, 7_000);
  const o5 = order("cancelled", { price: 3_000 });
  hold(client.id, o5.id, 3_000);
  move(userHeld(client.id, "RUB"), userAvailable(client.id, "RUB"), 3_000, "refund", o5.id);
  const o6 = makeOrder(t, { clientId: client.id, subjectId: s1.id, expertId: f.id, status: "completed" });
  hold(client.id, o6.id, 5_000);
  release(client.id, f.id, o6.id, 5_000);
  const o7 = order("declined_by_expert");
  const o8 = order("completed", { paymentMethod: "manual" });
  const o9 = order("completed", { paymentMethod: "manual" });

  t.clock.set("2026-11-21T09:00:00.000Z");
  // The expert pays for something as a client: their own money moves to held.
  const own = move(userAvailable(e.id, "RUB"), userHeld(e.id, "RUB"), 1_000, "hold", undefined, {
    type: "purchase",
    id: 77,
  });

  review(o1.id, client.id, e.id, 5);
  review(o2.id, client.id, e.id, 4);
  review(o8.id, client.id, e.id, 1, { isPublished: false });
  review(o9.id, e.id, client.id, 2, { direction: "expert_to_client" });
  review(o6.id, client.id, f.id, 1);

  t.clock.set(end);
  return { s1, s2, s3, client, e, f, o1, o2, o3, o4, o5, o6, o7, o8, o9, p2, own };
}

// ---------- security ----------

describe("access", () => {
  test("no token: 401 on every endpoint; a client: 403 on every endpoint", async () => {
    const client = await t.user("client");
    for (const [method, path] of ENDPOINTS) {
      const body = method === "POST" && path === "take-order" ? { order_id: 1 } : undefined;
      expectError(await t.call(method, `${D}/${path}`, { body }), 401, "unauthenticated");
      expectError(await t.call(method, `${D}/${path}`, { body, token: client.token }), 403, "forbidden");
    }
  });

  test("answers under /api with a trailing slash too", async () => {
    const e = await makeExpert(t);
    const r = await t.call("GET", "/api/experts/dashboard/statistics/", { token: e.token });
    expect(r.status).toBe(200);
    expect(r.body.total_orders).toBe(0);
  });
});

// ---------- statistics ----------

describe("GET statistics", () => {
  test("real numbers from orders, the ledger, reviews and specializations", async () => {
    const { e } = await story();
    // The story wrote its rows directly, so no score was kept for it: the rebuild counts them.
    expect((await get("statistics", e)).body).toMatchObject({ master_score: null, score_components: null });
    recomputeScores(t.ctx);
    const r = await get("statistics", e);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      total_earnings: 27_000,
      monthly_earnings: 18_000,
      currency: "RUB",
      active_orders: 2,
      completed_orders: 4,
      average_rating: 4.5,
      reviews_count: 2,
      verified_specializations: 2,
      // 4 completed of 6 ended (4 completed + 1 cancelled + 1 declined)
      success_rate: 66.67,
      total_orders: 8,
      // taken 1..8 minutes after creation: mean 4.5 min
      response_time_avg_seconds: 270,
      // rating 40 * (4.5 - 1) / 4 = 35; success 30 * 4 / (4 + 1 cancelled) = 24; no breach: 15;
      // taken within the hour: 15
      master_score: 89,
      score_components: { rating: 35, success: 24, timeliness: 15, response: 15 },
      score_updated_at: new Date(t.clock.now()).toISOString(),
    });
  });

  test("monthly earnings follow the injected clock", async () => {
    const { e } = await story();
    t.clock.set("2026-10-31T23:59:59.000Z");
    expect((await get("statistics", e)).body).toMatchObject({
      total_earnings: 27_000,
      monthly_earnings: 9_000,
    });
    t.clock.set("2026-12-01T00:00:00.000Z");
    expect((await get("statistics", e)).body).toMatchObject({ total_earnings: 27_000, monthly_earnings: 0 });
  });

  test("a new expert: zeros and nulls; another expert's story stays theirs", async () => {
    const { f } = await story();
    const fresh = await makeExpert(t);
    expect((await get("statistics", fresh)).body).toEqual({
      total_earnings: 0,
      monthly_earnings: 0,
      currency: "RUB",
      active_orders: 0,
      completed_orders: 0,
      average_rating: null,
      reviews_count: 0,
      verified_specializations: 0,
      success_rate: 0,
      total_orders: 0,
      response_time_avg_seconds: null,
      master_score: null,
      score_components: null,
      score_updated_at: null,
    });
    expect((await get("statistics", f)).body).toMatchObject({
      total_earnings: 4_500,
      completed_orders: 1,
      total_orders: 1,
      average_rating: 1,
      success_rate: 100,
      verified_specializations: 1,
    });
  });

  test("another currency has its own earnings; a bad currency is 400", async () => {
    const { e } = await story();
    expect((await get("statistics?currency=USD", e)).body).toMatchObject({
      total_earnings: 0,
      currency: "USD",
    });
    expectError(await get("statistics?currency=rub", e), 400, "validation_failed");
  });
});

// ---------- profile ----------

describe("GET profile", () => {
  test("user fields, profile status, specializations, documents, rating", async () => {
    const s1 = makeSubject(t, "Algebra");
    const s2 = makeSubject(t, "Physics");
    const e = await makeExpert(t, [s1.id], {
      firstName: "Ada",
      lastName: "Lovelace",
      bio: "Engines",
      experienceYears: 7,
      education: "Private tutors",
      skills: "analysis, notes",
      avatarUrl: "https://example.test/a.png",
    });
    const client = await t.user("client");
    const now = t.clock.now();
    t.ctx.db
      .insert(expertSpecializations)
      .values({ userId: e.id, subjectId: s2.id, isVerified: false, createdAt: now })
      .run();
    const file = t.ctx.db
      .insert(files)
      .values({
        ownerId: e.id,
        purpose: "expert_document",
        storageKey: `k-${e.id}`,
        originalName: "diploma.pdf",
        contentType: "application/pdf",
        size: 10,
        sha256: "0".repeat(64),
        createdAt: now,
      })
      .returning()
      .get();
    const doc = t.ctx.db
      .insert(expertDocuments)
      .values({ userId: e.id, fileId: file.id, title: "Diploma", isVerified: true, createdAt: now })
      .returning()
      .get();
    const o = makeOrder(t, { clientId: client.id, subjectId: s1.id, expertId: e.id, status: "completed" });
    review(o.id, client.id, e.id, 3);

    const r = await get("profile", e);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: e.id,
      username: e.username,
      email: e.email,
      first_name: "Ada",
      last_name: "Lovelace",
      bio: "Engines",
      experience_years: 7,
      education: "Private tutors",
      skills: "analysis, notes",
      avatar_url: "https://example.test/a.png",
      is_active: true,
      suspended_reason: null,
      approved_at: new Date(now).toISOString(),
      specializations: [
        {
          id: expect.any(Number),
          subject: { id: s1.id, name: "Algebra" },
          is_verified: true,
          created_at: expect.any(String),
        },
        {
          id: expect.any(Number),
          subject: { id: s2.id, name: "Physics" },
          is_verified: false,
          created_at: expect.any(String),
        },
      ],
      documents: [
        { id: doc.id, title: "Diploma", is_verified: true, created_at: new Date(now).toISOString() },
      ],
      average_rating: 3,
      reviews_count: 1,
    });
  });

  test("a suspended expert sees is_active false; another expert's data never appears", async () => {
    const s = makeSubject(t);
    const e = await makeExpert(t, [s.id]);
    const other = await makeExpert(t, [makeSubject(t).id]);
    t.ctx.db
      .update(expertProfiles)
      .set({ isActive: false, suspendedReason: "complaints" })
      .where(eq(expertProfiles.userId, e.id))
      .run();
    const r = await get("profile", e);
    expect(r.body).toMatchObject({ id: e.id, is_active: false, suspended_reason: "complaints" });
    expect(r.body.specializations.map((x: any) => x.subject.id)).toEqual([s.id]);
    expect((await get("profile", other)).body.id).toBe(other.id);
  });
});

// ---------- order lists ----------

describe("GET active-orders and recent-orders", () => {
  test("the expert's active orders newest first; finished ones by last change; paginated", async () => {
    const s = makeSubject(t);
    const client = await t.user("client");
    const e = await makeExpert(t, [s.id]);
    const f = await makeExpert(t, [s.id]);
    const mk = (status: schema.OrderStatus, expertId: number | null = e.id) => {
      t.clock.advance(MINUTE);
      return makeOrder(t, { clientId: client.id, subjectId: s.id, expertId, status });
    };
    const a1 = mk("in_review");
    const a2 = mk("paid");
    const done = mk("completed");
    const a3 = mk("disputed");
    const gone = mk("cancelled");
    const declined = mk("declined_by_expert");
    mk("in_progress", f.id);
    mk("completed", f.id);
    mk("new", null);
    // The completed order changed last.
    t.ctx.db
      .update(orders)
      .set({ updatedAt: t.clock.now() + DAY })
      .where(eq(orders.id, done.id))
      .run();

    const act = await get("active-orders", e);
    expect(act.status).toBe(200);
    expect(act.body.count).toBe(3);
    expect(act.body.results.map((o: any) => o.id)).toEqual([a3.id, a2.id, a1.id]);
    expect(act.body.results[0]).toMatchObject({ status: "disputed", expert_id: e.id, client_id: client.id });

    const rec = await get("recent-orders", e);
    expect(rec.body.results.map((o: any) => o.id)).toEqual([done.id, declined.id, gone.id]);

    const p1 = await get("active-orders?page_size=2", e);
    expect(p1.body.results.map((o: any) => o.id)).toEqual([a3.id, a2.id]);
    expect(p1.body.next).toBe("/api/v1/experts/dashboard/active-orders?page_size=2&page=2");
    const p2 = await get("active-orders?page_size=2&page=2", e);
    expect(p2.body).toMatchObject({ count: 3, next: null });
    expect(p2.body.results.map((o: any) => o.id)).toEqual([a1.id]);

    // F sees only F's.
    expect((await get("active-orders", f)).body.count).toBe(1);
    expect((await get("recent-orders", f)).body.count).toBe(1);
  });

  test("bad pagination is 400", async () => {
    const e = await makeExpert(t);
    expectError(await get("active-orders?page=0", e), 400, "validation_failed");
    expectError(await get("recent-orders?page_size=101", e), 400, "validation_failed");
  });
});

describe("GET available-orders", () => {
  async function market() {
    const s1 = makeSubject(t, "Math");
    const s2 = makeSubject(t, "Chemistry");
    const s3 = makeSubject(t, "History");
    const wt = catalog(workTypes, "Essay");
    const cx = catalog(complexities, "Hard");
    const client = await t.user("client");
    const e = await makeExpert(t, [s1.id, s2.id]);
    // s3: a specialization waiting for verification does not open the subject.
    t.ctx.db
      .insert(expertSpecializations)
      .values({ userId: e.id, subjectId: s3.id, isVerified: false, createdAt: t.clock.now() })
      .run();
    const f = await makeExpert(t, [s3.id]);
    const mk = (o: Partial<typeof orders.$inferInsert> & { subjectId: number }) => {
      t.clock.advance(MINUTE);
      return makeOrder(t, { clientId: client.id, status: "new", ...o });
    };
    const m1 = mk({
      subjectId: s1.id,
      workTypeId: wt.id,
      complexityId: cx.id,
      budget: 50_000,
      deadline: Date.parse("2026-12-10T00:00:00Z"),
    });
    const c1 = mk({ subjectId: s2.id, budget: 10_000, deadline: Date.parse("2026-11-30T12:00:00Z") });
    const m2 = mk({ subjectId: s1.id, workTypeId: wt.id });
    mk({ subjectId: s3.id }); // unverified subject
    mk({ subjectId: s1.id, expertId: f.id }); // someone's
    mk({ subjectId: s1.id, status: "in_review", expertId: f.id });
    mk({ subjectId: s1.id, status: "cancelled" });
    mk({ subjectId: s1.id, clientId: e.id }); // the expert's own order
    return { s1, s2, s3, wt, cx, client, e, f, m1, c1, m2 };
  }

  test("new orders in verified subjects only, newest first, with catalog names and the client", async () => {
    const { s1, s2, wt, cx, client, e, m1, c1, m2 } = await market();
    const r = await get("available-orders", e);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(3);
    expect(r.body.results.map((o: any) => o.id)).toEqual([m2.id, c1.id, m1.id]);
    expect(r.body.results[2]).toMatchObject({
      id: m1.id,
      status: "new",
      expert_id: null,
      budget: 50_000,
      deadline: "2026-12-10T00:00:00.000Z",
      subject: { id: s1.id, name: "Math" },
      work_type: { id: wt.id, name: "Essay" },
      complexity: { id: cx.id, name: "Hard" },
      client: { id: client.id, username: client.username },
    });
    expect(r.body.results[1]).toMatchObject({
      subject: { id: s2.id, name: "Chemistry" },
      work_type: null,
      complexity: null,
    });
  });

  test("filters: subject, work type, complexity, deadline_before, budget_min", async () => {
    const { s1, s2, wt, cx, e, m1, c1, m2 } = await market();
    const ids = async (q: string) =>
      (await get(`available-orders?${q}`, e)).body.results.map((o: any) => o.id);
    expect(await ids(`subject_id=${s1.id}`)).toEqual([m2.id, m1.id]);
    expect(await ids(`subject_id=${s2.id}`)).toEqual([c1.id]);
    expect(await ids(`work_type_id=${wt.id}`)).toEqual([m2.id, m1.id]);
    expect(await ids(`complexity_id=${cx.id}`)).toEqual([m1.id]);
    expect(await ids("deadline_before=2026-12-01")).toEqual([c1.id]);
    expect(await ids("deadline_before=2026-12-10T00:00:01Z")).toEqual([c1.id, m1.id]);
    expect(await ids("budget_min=20000")).toEqual([m1.id]);
    expect(await ids(`budget_min=10000&subject_id=${s2.id}`)).toEqual([c1.id]);
  });

  test("bad filters are 400", async () => {
    const e = await makeExpert(t);
    for (const q of [
      "subject_id=abc",
      "subject_id=0",
      "budget_min=-1",
      "deadline_before=tomorrow",
      "deadline_before=2026-02-30",
      "page_size=0",
    ]) {
      expectError(await get(`available-orders?${q}`, e), 400, "validation_failed");
    }
  });

  test("a suspended expert, or one without verified subjects, sees nothing", async () => {
    const { e, f } = await market();
    const bare = await makeExpert(t);
    expect((await get("available-orders", bare)).body.count).toBe(0);
    // f's only subject is s3; the new s3 order is theirs to see, not e's.
    expect((await get("available-orders", f)).body.count).toBe(1);
    t.ctx.db.update(expertProfiles).set({ isActive: false }).where(eq(expertProfiles.userId, e.id)).run();
    expect((await get("available-orders", e)).body).toMatchObject({ count: 0, results: [] });
  });

  /**
   * Counts the statements the handler sends through `ctx.db` by swapping in a Drizzle client with a
   * query logger for the duration of the request. The auth middleware reads the caller with its own
   * prepared statement on `ctx.sqlite` (not through Drizzle), so only the handler's statements count.
   */
  async function statementsOf(path: string, token: string) {
    const real = t.ctx.db;
    const seen: string[] = [];
    t.ctx.db = drizzle({ client: t.ctx.sqlite, schema, logger: { logQuery: (q) => void seen.push(q) } });
    try {
      const res = await t.call("GET", path, { token });
      return { res, seen };
    } finally {
      t.ctx.db = real;
    }
  }

  for (const n of [50, 500]) {
    test(`${n} orders across subjects: at most 3 statements`, async () => {
      const subjects = [makeSubject(t), makeSubject(t), makeSubject(t), makeSubject(t)];
      const wt = catalog(workTypes, "Report");
      const cx = catalog(complexities, "Easy");
      const clients = [await t.user("client"), await t.user("client"), await t.user("client")];
      const e = await makeExpert(t, [subjects[0]!.id, subjects[1]!.id]);
      const now = t.clock.now();
      const rows = Array.from({ length: n }, (_, i) => ({
        clientId: clients[i % 3]!.id,
        subjectId: subjects[i % 4]!.id,
        workTypeId: i % 2 ? wt.id : null,
        complexityId: i % 5 ? cx.id : null,
        title: `Order ${i}`,
        status: "new" as const,
        createdAt: now + i,
        updatedAt: now + i,
      }));
      for (let i = 0; i < rows.length; i += 100)
        t.ctx.db
          .insert(orders)
          .values(rows.slice(i, i + 100))
          .run();

      const { res, seen } = await statementsOf(`${D}/available-orders?page_size=100`, e.token);
      expect(res.status).toBe(200);
      const expected = rows.filter((o) => o.subjectId === subjects[0]!.id || o.subjectId === subjects[1]!.id);
      expect(res.body.count).toBe(expected.length);
      expect(res.body.results).toHaveLength(Math.min(100, expected.length));
      expect(res.body.results[0].title).toBe(expected.at(-1)!.title);
      expect(res.body.results.every((o: any) => o.subject.name && o.client.username)).toBe(true);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.length).toBeLessThanOrEqual(3);
      expect(seen.every((q) => q.includes('from "orders"'))).toBe(true);
    });
  }
});

// ---------- take-order ----------

describe("POST take-order", () => {
  async function setup() {
    const s = makeSubject(t);
    const other = makeSubject(t);
    const client = await t.user("client");
    const e = await makeExpert(t, [s.id]);
    const f = await makeExpert(t, [s.id]);
    const o = makeOrder(t, { clientId: client.id, subjectId: s.id, status: "new" });
    return { s, other, client, e, f, o };
  }
  const take = (u: U, order_id: unknown) =>
    t.call("POST", `${D}/take-order`, { token: u.token, body: { order_id } });

  test("takes a new order: 200 with the order in_review, then it is active and no longer available", async () => {
    const { e, o } = await setup();
    expect((await get("available-orders", e)).body.count).toBe(1);
    const r = await take(e, o.id);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: o.id,
      status: "in_review",
      expert_id: e.id,
      taken_at: new Date(t.clock.now()).toISOString(),
    });
    expect((await get("available-orders", e)).body.count).toBe(0);
    expect((await get("active-orders", e)).body.results.map((x: any) => x.id)).toEqual([o.id]);
  });

  test("someone else has it: 409 already_taken; taking it twice: 409 invalid_transition", async () => {
    const { e, f, o } = await setup();
    expect((await take(e, o.id)).status).toBe(200);
    expectError(await take(f, o.id), 409, "already_taken");
    expectError(await take(e, o.id), 409, "invalid_transition");
  });

  test("no verified specialization in the subject, or suspended: 403; missing order: 404", async () => {
    const { other, client, e, f, o } = await setup();
    const elsewhere = makeOrder(t, { clientId: client.id, subjectId: other.id, status: "new" });
    expectError(await take(e, elsewhere.id), 403, "forbidden");
    t.ctx.db.update(expertProfiles).set({ isActive: false }).where(eq(expertProfiles.userId, f.id)).run();
    expectError(await take(f, o.id), 403, "forbidden");
    expectError(await take(e, 999_999), 404, "not_found");
  });

  test("a bad body is 400", async () => {
    const { e } = await setup();
    expectError(await take(e, "one"), 400, "validation_failed");
    expectError(await take(e, 0), 400, "validation_failed");
    expectError(
      await t.call("POST", `${D}/take-order`, { token: e.token, body: {} }),
      400,
      "validation_failed",
    );
  });
});

// ---------- money ----------

describe("GET financial-summary", () => {
  test("balances, earnings, escrow still held for the expert, last payout", async () => {
    const { e, p2 } = await story();
    const r = await get("financial-summary", e);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      currency: "RUB",
      current_balance: 27_000,
      frozen_balance: 1_000,
      available_balance: 26_000,
      total_earnings: 27_000,
      monthly_earnings: 18_000,
      pending_payouts: 12_000,
      last_payout: { amount: 18_000, date: new Date(p2.createdAt).toISOString() },
    });
    expect(r.body.last_payout.date).toBe("2026-11-05T09:00:00.000Z");
  });

  test("the rival's numbers are their own; a fresh expert has zeros and no last payout", async () => {
    const { f } = await story();
    expect((await get("financial-summary", f)).body).toMatchObject({
      current_balance: 4_500,
      total_earnings: 4_500,
      pending_payouts: 0,
      last_payout: { amount: 4_500 },
    });
    const fresh = await makeExpert(t);
    expect((await get("financial-summary", fresh)).body).toEqual({
      currency: "RUB",
      current_balance: 0,
      frozen_balance: 0,
      available_balance: 0,
      total_earnings: 0,
      monthly_earnings: 0,
      pending_payouts: 0,
      last_payout: null,
    });
  });

  test("bad currency is 400", async () => {
    const e = await makeExpert(t);
    expectError(await get("financial-summary?currency=RUBX", e), 400, "validation_failed");
  });
});

describe("GET transactions", () => {
  test("the expert's transfers newest first, with direction and the order joined", async () => {
    const { e, o1, o2, own } = await story();
    const r = await get("transactions", e);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ count: 3, next: null, previous: null });
    expect(r.body.results).toEqual([
      {
        id: own.id,
        type: "hold",
        amount: 1_000,
        currency: "RUB",
        direction: "out",
        order: null,
        timestamp: "2026-11-21T09:00:00.000Z",
        status: "completed",
      },
      {
        id: expect.any(Number),
        type: "payout",
        amount: 18_000,
        currency: "RUB",
        direction: "in",
        order: { id: o2.id, title: o2.title },
        timestamp: "2026-11-05T09:00:00.000Z",
        status: "completed",
      },
      {
        id: expect.any(Number),
        type: "payout",
        amount: 9_000,
        currency: "RUB",
        direction: "in",
        order: { id: o1.id, title: o1.title },
        timestamp: "2026-10-20T12:00:00.000Z",
        status: "completed",
      },
    ]);
  });

  test("filters by type and inclusive UTC dates; paginates", async () => {
    const { e, f } = await story();
    const amounts = async (q: string) =>
      (await get(`transactions?${q}`, e)).body.results.map((x: any) => x.amount);
    expect(await amounts("type=payout")).toEqual([18_000, 9_000]);
    expect(await amounts("type=hold")).toEqual([1_000]);
    expect(await amounts("type=refund")).toEqual([]);
    expect(await amounts("date_from=2026-11-01")).toEqual([1_000, 18_000]);
    expect(await amounts("date_to=2026-11-05")).toEqual([18_000, 9_000]);
    expect(await amounts("date_from=2026-11-05&date_to=2026-11-05")).toEqual([18_000]);
    expect(await amounts("date_from=2026-11-06&date_to=2026-11-20")).toEqual([]);
    expect(await amounts("date_from=2026-10-01&date_to=2026-10-31&type=payout")).toEqual([9_000]);
    expect(await amounts("currency=USD")).toEqual([]);

    const p = await get("transactions?page_size=2", e);
    expect(p.body).toMatchObject({
      count: 3,
      next: "/api/v1/experts/dashboard/transactions?page_size=2&page=2",
    });
    const p2 = await get("transactions?page_size=2&page=2", e);
    expect(p2.body.results.map((x: any) => x.amount)).toEqual([9_000]);

    // The rival's single payout; the client's holds and refunds appear in nobody's dashboard.
    const fr = await get("transactions", f);
    expect(fr.body.results.map((x: any) => [x.type, x.amount, x.direction])).toEqual([
      ["payout", 4_500, "in"],
    ]);
  });

  test("date_from after date_to, bad dates and unknown types are 400", async () => {
    const e = await makeExpert(t);
    const err = expectError(
      await get("transactions?date_from=2026-11-06&date_to=2026-11-05", e),
      400,
      "validation_failed",
    );
    expect(err.details.issues[0].path).toBe("query.date_from");
    for (const q of ["date_from=2026-02-30", "date_to=05.11.2026", "type=gift", "page=-1"]) {
      expectError(await get(`transactions?${q}`, e), 400, "validation_failed");
    }
  });
});

// ---------- reviews ----------

describe("GET reviews", () => {
  test("published client reviews of the caller, the distribution, ?rating and page_size 10", async () => {
    const s = makeSubject(t);
    const client = await t.user("client");
    const e = await makeExpert(t, [s.id]);
    const f = await makeExpert(t, [s.id]);
    const ratings = [5, 5, 4, 3, 5, 1, 5, 4, 5, 5, 2, 4];
    for (const rating of ratings) {
      t.clock.advance(MINUTE);
      const o = makeOrder(t, { clientId: client.id, subjectId: s.id, expertId: e.id, status: "completed" });
      review(o.id, client.id, e.id, rating);
    }
    const hidden = makeOrder(t, {
      clientId: client.id,
      subjectId: s.id,
      expertId: e.id,
      status: "completed",
    });
    review(hidden.id, client.id, e.id, 1, { isPublished: false });
    const theirs = makeOrder(t, {
      clientId: client.id,
      subjectId: s.id,
      expertId: f.id,
      status: "completed",
    });
    review(theirs.id, client.id, f.id, 1);

    const r = await get("reviews", e);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(12);
    expect(r.body.results).toHaveLength(10);
    expect(r.body.next).not.toBeNull();
    expect(r.body.average_rating).toBe(4);
    expect(r.body.rating_distribution).toEqual({ "5": 6, "4": 3, "3": 1, "2": 1, "1": 1 });
    expect(r.body.results[0]).toMatchObject({
      rating: 4,
      client: { id: client.id, username: client.username },
      order: { title: "Coursework" },
    });
    const fives = await get("reviews?rating=5", e);
    expect(fives.body.count).toBe(6);
    expect(fives.body.results.every((x: any) => x.rating === 5)).toBe(true);
    expect((await get("reviews", f)).body.count).toBe(1);
  });

  test("rating outside 1-5 is 400", async () => {
    const e = await makeExpert(t);
    for (const q of ["rating=0", "rating=6", "rating=x"]) {
      expectError(await get(`reviews?${q}`, e), 400, "validation_failed");
    }
  });
});

// ---------- notifications ----------

describe("notifications", () => {
  test("list with filters and unread_count; mark read; another's notification is 404", async () => {
    const e = await makeExpert(t);
    const other = await makeExpert(t);
    const a = send(e.id, "new_order", "New order");
    send(e.id, "review_received", "Review");
    const c = send(e.id, "new_order", "Another order");
    const cAt = new Date(t.clock.now()).toISOString();
    const foreign = send(other.id, "new_order", "Not yours");

    const r = await get("notifications", e);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ count: 3, unread_count: 3 });
    expect(r.body.results[0]).toEqual({
      id: c,
      type: "new_order",
      title: "Another order",
      message: "Another order!",
      data: { n: "Another order" },
      is_read: false,
      created_at: cAt,
    });

    const read = await t.call("POST", `${D}/notifications/${a}/read`, { token: e.token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ success: true, message: "notification marked as read" });

    expect((await get("notifications?unread_only=true", e)).body).toMatchObject({
      count: 2,
      unread_count: 2,
    });
    const byType = await get("notifications?type=new_order", e);
    expect(byType.body.results.map((x: any) => [x.id, x.is_read])).toEqual([
      [c, false],
      [a, true],
    ]);
    expectError(
      await t.call("POST", `${D}/notifications/${foreign}/read`, { token: e.token }),
      404,
      "not_found",
    );
    expect((await get("notifications", other)).body.unread_count).toBe(1);
  });

  test("bad filters and ids are 400", async () => {
    const e = await makeExpert(t);
    expectError(await get("notifications?unread_only=yes", e), 400, "validation_failed");
    expectError(await get("notifications?type=nope", e), 400, "validation_failed");
    expectError(
      await t.call("POST", `${D}/notifications/abc/read`, { token: e.token }),
      400,
      "validation_failed",
    );
  });
});
