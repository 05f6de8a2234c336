import { beforeEach, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { courseEnrollments, courses, events, ledgerTransfers, notifications } from "../../src/db/schema";
import { iso } from "../../src/lib/time";
import {
  type AccountRef,
  balanceOf,
  platformRevenue,
  providerClearing,
  transfer,
  userAvailable,
} from "../../src/modules/ledger/service";
import { expectError, makeTestApp } from "../helpers/app";
import { makeExpert, makeSubject } from "../helpers/marketplace";

const t = makeTestApp();
const V = "/api/v1";

let fundSeq = 0;
/** Credits a user's available wallet as a paid top-up would. */
function fund(userId: number, amount: number, currency = "RUB") {
  t.ctx.db.transaction((tx) =>
    transfer(t.ctx, tx, {
      from: providerClearing("stripe", currency),
      to: userAvailable(userId, currency),
      amount,
      kind: "payment",
      idempotencyKey: `test-fund:${++fundSeq}`,
    }),
  );
}
const bal = (r: AccountRef) => balanceOf(t.ctx.db, r);

type U = Awaited<ReturnType<typeof t.user>>;

async function newCourse(expert: U, body: Record<string, unknown> = {}, publish = true) {
  const r = await t.call("POST", `${V}/courses`, {
    token: expert.token,
    body: { title: "Python 101", ...body },
  });
  expect(r.status).toBe(201);
  if (!publish) return r.body;
  const p = await t.call("POST", `${V}/courses/${r.body.id}/publish`, { token: expert.token });
  expect(p.status).toBe(200);
  return p.body;
}

const eventsOf = (courseId: number) =>
  t.ctx.db
    .select()
    .from(events)
    .where(and(eq(events.subjectType, "course"), eq(events.subjectId, String(courseId))))
    .orderBy(events.id)
    .all();
const notificationsOf = (userId: number) =>
  t.ctx.db
    .select()
    .from(notifications)
    .where(eq(notifications.userId, userId))
    .orderBy(notifications.id)
    .all();
const courseRow = (id: number) => t.ctx.db.select().from(courses).where(eq(courses.id, id)).get()!;
const enrollmentRows = (courseId: number) =>
  t.ctx.db.select().from(courseEnrollments).where(eq(courseEnrollments.courseId, courseId)).all();

beforeEach(() => {
  t.ctx.settings.setNow({ order_commission_percent: 10 }, t.clock.now());
});

describe("POST /courses", () => {
  test("an expert creates a draft with defaults; the event is recorded", async () => {
    const ex = await makeExpert(t);
    const r = await t.call("POST", `${V}/courses`, { token: ex.token, body: { title: "  Python 101  " } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      expert_id: ex.id,
      title: "Python 101",
      description: null,
      subject_id: null,
      price: 0,
      currency: "RUB",
      status: "draft",
      published_at: null,
      enrollments_count: 0,
      completed_count: 0,
      rating: { average: null, count: 0 },
    });
    expect(r.body.created_at).toBe(iso(t.clock.now()));
    expect(eventsOf(r.body.id).map((e) => [e.type, e.actorId])).toEqual([["course.created", ex.id]]);
  });

  test("with subject, price and currency", async () => {
    const s = makeSubject(t);
    const ex = await makeExpert(t);
    const r = await t.call("POST", `${V}/courses`, {
      token: ex.token,
      body: { title: "Go", description: "d", subject_id: s.id, price: 99_000, currency: "USD" },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ subject_id: s.id, price: 99_000, currency: "USD", description: "d" });
  });

  test.each([
    ["missing title", {}],
    ["empty title", { title: "   " }],
    ["unknown field", { title: "x", status: "published" }],
    ["negative price", { title: "x", price: -1 }],
    ["fractional price", { title: "x", price: 10.5 }],
    ["price as string", { title: "x", price: "100" }],
    ["lower-case currency", { title: "x", currency: "rub" }],
    ["made-up currency", { title: "x", currency: "XYZ" }],
    ["subject id 0", { title: "x", subject_id: 0 }],
    ["unknown subject", { title: "x", subject_id: 999_999 }],
  ])("%s -> 400, nothing created", async (_name, body) => {
    const ex = await makeExpert(t);
    const r = await t.call("POST", `${V}/courses`, { token: ex.token, body });
    expectError(r, 400, "validation_failed");
    expect((await t.call("GET", `${V}/courses/mine`, { token: ex.token })).body.count).toBe(0);
  });

  test("malformed JSON 400 invalid_json", async () => {
    const ex = await makeExpert(t);
    expectError(await t.call("POST", `${V}/courses`, { token: ex.token, raw: "{" }), 400, "invalid_json");
  });

  test("an inactive subject is refused", async () => {
    const s = makeSubject(t);
    t.ctx.sqlite.query("UPDATE subjects SET is_active = 0 WHERE id = ?").run(s.id);
    const ex = await makeExpert(t);
    const r = await t.call("POST", `${V}/courses`, {
      token: ex.token,
      body: { title: "x", subject_id: s.id },
    });
    expect(expectError(r, 400, "validation_failed").details.issues[0].path).toBe("json.subject_id");
  });

  test("no token 401; a client 403", async () => {
    expectError(await t.call("POST", `${V}/courses`, { body: { title: "x" } }), 401, "unauthenticated");
    const cl = await t.user("client");
    expectError(
      await t.call("POST", `${V}/courses`, { token: cl.token, body: { title: "x" } }),
      403,
      "forbidden",
    );
  });
});

describe("PATCH /courses/{id}", () => {
  test("the owner changes fields; the event carries the changes", async () => {
    const s = makeSubject(t);
    const ex = await makeExpert(t);
    const c = await newCourse(ex, {}, false);
    t.clock.advance(1000);
    const r = await t.call("PATCH", `${V}/courses/${c.id}`, {
      token: ex.token,
      body: { title: "New", description: "about", subject_id: s.id, price: 500, currency: "EUR" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      title: "New",
      description: "about",
      subject_id: s.id,
      price: 500,
      currency: "EUR",
    });
    expect(r.body.updated_at).not.toBe(r.body.created_at);
    const ev = eventsOf(c.id).at(-1)!;
    expect(ev.type).toBe("course.updated");
    expect(ev.payload).toEqual({
      changes: { title: "New", description: "about", subject_id: s.id, price: 500, currency: "EUR" },
    });
    const cleared = await t.call("PATCH", `${V}/courses/${c.id}`, {
      token: ex.token,
      body: { description: null, subject_id: null },
    });
    expect(cleared.body).toMatchObject({ description: null, subject_id: null });
  });

  test("price and currency are frozen once someone enrolled (409, nothing changed); other fields are not", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex, { price: 0 });
    const l = await t.user();
    expect((await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token })).status).toBe(201);
    const before = courseRow(c.id);
    const r = await t.call("PATCH", `${V}/courses/${c.id}`, {
      token: ex.token,
      body: { price: 100, title: "X" },
    });
    expect(expectError(r, 409, "conflict").details).toEqual({ enrollments_count: 1 });
    expectError(
      await t.call("PATCH", `${V}/courses/${c.id}`, { token: ex.token, body: { currency: "USD" } }),
      409,
      "conflict",
    );
    expect(courseRow(c.id)).toEqual(before);
    // Sending the current price is not a change.
    const ok = await t.call("PATCH", `${V}/courses/${c.id}`, {
      token: ex.token,
      body: { price: 0, currency: "RUB", title: "Renamed" },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.title).toBe("Renamed");
  });

  test("bad bodies 400", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex, {}, false);
    for (const body of [
      {},
      { nope: 1 },
      { price: -5 },
      { price: 1.25 },
      { title: "" },
      { currency: "usd" },
    ]) {
      expectError(
        await t.call("PATCH", `${V}/courses/${c.id}`, { token: ex.token, body }),
        400,
        "validation_failed",
      );
    }
    expect(courseRow(c.id).title).toBe("Python 101");
  });

  test("another expert 404, a client 403, no token 401, a missing course 404", async () => {
    const ex = await makeExpert(t);
    const other = await makeExpert(t);
    const cl = await t.user();
    const c = await newCourse(ex);
    const body = { title: "hijacked" };
    expectError(
      await t.call("PATCH", `${V}/courses/${c.id}`, { token: other.token, body }),
      404,
      "not_found",
    );
    expectError(await t.call("PATCH", `${V}/courses/${c.id}`, { token: cl.token, body }), 403, "forbidden");
    expectError(await t.call("PATCH", `${V}/courses/${c.id}`, { body }), 401, "unauthenticated");
    expectError(await t.call("PATCH", `${V}/courses/999999`, { token: ex.token, body }), 404, "not_found");
    expect(courseRow(c.id).title).toBe("Python 101");
  });
});

