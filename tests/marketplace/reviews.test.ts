import { beforeEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type OrderStatus, reviews } from "../../src/db/schema";
import { MINUTE } from "../../src/lib/time";
import { REVIEW_FLAGS } from "../../src/modules/marketplace/reviews/schemas";
import { listExpertReviews, ratingSummary } from "../../src/modules/marketplace/reviews/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { makeExpert, makeOrder, makeSubject } from "../helpers/marketplace";

type U = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let client: U;
let expert: U;
let stranger: U;
let support: U;
let subjectId: number;
let orderId: number;

const count = (table: string, where = "1") =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
const snapshot = () => ({
  reviews: t.ctx.sqlite.query("SELECT * FROM reviews ORDER BY id").all(),
  events: count("events"),
  notifications: count("notifications"),
});

const v1 = (path: string) => `/api/v1${path}`;
const post = (path: string, body: unknown, token?: string) => t.call("POST", v1(path), { token, body });
const get = (path: string, token?: string) => t.call("GET", v1(path), { token });

function order(status: OrderStatus = "completed", o: { clientId?: number; expertId?: number | null } = {}) {
  return makeOrder(t, {
    clientId: o.clientId ?? client.id,
    expertId: o.expertId === undefined ? expert.id : o.expertId,
    subjectId,
    status,
    title: `Order ${Math.random().toString(36).slice(2, 7)}`,
  }).id;
}

/** A published client review inserted directly (the aggregate tests need many). */
function insertReview(
  expertId: number,
  rating: number,
  o: { isPublished?: boolean; authorId?: number } = {},
) {
  const id = order("completed", { expertId, clientId: o.authorId });
  return t.ctx.db
    .insert(reviews)
    .values({
      orderId: id,
      direction: "client_to_expert",
      authorId: o.authorId ?? client.id,
      targetId: expertId,
      rating,
      isPublished: o.isPublished ?? true,
      createdAt: t.clock.now(),
    })
    .returning()
    .get();
}

beforeEach(async () => {
  t = makeTestApp();
  client = await t.user("client");
  stranger = await t.user("client");
  support = await t.user("support");
  subjectId = makeSubject(t).id;
  expert = await makeExpert(t, [subjectId]);
  orderId = order();
});