describe("publish and archive", () => {
  test("draft -> published -> archived, with events; wrong transitions 409 invalid_transition", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex, {}, false);
    t.clock.advance(5000);
    const at = iso(t.clock.now());
    const p = await t.call("POST", `${V}/courses/${c.id}/publish`, { token: ex.token });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ status: "published", published_at: at });
    // Published twice.
    const again = await t.call("POST", `${V}/courses/${c.id}/publish`, { token: ex.token });
    expect(expectError(again, 409, "invalid_transition").details).toEqual({
      from: "published",
      to: "published",
    });
    const a = await t.call("POST", `${V}/courses/${c.id}/archive`, { token: ex.token });
    expect(a.status).toBe(200);
    expect(a.body.status).toBe("archived");
    expect(a.body.published_at).toBe(at);
    expect(
      expectError(
        await t.call("POST", `${V}/courses/${c.id}/archive`, { token: ex.token }),
        409,
        "invalid_transition",
      ).details,
    ).toEqual({ from: "archived", to: "archived" });
    expect(
      expectError(
        await t.call("POST", `${V}/courses/${c.id}/publish`, { token: ex.token }),
        409,
        "invalid_transition",
      ).details,
    ).toEqual({ from: "archived", to: "published" });
    expect(eventsOf(c.id).map((e) => e.type)).toEqual([
      "course.created",
      "course.published",
      "course.archived",
    ]);
  });

  test("a draft can be archived directly", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex, {}, false);
    const a = await t.call("POST", `${V}/courses/${c.id}/archive`, { token: ex.token });
    expect(a.body).toMatchObject({ status: "archived", published_at: null });
  });

  test("another expert 404, a client 403, no token 401", async () => {
    const ex = await makeExpert(t);
    const other = await makeExpert(t);
    const cl = await t.user();
    const c = await newCourse(ex, {}, false);
    for (const action of ["publish", "archive"]) {
      const path = `${V}/courses/${c.id}/${action}`;
      expectError(await t.call("POST", path, { token: other.token }), 404, "not_found");
      expectError(await t.call("POST", path, { token: cl.token }), 403, "forbidden");
      expectError(await t.call("POST", path), 401, "unauthenticated");
    }
    expect(courseRow(c.id).status).toBe("draft");
  });
});

describe("GET /courses (public catalogue)", () => {
  test("published only, newest first, with filters and aggregates from one query", async () => {
    const s1 = makeSubject(t);
    const s2 = makeSubject(t);
    const ex1 = await makeExpert(t);
    const ex2 = await makeExpert(t);
    const a = await newCourse(ex1, { title: "Cat-A 100% sure", subject_id: s1.id });
    t.clock.advance(1000);
    const b = await newCourse(ex1, { title: "Cat-B 100x", subject_id: s2.id });
    t.clock.advance(1000);
    const c = await newCourse(ex2, { title: "Cat-C under_score", subject_id: s1.id });
    await newCourse(ex2, { title: "Cat-D draft", subject_id: s1.id }, false);
    const archived = await newCourse(ex2, { title: "Cat-E archived", subject_id: s1.id });
    await t.call("POST", `${V}/courses/${archived.id}/archive`, { token: ex2.token });

    // Two learners in A (one rates 5, one 4 and completes), one in C.
    const l1 = await t.user();
    const l2 = await t.user();
    for (const l of [l1, l2]) await t.call("POST", `${V}/courses/${a.id}/enroll`, { token: l.token });
    await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l1.token });
    await t.call("POST", `${V}/courses/${a.id}/rate`, { token: l1.token, body: { rating: 5 } });
    await t.call("POST", `${V}/courses/${a.id}/rate`, { token: l2.token, body: { rating: 4 } });
    await t.call("POST", `${V}/courses/${a.id}/progress`, { token: l2.token, body: { progress: 100 } });

    const all = await t.call("GET", `${V}/courses?q=Cat-`);
    expect(all.status).toBe(200);
    expect(all.body.results.map((x: any) => x.title)).toEqual([
      "Cat-C under_score",
      "Cat-B 100x",
      "Cat-A 100% sure",
    ]);
    const ra = all.body.results[2];
    expect(ra).toMatchObject({
      enrollments_count: 2,
      completed_count: 1,
      rating: { average: 4.5, count: 2 },
    });
    expect(all.body.results[1]).toMatchObject({ enrollments_count: 0, rating: { average: null, count: 0 } });
    expect(all.body.results[0]).toMatchObject({ enrollments_count: 1, rating: { average: null, count: 0 } });

    const ids = async (qs: string) =>
      (await t.call("GET", `${V}/courses?${qs}`)).body.results.map((x: any) => x.id).sort();
    expect(await ids(`subject_id=${s1.id}`)).toEqual([a.id, c.id].sort());
    expect(await ids(`expert_id=${ex1.id}`)).toEqual([a.id, b.id].sort());
    expect(await ids(`expert_id=${ex2.id}&subject_id=${s1.id}`)).toEqual([c.id]);
    // LIKE wildcards in q are literal.
    expect(await ids(`q=${encodeURIComponent("100%")}`)).toEqual([a.id]);
    expect(await ids(`q=${encodeURIComponent("t_A")}`)).toEqual([]); // "_" would match the "-" of Cat-A
    expect(await ids(`q=${encodeURIComponent("under_score")}`)).toEqual([c.id]);
    expect(await ids("q=cat-b")).toEqual([b.id]); // ASCII case folds

    const p1 = await t.call("GET", `${V}/courses?q=Cat-&page_size=2`);
    expect(p1.body.count).toBe(3);
    expect(p1.body.results).toHaveLength(2);
    expect(p1.body.next).toContain("page=2");
    const p2 = await t.call("GET", `${V}${p1.body.next.replace(/^\/api\/v1/, "")}`);
    expect(p2.body.results.map((x: any) => x.id)).toEqual([a.id]);
    // The /api alias answers too.
    expect((await t.call("GET", "/api/courses?q=Cat-")).body.count).toBe(3);
  });

  test("bad queries 400", async () => {
    for (const qs of ["page_size=1000", "page=0", "subject_id=abc", "expert_id=-1"]) {
      expectError(await t.call("GET", `${V}/courses?${qs}`), 400, "validation_failed");
    }
  });
});