describe("POST /orders/{id}/review-master (client -> expert)", () => {
  test("201, published, the expert is notified and the order timeline gets the event", async () => {
    const r = await t.call("POST", `/api/appointments/${orderId}/review-master/`, {
      token: client.token,
      body: { rating: 5, comment: "  Great work!  " },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(Number),
      order_id: orderId,
      direction: "client_to_expert",
      rating: 5,
      comment: "Great work!",
      flags: [],
      is_published: true,
      author: { id: client.id, username: client.username },
      target: { id: expert.id, username: expert.username },
      created_at: "2026-11-22T10:00:00.000Z",
    });
    const ev = t.ctx.sqlite
      .query("SELECT * FROM events WHERE subject_type = 'order' AND subject_id = ?")
      .all(String(orderId)) as any[];
    expect(ev.map((e) => [e.type, e.actor_id, JSON.parse(e.payload)])).toEqual([
      [
        "order.review_created",
        client.id,
        { review_id: r.body.id, direction: "client_to_expert", rating: 5, target_id: expert.id, flags: [] },
      ],
    ]);
    const notes = t.ctx.sqlite.query("SELECT * FROM notifications WHERE user_id = ?").all(expert.id) as any[];
    expect(notes.map((n) => [n.type, JSON.parse(n.data)])).toEqual([
      ["review_received", { order_id: orderId, review_id: r.body.id, rating: 5 }],
    ]);
    expect(count("notifications", `user_id = ${client.id}`)).toBe(0);
  });

  test("comment is optional; an empty or null comment is stored as none", async () => {
    for (const body of [{ rating: 3 }, { rating: 3, comment: "   " }, { rating: 3, comment: null }]) {
      const id = order();
      const r = await post(`/orders/${id}/review-master`, body, client.token);
      expect(r.status).toBe(201);
      expect(r.body.comment).toBeNull();
    }
  });

  test("a second review of the same side is 409 conflict and changes nothing", async () => {
    const first = await post(`/orders/${orderId}/review-master`, { rating: 4 }, client.token);
    expect(first.status).toBe(201);
    const before = snapshot();
    const e = expectError(
      await post(`/orders/${orderId}/review-master`, { rating: 1, comment: "changed my mind" }, client.token),
      409,
      "conflict",
    );
    expect(e.details).toEqual({ review_id: first.body.id });
    expect(snapshot()).toEqual(before);
  });

  test.each([
    "new",
    "in_review",
    "awaiting_payment",
    "payment_proof_uploaded",
    "paid",
    "in_progress",
    "delivered",
    "revision",
    "disputed",
    "cancelled",
    "declined_by_expert",
  ] as const)("409 conflict with details.status while the order is %s", async (status) => {
    const id = order(status);
    const before = snapshot();
    const e = expectError(
      await post(`/orders/${id}/review-master`, { rating: 5 }, client.token),
      409,
      "conflict",
    );
    expect(e.details).toEqual({ status });
    expect(snapshot()).toEqual(before);
  });

  test.each([
    ["rating 0", { rating: 0 }],
    ["rating 6", { rating: 6 }],
    ["rating 2.5", { rating: 2.5 }],
    ["rating as a string", { rating: "5" }],
    ["rating missing", { comment: "no stars" }],
    ["an empty object", {}],
    ["an unknown field", { rating: 5, order_id: 1 }],
    ["flags (only the expert's review has them)", { rating: 5, flags: ["rude"] }],
    ["a comment of 2001 characters", { rating: 5, comment: "x".repeat(2001) }],
    ["a comment of the wrong type", { rating: 5, comment: 5 }],
    ["null", null],
  ])("400 validation_failed for %s, nothing written", async (_, body) => {
    const before = snapshot();
    expectError(await post(`/orders/${orderId}/review-master`, body, client.token), 400, "validation_failed");
    expect(snapshot()).toEqual(before);
  });

  test("malformed JSON and a missing body are 400", async () => {
    const before = snapshot();
    const r = await t.call("POST", v1(`/orders/${orderId}/review-master`), {
      token: client.token,
      raw: "{rating",
    });
    expect(r.status).toBe(400);
    expect(
      (await t.call("POST", v1(`/orders/${orderId}/review-master`), { token: client.token })).status,
    ).toBe(400);
    expect(snapshot()).toEqual(before);
  });

  test("security: no token 401, the expert 403, staff 403, a stranger 404, a missing order 404", async () => {
    const before = snapshot();
    expectError(await post(`/orders/${orderId}/review-master`, { rating: 5 }), 401, "unauthenticated");
    expectError(
      await post(`/orders/${orderId}/review-master`, { rating: 5 }, expert.token),
      403,
      "forbidden",
    );
    expectError(
      await post(`/orders/${orderId}/review-master`, { rating: 5 }, support.token),
      403,
      "forbidden",
    );
    expectError(
      await post(`/orders/${orderId}/review-master`, { rating: 5 }, stranger.token),
      404,
      "not_found",
    );
    expectError(await post("/orders/987654/review-master", { rating: 5 }, client.token), 404, "not_found");
    expect(snapshot()).toEqual(before);
  });
});