describe("GET /courses/{id}", () => {
  test("published to anyone; drafts and archived to the owner and admin only", async () => {
    const ex = await makeExpert(t);
    const other = await makeExpert(t);
    const admin = await t.user("admin");
    const support = await t.user("support");
    const pub = await newCourse(ex);
    const draft = await newCourse(ex, { title: "Draft" }, false);
    const arch = await newCourse(ex, { title: "Old" });
    await t.call("POST", `${V}/courses/${arch.id}/archive`, { token: ex.token });

    const anon = await t.call("GET", `${V}/courses/${pub.id}`);
    expect(anon.status).toBe(200);
    expect(anon.body).toMatchObject({ id: pub.id, status: "published", rating: { average: null, count: 0 } });
    for (const c of [draft, arch]) {
      expectError(await t.call("GET", `${V}/courses/${c.id}`), 404, "not_found");
      expectError(await t.call("GET", `${V}/courses/${c.id}`, { token: other.token }), 404, "not_found");
      expectError(await t.call("GET", `${V}/courses/${c.id}`, { token: support.token }), 404, "not_found");
      expect((await t.call("GET", `${V}/courses/${c.id}`, { token: ex.token })).status).toBe(200);
      expect((await t.call("GET", `${V}/courses/${c.id}`, { token: admin.token })).status).toBe(200);
    }
    expectError(await t.call("GET", `${V}/courses/999999`), 404, "not_found");
    expectError(await t.call("GET", `${V}/courses/abc`), 400, "validation_failed");
  });
});

describe("GET /courses/mine", () => {
  test("the expert's own courses in every status with counts; not captured by /courses/{id}", async () => {
    const ex = await makeExpert(t);
    const other = await makeExpert(t);
    const a = await newCourse(ex, { title: "A" });
    t.clock.advance(1000);
    const b = await newCourse(ex, { title: "B" }, false);
    await newCourse(other, { title: "Not mine" });
    const l = await t.user();
    await t.call("POST", `${V}/courses/${a.id}/enroll`, { token: l.token });
    const r = await t.call("GET", `${V}/courses/mine`, { token: ex.token });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(2);
    expect(r.body.results.map((x: any) => [x.id, x.status, x.enrollments_count])).toEqual([
      [b.id, "draft", 0],
      [a.id, "published", 1],
    ]);
    const drafts = await t.call("GET", `${V}/courses/mine?status=draft`, { token: ex.token });
    expect(drafts.body.results.map((x: any) => x.id)).toEqual([b.id]);
    // Trailing slash works as well.
    expect((await t.call("GET", `${V}/courses/mine/`, { token: ex.token })).body.count).toBe(2);
    expectError(
      await t.call("GET", `${V}/courses/mine?status=gone`, { token: ex.token }),
      400,
      "validation_failed",
    );
  });

  test("a client 403, no token 401", async () => {
    const cl = await t.user();
    expectError(await t.call("GET", `${V}/courses/mine`, { token: cl.token }), 403, "forbidden");
    expectError(await t.call("GET", `${V}/courses/mine`), 401, "unauthenticated");
  });
});