describe("POST /orders/{id}/review-client (expert -> client)", () => {
  test("201 with flags, direction expert_to_client, the client is notified", async () => {
    const r = await t.call("POST", `/api/appointments/${orderId}/review-client`, {
      token: expert.token,
      body: { rating: 2, comment: "Paid late", flags: ["late_payment", "scope_creep"] },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      order_id: orderId,
      direction: "expert_to_client",
      rating: 2,
      comment: "Paid late",
      flags: ["late_payment", "scope_creep"],
      is_published: true,
      author: { id: expert.id, username: expert.username },
      target: { id: client.id, username: client.username },
    });
    const stored = t.ctx.sqlite.query("SELECT flags FROM reviews WHERE id = ?").get(r.body.id) as any;
    expect(JSON.parse(stored.flags)).toEqual(["late_payment", "scope_creep"]);
    expect(count("notifications", `user_id = ${client.id} AND type = 'review_received'`)).toBe(1);
    const ev = t.ctx.sqlite.query("SELECT * FROM events WHERE type = 'order.review_created'").get() as any;
    expect(ev.subject_type).toBe("order");
    expect(ev.subject_id).toBe(String(orderId));
    expect(JSON.parse(ev.payload).flags).toEqual(["late_payment", "scope_creep"]);
  });

  test("both sides review the same order independently; each only once", async () => {
    expect((await post(`/orders/${orderId}/review-client`, { rating: 5 }, expert.token)).status).toBe(201);
    expect((await post(`/orders/${orderId}/review-master`, { rating: 4 }, client.token)).status).toBe(201);
    expectError(await post(`/orders/${orderId}/review-client`, { rating: 1 }, expert.token), 409, "conflict");
    expect(count("reviews")).toBe(2);
  });

  test("every flag of the closed list is accepted at once", async () => {
    const r = await post(
      `/orders/${orderId}/review-client`,
      { rating: 3, flags: [...REVIEW_FLAGS] },
      expert.token,
    );
    expect(r.status).toBe(201);
    expect(r.body.flags).toEqual([...REVIEW_FLAGS]);
  });

  test.each([
    ["duplicate flags", { rating: 3, flags: ["rude", "rude"] }],
    ["an unknown flag", { rating: 3, flags: ["smelly"] }],
    [
      "101 flags",
      { rating: 3, flags: Array.from({ length: 101 }, (_, i) => REVIEW_FLAGS[i % REVIEW_FLAGS.length]) },
    ],
    ["flags not an array", { rating: 3, flags: "rude" }],
    ["rating 0", { rating: 0 }],
    ["rating 6", { rating: 6 }],
    ["rating 2.5", { rating: 2.5 }],
    ["an empty object", {}],
    ["an unknown field", { rating: 3, stars: 3 }],
  ])("400 validation_failed for %s, nothing written", async (_, body) => {
    const before = snapshot();
    expectError(await post(`/orders/${orderId}/review-client`, body, expert.token), 400, "validation_failed");
    expect(snapshot()).toEqual(before);
  });

  test("security: no token 401, the client 403, staff 403, a stranger (even an expert) 404; not completed 409", async () => {
    const otherExpert = await makeExpert(t, [subjectId]);
    const before = snapshot();
    expectError(await post(`/orders/${orderId}/review-client`, { rating: 5 }), 401, "unauthenticated");
    expectError(
      await post(`/orders/${orderId}/review-client`, { rating: 5 }, client.token),
      403,
      "forbidden",
    );
    expectError(
      await post(`/orders/${orderId}/review-client`, { rating: 5 }, support.token),
      403,
      "forbidden",
    );
    expectError(
      await post(`/orders/${orderId}/review-client`, { rating: 5 }, otherExpert.token),
      404,
      "not_found",
    );
    const id = order("delivered");
    const e = expectError(
      await post(`/orders/${id}/review-client`, { rating: 5 }, expert.token),
      409,
      "conflict",
    );
    expect(e.details).toEqual({ status: "delivered" });
    expect(snapshot()).toEqual(before);
  });
});

describe("the order timeline", () => {
  test("order.review_created of both sides appears in GET /api/appointments/{id}/events/", async () => {
    await post(`/orders/${orderId}/review-master`, { rating: 4 }, client.token);
    await post(`/orders/${orderId}/review-client`, { rating: 2, flags: ["rude"] }, expert.token);
    const r = await t.call("GET", `/api/appointments/${orderId}/events/`, { token: expert.token });
    expect(r.status).toBe(200);
    const mine = r.body.results.filter((e: any) => e.type === "order.review_created");
    expect(mine.map((e: any) => [e.actor_id, e.payload.direction, e.payload.rating])).toEqual([
      [client.id, "client_to_expert", 4],
      [expert.id, "expert_to_client", 2],
    ]);
  });
});

describe("GET /orders/{id}/reviews", () => {
  test("participants and staff see both reviews; strangers 404; no token 401", async () => {
    const empty = await get(`/orders/${orderId}/reviews`, client.token);
    expect(empty.body).toEqual({ results: [] });
    const a = (await post(`/orders/${orderId}/review-master`, { rating: 4 }, client.token)).body;
    t.clock.advance(MINUTE);
    const b = (
      await post(`/orders/${orderId}/review-client`, { rating: 5, flags: ["prompt_payment"] }, expert.token)
    ).body;
    for (const u of [client, expert, support]) {
      const r = await t.call("GET", `/api/appointments/${orderId}/reviews/`, { token: u.token });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ results: [a, b] });
    }
    expectError(await get(`/orders/${orderId}/reviews`, stranger.token), 404, "not_found");
    expectError(await get(`/orders/${orderId}/reviews`), 401, "unauthenticated");
    expectError(await get("/orders/55555/reviews", client.token), 404, "not_found");
  });
});

describe("GET /experts/{id}/reviews (public)", () => {
  test("seed 000 shape, newest first, without auth; the filter narrows count and results only", async () => {
    const other = await t.user("client");
    const r1 = (
      await post(`/orders/${orderId}/review-master`, { rating: 5, comment: "Excellent" }, client.token)
    ).body;
    t.clock.advance(MINUTE);
    const o2 = order("completed", { clientId: other.id });
    const r2 = (await post(`/orders/${o2}/review-master`, { rating: 3 }, other.token)).body;
    t.clock.advance(MINUTE);
    const o3 = order();
    await post(`/orders/${o3}/review-master`, { rating: 5 }, client.token);
    // Neither the expert's reviews of clients nor unpublished reviews count.
    await post(`/orders/${orderId}/review-client`, { rating: 1 }, expert.token);
    insertReview(expert.id, 1, { isPublished: false });

    const r = await t.call("GET", `/api/experts/${expert.id}/reviews/`);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(3);
    expect(r.body.next).toBeNull();
    expect(r.body.previous).toBeNull();
    expect(r.body.average_rating).toBe(4.33);
    expect(r.body.rating_distribution).toEqual({ "5": 2, "4": 0, "3": 1, "2": 0, "1": 0 });
    expect(r.body.results).toHaveLength(3);
    expect(r.body.results[2]).toEqual({
      id: r1.id,
      rating: 5,
      comment: "Excellent",
      created_at: "2026-11-22T10:00:00.000Z",
    });

    const f = await get(`/experts/${expert.id}/reviews?rating=3`);
    expect(f.body.count).toBe(1);
    expect(f.body.results.map((x: any) => x.id)).toEqual([r2.id]);
    expect(f.body.average_rating).toBe(4.33);
    expect(f.body.rating_distribution).toEqual(r.body.rating_distribution);
    const none = await get(`/experts/${expert.id}/reviews?rating=2`);
    expect(none.body).toMatchObject({ count: 0, results: [], next: null, previous: null });
  });

  test("neither the order's title nor the client's name is public; the expert's dashboard keeps them", async () => {
    const title = "Thesis on a private family matter";
    t.ctx.sqlite.query("UPDATE orders SET title = ? WHERE id = ?").run(title, orderId);
    await post(`/orders/${orderId}/review-master`, { rating: 4, comment: "Fine" }, client.token);
    for (const token of [undefined, stranger.token, support.token, client.token]) {
      const r = await get(`/experts/${expert.id}/reviews`, token);
      expect(r.status).toBe(200);
      expect(r.body.results).toHaveLength(1);
      expect(Object.keys(r.body.results[0]).sort()).toEqual(["comment", "created_at", "id", "rating"]);
      const text = JSON.stringify(r.body);
      expect(text).not.toContain(title);
      expect(text).not.toContain(client.username!);
    }
    const own = await get("/experts/dashboard/reviews", expert.token);
    expect(own.body.results[0]).toMatchObject({
      client: { id: client.id, username: client.username },
      order: { id: orderId, title },
    });
    // The order's participants still see who wrote what.
    const both = await get(`/orders/${orderId}/reviews`, client.token);
    expect(both.body.results[0].author).toEqual({ id: client.id, username: client.username });
  });

  test("paginates 10 a page by default, links keep the filter", async () => {
    for (let i = 0; i < 12; i++) insertReview(expert.id, 4);
    insertReview(expert.id, 2);
    const p1 = await get(`/experts/${expert.id}/reviews?rating=4`);
    expect(p1.body.count).toBe(12);
    expect(p1.body.results).toHaveLength(10);
    expect(p1.body.next).toBe(`/api/v1/experts/${expert.id}/reviews?rating=4&page=2&page_size=10`);
    const p2 = await t.call("GET", p1.body.next);
    expect(p2.body.results).toHaveLength(2);
    expect(p2.body.next).toBeNull();
    expect(p2.body.previous).toBe(`/api/v1/experts/${expert.id}/reviews?rating=4&page=1&page_size=10`);
    const ids = [...p1.body.results, ...p2.body.results].map((x: any) => x.id);
    expect(new Set(ids).size).toBe(12);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const small = await get(`/experts/${expert.id}/reviews?page_size=5&page=3`);
    expect(small.body.count).toBe(13);
    expect(small.body.results).toHaveLength(3);
  });

  test("an expert without reviews: count 0, average null, zero distribution", async () => {
    const fresh = await makeExpert(t);
    expect((await get(`/experts/${fresh.id}/reviews`)).body).toEqual({
      count: 0,
      next: null,
      previous: null,
      average_rating: null,
      rating_distribution: { "5": 0, "4": 0, "3": 0, "2": 0, "1": 0 },
      results: [],
    });
  });

  test("404 for a user who is not an expert or does not exist; 400 for bad queries", async () => {
    expectError(await get(`/experts/${client.id}/reviews`), 404, "not_found");
    expectError(await get("/experts/424242/reviews"), 404, "not_found");
    for (const q of ["rating=0", "rating=6", "rating=2.5", "rating=five", "page=0", "page_size=101"]) {
      expectError(await get(`/experts/${expert.id}/reviews?${q}`), 400, "validation_failed");
    }
    // Only numeric ids route here: anything else is no such route.
    expectError(await get("/experts/abc/reviews"), 404, "not_found");
  });

  test("does not shadow the expert dashboard's /experts/dashboard/reviews", async () => {
    insertReview(expert.id, 4);
    const r = await get("/experts/dashboard/reviews", expert.token);
    expect(r.body?.error?.details?.issues?.[0]?.path).not.toBe("param.id");
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(1);
  });

  test("a signed-in caller sees the same; a garbage token on this public route is ignored", async () => {
    insertReview(expert.id, 5);
    const anon = await get(`/experts/${expert.id}/reviews`);
    expect((await get(`/experts/${expert.id}/reviews`, stranger.token)).body).toEqual(anon.body);
    expect((await get(`/experts/${expert.id}/reviews`, "not-a-token")).body).toEqual(anon.body);
  });
});