describe("POST /courses/{id}/enroll", () => {
  test("a free course: enrolled, no money moves, the expert is notified", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex, { title: "Free" });
    const l = await t.user();
    const transfersBefore = t.ctx.db.select().from(ledgerTransfers).all().length;
    const r = await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      course_id: c.id,
      course_title: "Free",
      course_status: "published",
      user_id: l.id,
      status: "active",
      progress: 0,
      price_paid: 0,
      currency: "RUB",
      completed_at: null,
      rating: null,
    });
    expect(t.ctx.db.select().from(ledgerTransfers).all().length).toBe(transfersBefore);
    const n = notificationsOf(ex.id);
    expect(n.map((x) => x.type)).toEqual(["course_enrolled"]);
    expect(n[0]!.data).toMatchObject({ course_id: c.id, enrollment_id: r.body.id });
    const ev = eventsOf(c.id).at(-1)!;
    expect(ev).toMatchObject({ type: "course.enrolled", actorId: l.id });
    expect(ev.payload).toMatchObject({ enrollment_id: r.body.id, price_paid: 0, commission: 0 });
  });

  test("a paid course: the price leaves the learner's wallet, minus commission to the expert, the rest to revenue", async () => {
    t.ctx.settings.setNow({ order_commission_percent: 15 }, t.clock.now());
    const ex = await makeExpert(t);
    const c = await newCourse(ex, { price: 9_999, currency: "EUR" });
    const l = await t.user();
    fund(l.id, 12_000, "EUR");
    const revenue0 = bal(platformRevenue("EUR"));
    const r = await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ price_paid: 9_999, currency: "EUR" });
    const commission = Math.round((9_999 * 15) / 100); // 1500
    expect(commission).toBe(1_500);
    expect(bal(userAvailable(l.id, "EUR"))).toBe(12_000 - 9_999);
    expect(bal(userAvailable(ex.id, "EUR"))).toBe(9_999 - commission);
    expect(bal(platformRevenue("EUR")) - revenue0).toBe(commission);
    const legs = t.ctx.db
      .select()
      .from(ledgerTransfers)
      .where(
        and(
          eq(ledgerTransfers.referenceType, "course_enrollment"),
          eq(ledgerTransfers.referenceId, String(r.body.id)),
        ),
      )
      .all();
    expect(legs.map((x) => [x.kind, x.amount, x.idempotencyKey])).toEqual([
      ["payment", 8_499, `course:${c.id}:enroll:${l.id}:${r.body.id}:payment`],
      ["commission", 1_500, `course:${c.id}:enroll:${l.id}:${r.body.id}:commission`],
    ]);
    expect(eventsOf(c.id).at(-1)!.payload).toMatchObject({ commission: 1_500, expert_amount: 8_499 });
    const mine = await t.call("GET", `${V}/courses/${c.id}`);
    expect(mine.body.enrollments_count).toBe(1);
  });

  test("commission 0% pays the expert everything; 100% pays the platform everything", async () => {
    for (const [pct, expertGets] of [
      [0, 1_000],
      [100, 0],
    ] as const) {
      t.ctx.settings.setNow({ order_commission_percent: pct }, t.clock.now());
      const ex = await makeExpert(t);
      const c = await newCourse(ex, { price: 1_000 });
      const l = await t.user();
      fund(l.id, 1_000);
      const rev0 = bal(platformRevenue("RUB"));
      expect((await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token })).status).toBe(201);
      expect(bal(userAvailable(l.id, "RUB"))).toBe(0);
      expect(bal(userAvailable(ex.id, "RUB"))).toBe(expertGets);
      expect(bal(platformRevenue("RUB")) - rev0).toBe(1_000 - expertGets);
    }
  });

  test("not enough money: 402 insufficient_funds and nothing changes", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex, { price: 5_000 });
    const l = await t.user();
    fund(l.id, 4_999);
    const rev0 = bal(platformRevenue("RUB"));
    const transfers0 = t.ctx.db.select().from(ledgerTransfers).all().length;
    const events0 = eventsOf(c.id).length;
    const r = await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token });
    expect(expectError(r, 402, "insufficient_funds").details).toEqual({
      available: 4_999,
      required: 5_000,
      currency: "RUB",
    });
    expect(bal(userAvailable(l.id, "RUB"))).toBe(4_999);
    expect(bal(userAvailable(ex.id, "RUB"))).toBe(0);
    expect(bal(platformRevenue("RUB"))).toBe(rev0);
    expect(t.ctx.db.select().from(ledgerTransfers).all().length).toBe(transfers0);
    expect(enrollmentRows(c.id)).toEqual([]);
    expect(eventsOf(c.id).length).toBe(events0);
    expect(notificationsOf(ex.id)).toEqual([]);
    // A learner with no wallet at all is refused the same way.
    const broke = await t.user();
    expectError(
      await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: broke.token }),
      402,
      "insufficient_funds",
    );
  });

  test("own course 409, twice 409 (charged once), draft 404, archived 409, missing 404", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex, { price: 300 });
    const l = await t.user();
    fund(l.id, 1_000);
    expectError(await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: ex.token }), 409, "conflict");
    expect((await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token })).status).toBe(201);
    expectError(await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token }), 409, "conflict");
    expect(bal(userAvailable(l.id, "RUB"))).toBe(700);
    expect(enrollmentRows(c.id)).toHaveLength(1);

    const draft = await newCourse(ex, {}, false);
    expectError(
      await t.call("POST", `${V}/courses/${draft.id}/enroll`, { token: l.token }),
      404,
      "not_found",
    );
    expectError(
      await t.call("POST", `${V}/courses/${draft.id}/enroll`, { token: ex.token }),
      409,
      "conflict",
    );
    const arch = await newCourse(ex);
    await t.call("POST", `${V}/courses/${arch.id}/archive`, { token: ex.token });
    const ar = expectError(
      await t.call("POST", `${V}/courses/${arch.id}/enroll`, { token: l.token }),
      409,
      "conflict",
    );
    expect(ar.details).toEqual({ status: "archived" });
    expectError(await t.call("POST", `${V}/courses/999999/enroll`, { token: l.token }), 404, "not_found");
    expect(bal(userAvailable(l.id, "RUB"))).toBe(700);
  });

  test("an Idempotency-Key replay returns the first enrollment and charges once", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex, { price: 400 });
    const l = await t.user();
    fund(l.id, 1_000);
    const headers = { "idempotency-key": `enroll-${c.id}` };
    const r1 = await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token, headers });
    const r2 = await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token, headers });
    expect([r1.status, r2.status]).toEqual([201, 201]);
    expect(r2.headers.get("idempotent-replayed")).toBe("true");
    expect(r2.body).toEqual(r1.body);
    expect(bal(userAvailable(l.id, "RUB"))).toBe(600);
  });

  test("an expert may enroll in someone else's course; no token 401", async () => {
    const ex = await makeExpert(t);
    const ex2 = await makeExpert(t);
    const c = await newCourse(ex);
    expect((await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: ex2.token })).status).toBe(201);
    expectError(await t.call("POST", `${V}/courses/${c.id}/enroll`), 401, "unauthenticated");
  });
});