describe("exported aggregates", () => {
  test("listExpertReviews is the route's answer; ratingSummary covers both directions", async () => {
    insertReview(expert.id, 5);
    insertReview(expert.id, 2);
    expect(
      (await post(`/orders/${orderId}/review-client`, { rating: 3, flags: ["rude"] }, expert.token)).status,
    ).toBe(201);
    const url = `http://localhost/api/v1/experts/dashboard/reviews?page_size=1`;
    const l = listExpertReviews(t.ctx.db, expert.id, { page: 1, page_size: 1 }, url);
    expect(l.count).toBe(2);
    expect(l.results).toHaveLength(1);
    expect(l.next).toBe("/api/v1/experts/dashboard/reviews?page_size=1&page=2");
    expect(l.average_rating).toBe(3.5);
    expect(Object.keys(l)).toEqual([
      "count",
      "next",
      "previous",
      "average_rating",
      "rating_distribution",
      "results",
    ]);
    expect(ratingSummary(t.ctx.db, client.id, "expert_to_client")).toEqual({
      average_rating: 3,
      count: 1,
      rating_distribution: { "5": 0, "4": 0, "3": 1, "2": 0, "1": 0 },
    });
    expect(ratingSummary(t.ctx.db, client.id, "client_to_expert").count).toBe(0);
  });

  test("property: average and distribution equal a direct computation over random ratings", async () => {
    const author = await t.user("client");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 5 }),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        async (published, hidden, rating) => {
          const e = await makeExpert(t);
          for (const r of published) insertReview(e.id, r, { authorId: author.id });
          for (const r of hidden) insertReview(e.id, r, { authorId: author.id, isPublished: false });

          const dist = { "5": 0, "4": 0, "3": 0, "2": 0, "1": 0 } as Record<string, number>;
          for (const r of published) dist[String(r)]!++;
          const sum = published.reduce((s, r) => s + r, 0);
          const avg = published.length ? Math.round((sum / published.length) * 100) / 100 : null;

          const s = ratingSummary(t.ctx.db, e.id, "client_to_expert");
          expect(s).toEqual({
            average_rating: avg,
            count: published.length,
            rating_distribution: dist as any,
          });
          if (avg !== null) {
            expect(avg).toBeGreaterThanOrEqual(Math.min(...published));
            expect(avg).toBeLessThanOrEqual(Math.max(...published));
          }
          const l = listExpertReviews(t.ctx.db, e.id, { rating, page: 1, page_size: 100 }, "http://x/r");
          expect(l.average_rating).toBe(avg);
          expect(l.rating_distribution).toEqual(dist as any);
          const expected =
            rating === undefined ? published.length : published.filter((r) => r === rating).length;
          expect(l.count).toBe(expected);
          expect(l.results).toHaveLength(expected);
          expect(l.results.every((x) => rating === undefined || x.rating === rating)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