describe("GET /courses/enrollments/mine", () => {
  test("my enrollments, newest first, with title, progress and status; never another's", async () => {
    const ex = await makeExpert(t);
    const a = await newCourse(ex, { title: "Alpha" });
    const b = await newCourse(ex, { title: "Beta" });
    const l = await t.user();
    const other = await t.user();
    await t.call("POST", `${V}/courses/${a.id}/enroll`, { token: l.token });
    await t.call("POST", `${V}/courses/${b.id}/enroll`, { token: l.token });
    await t.call("POST", `${V}/courses/${a.id}/enroll`, { token: other.token });
    await t.call("POST", `${V}/courses/${a.id}/progress`, { token: l.token, body: { progress: 100 } });
    await t.call("POST", `${V}/courses/${b.id}/archive`, { token: ex.token });
    const r = await t.call("GET", `${V}/courses/enrollments/mine`, { token: l.token });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(2);
    expect(
      r.body.results.map((x: any) => [x.course_title, x.course_status, x.progress, x.status, x.user_id]),
    ).toEqual([
      ["Beta", "archived", 0, "active", l.id],
      ["Alpha", "published", 100, "completed", l.id],
    ]);
    expect((await t.call("GET", `${V}/courses/enrollments/mine`, { token: ex.token })).body.count).toBe(0);
    expectError(await t.call("GET", `${V}/courses/enrollments/mine`), 401, "unauthenticated");
  });
});

describe("POST /courses/{id}/progress", () => {
  test("moves forward, equal is a no-op, 100 completes with event and notice", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex, { title: "Rust" });
    const l = await t.user();
    await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token });
    const p = (progress: number) =>
      t.call("POST", `${V}/courses/${c.id}/progress`, { token: l.token, body: { progress } });
    const r1 = await p(40);
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ progress: 40, status: "active", completed_at: null });
    const n0 = eventsOf(c.id).length;
    expect((await p(40)).body.progress).toBe(40);
    expect(eventsOf(c.id).length).toBe(n0);

    const back = await p(39);
    expect(expectError(back, 409, "conflict").details).toEqual({ current: 40, requested: 39 });
    expect(enrollmentRows(c.id)[0]!.progress).toBe(40);

    t.clock.advance(60_000);
    const at = iso(t.clock.now());
    const done = await p(100);
    expect(done.body).toMatchObject({ progress: 100, status: "completed", completed_at: at });
    expect(
      eventsOf(c.id)
        .slice(-2)
        .map((e) => [e.type, e.actorId]),
    ).toEqual([
      ["course.progressed", l.id],
      ["course.completed", l.id],
    ]);
    const notes = notificationsOf(l.id);
    expect(notes.map((x) => x.type)).toEqual(["course_completed"]);
    expect(notes[0]!.data).toMatchObject({ course_id: c.id });
    // Completed stays completed: 100 again is a no-op, anything lower is refused.
    t.clock.advance(1000);
    expect((await p(100)).body.completed_at).toBe(at);
    expectError(await p(99), 409, "conflict");
    expect(notificationsOf(l.id)).toHaveLength(1);
  });

  test("bad bodies 400 and nothing changes", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex);
    const l = await t.user();
    await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token });
    for (const body of [
      { progress: 101 },
      { progress: -1 },
      { progress: 50.5 },
      { progress: "50" },
      {},
      { progress: 5, x: 1 },
    ]) {
      expectError(
        await t.call("POST", `${V}/courses/${c.id}/progress`, { token: l.token, body }),
        400,
        "validation_failed",
      );
    }
    expect(enrollmentRows(c.id)[0]!.progress).toBe(0);
  });

  test("archived courses keep their learners; not enrolled 403, draft 404, no token 401", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex);
    const l = await t.user();
    const stranger = await t.user();
    await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token });
    await t.call("POST", `${V}/courses/${c.id}/archive`, { token: ex.token });
    const body = { progress: 10 };
    expect(
      (await t.call("POST", `${V}/courses/${c.id}/progress`, { token: l.token, body })).body.progress,
    ).toBe(10);
    expectError(
      await t.call("POST", `${V}/courses/${c.id}/progress`, { token: stranger.token, body }),
      403,
      "forbidden",
    );
    expectError(
      await t.call("POST", `${V}/courses/${c.id}/progress`, { token: ex.token, body }),
      403,
      "forbidden",
    );
    const draft = await newCourse(ex, {}, false);
    expectError(
      await t.call("POST", `${V}/courses/${draft.id}/progress`, { token: l.token, body }),
      404,
      "not_found",
    );
    expectError(
      await t.call("POST", `${V}/courses/999999/progress`, { token: l.token, body }),
      404,
      "not_found",
    );
    expectError(await t.call("POST", `${V}/courses/${c.id}/progress`, { body }), 401, "unauthenticated");
  });
});

describe("POST /courses/{id}/rate", () => {
  test("an enrolled learner rates once; the course's rating follows", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex);
    const l = await t.user();
    await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token });
    const r = await t.call("POST", `${V}/courses/${c.id}/rate`, {
      token: l.token,
      body: { rating: 3, review: " good enough " },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ rating: 3, review: "good enough", rated_at: iso(t.clock.now()) });
    expect(eventsOf(c.id).at(-1)).toMatchObject({ type: "course.rated", actorId: l.id });
    const again = await t.call("POST", `${V}/courses/${c.id}/rate`, { token: l.token, body: { rating: 5 } });
    expectError(again, 409, "conflict");
    expect(enrollmentRows(c.id)[0]!.rating).toBe(3);
    expect((await t.call("GET", `${V}/courses/${c.id}`)).body.rating).toEqual({ average: 3, count: 1 });
  });

  test("bad bodies 400 and nothing changes", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex);
    const l = await t.user();
    await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token });
    for (const body of [
      { rating: 0 },
      { rating: 6 },
      { rating: 4.5 },
      {},
      { rating: 4, stars: 4 },
      { rating: 4, review: 7 },
    ]) {
      expectError(
        await t.call("POST", `${V}/courses/${c.id}/rate`, { token: l.token, body }),
        400,
        "validation_failed",
      );
    }
    expect(enrollmentRows(c.id)[0]!.rating).toBeNull();
  });

  test("not enrolled 403 (the owner too), draft 404, no token 401", async () => {
    const ex = await makeExpert(t);
    const c = await newCourse(ex);
    const stranger = await t.user();
    const body = { rating: 5 };
    expectError(
      await t.call("POST", `${V}/courses/${c.id}/rate`, { token: stranger.token, body }),
      403,
      "forbidden",
    );
    expectError(
      await t.call("POST", `${V}/courses/${c.id}/rate`, { token: ex.token, body }),
      403,
      "forbidden",
    );
    const draft = await newCourse(ex, {}, false);
    expectError(
      await t.call("POST", `${V}/courses/${draft.id}/rate`, { token: stranger.token, body }),
      404,
      "not_found",
    );
    expectError(await t.call("POST", `${V}/courses/${c.id}/rate`, { body }), 401, "unauthenticated");
  });
});

describe("GET /courses/{id}/enrollments", () => {
  test("the owner and admin see the learners' progress; others get 404", async () => {
    const ex = await makeExpert(t);
    const other = await makeExpert(t);
    const admin = await t.user("admin");
    const c = await newCourse(ex, { price: 100 });
    const l1 = await t.user();
    const l2 = await t.user();
    for (const l of [l1, l2]) {
      fund(l.id, 100);
      await t.call("POST", `${V}/courses/${c.id}/enroll`, { token: l.token });
    }
    await t.call("POST", `${V}/courses/${c.id}/progress`, { token: l1.token, body: { progress: 55 } });
    const r = await t.call("GET", `${V}/courses/${c.id}/enrollments`, { token: ex.token });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(2);
    expect(
      r.body.results.map((x: any) => [x.user_id, x.username, x.progress, x.status, x.price_paid]),
    ).toEqual([
      [l2.id, l2.username, 0, "active", 100],
      [l1.id, l1.username, 55, "active", 100],
    ]);
    expect((await t.call("GET", `${V}/courses/${c.id}/enrollments`, { token: admin.token })).body.count).toBe(
      2,
    );
    expectError(
      await t.call("GET", `${V}/courses/${c.id}/enrollments`, { token: other.token }),
      404,
      "not_found",
    );
    expectError(
      await t.call("GET", `${V}/courses/${c.id}/enrollments`, { token: l1.token }),
      404,
      "not_found",
    );
    expectError(await t.call("GET", `${V}/courses/${c.id}/enrollments`), 401, "unauthenticated");
    expectError(
      await t.call("GET", `${V}/courses/999999/enrollments`, { token: ex.token }),
      404,
      "not_found",
    );
  });
});
