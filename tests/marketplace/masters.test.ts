import { beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { expertProfiles, expertSpecializations, reviews, users } from "../../src/db/schema";
import { isActiveExpert } from "../../src/modules/marketplace/experts/service";
import { recomputeScores } from "../../src/modules/scoring/recompute";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { makeExpert, makeOrder, makeSubject } from "../helpers/marketplace";

type U = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let admin: U;
let client: U;

const V1 = "/api/v1";
const count = (table: string, where = "1") =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
const auditRows = (action: string) =>
  t.ctx.sqlite.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id").all(action) as any[];
const eventRows = (type: string) =>
  t.ctx.sqlite.query("SELECT * FROM events WHERE type = ? ORDER BY id").all(type) as any[];
const notificationsOf = (userId: number) =>
  t.ctx.sqlite.query("SELECT * FROM notifications WHERE user_id = ? ORDER BY id").all(userId) as any[];
const profileOf = (userId: number) =>
  t.ctx.sqlite.query("SELECT * FROM expert_profiles WHERE user_id = ?").get(userId) as any;

const byId = (id: number) => eq(users.id, id);
const get = (path: string, token: string = admin.token) => t.call("GET", `${V1}${path}`, { token });
/** As admin unless a token is given; "" sends none. */
const post = (path: string, body?: unknown, token: string = admin.token) =>
  t.call("POST", `${V1}${path}`, { token, body });

/** A published (unless told otherwise) review of `direction` about `targetId`, on its own order. */
function review(
  targetId: number,
  rating: number,
  o: { direction?: "client_to_expert" | "expert_to_client"; published?: boolean } = {},
) {
  const subject = makeSubject(t);
  const order = makeOrder(t, {
    clientId: client.id,
    subjectId: subject.id,
    status: "completed",
    expertId: targetId,
  });
  t.ctx.db
    .insert(reviews)
    .values({
      orderId: order.id,
      direction: o.direction ?? "client_to_expert",
      authorId: client.id,
      targetId,
      rating,
      isPublished: o.published ?? true,
      createdAt: t.clock.now(),
    })
    .run();
}

beforeEach(async () => {
  t = makeTestApp();
  admin = await t.user("admin");
  client = await t.user("client");
});

describe("GET /admin/experts (seed 001 masters)", () => {
  test("experts only, newest first, with profile status, specialization counts and rating", async () => {
    const s1 = makeSubject(t);
    const s2 = makeSubject(t);
    const a = await makeExpert(t, [s1.id, s2.id], { firstName: "Anna", lastName: "Petrova" });
    // One unverified specialization besides the two verified ones.
    const s3 = makeSubject(t);
    t.ctx.db
      .insert(expertSpecializations)
      .values({ userId: a.id, subjectId: s3.id, createdAt: t.clock.now() })
      .run();
    review(a.id, 5);
    review(a.id, 4);
    review(a.id, 4);
    review(a.id, 1, { published: false });
    review(a.id, 1, { direction: "expert_to_client" });
    const b = await makeExpert(t);
    // An expert by role change, without a profile row.
    const c = await t.user("expert");

    const r = await get("/admin/experts");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ count: 3, next: null, previous: null });
    expect(r.body.results.map((x: any) => x.id)).toEqual([c.id, b.id, a.id]);
    const at = new Date(t.clock.now()).toISOString();
    expect(r.body.results[2]).toEqual({
      id: a.id,
      username: a.username,
      email: a.email,
      first_name: "Anna",
      last_name: "Petrova",
      is_banned: false,
      has_profile: true,
      is_active: true,
      suspended_reason: null,
      approved_at: at,
      specializations: 3,
      verified_specializations: 2,
      average_rating: 4.33,
      reviews_count: 3,
      created_at: at,
      // Written straight into the tables: no score was kept (the nightly rebuild would count one).
      master_score: null,
      score_components: null,
      score_updated_at: null,
    });
    expect(r.body.results[1]).toMatchObject({
      id: b.id,
      has_profile: true,
      is_active: true,
      specializations: 0,
      verified_specializations: 0,
      average_rating: null,
      reviews_count: 0,
    });
    expect(r.body.results[0]).toMatchObject({
      id: c.id,
      has_profile: false,
      is_active: false,
      approved_at: null,
    });
  });

  test("answers under /api/admin/masters too", async () => {
    const e = await makeExpert(t);
    for (const path of ["/api/admin/masters", "/api/admin/masters/", "/api/v1/admin/masters"]) {
      const r = await t.call("GET", path, { token: admin.token });
      expect(r.status).toBe(200);
      expect(r.body.results.map((x: any) => x.id)).toEqual([e.id]);
    }
  });

  test("filters: is_active, q on username, email and names (LIKE wildcards taken literally); pagination", async () => {
    const ivan = await makeExpert(t, [], { username: "ivan_k", firstName: "Ivan" });
    const maria = await makeExpert(t, [], {
      username: "maria",
      email: "maria@school.test",
      lastName: "Ivanova",
    });
    const olga = await makeExpert(t, [], { username: "olga100%" });
    await post(`/admin/experts/${olga.id}/suspend`, { reason: "late" });
    const noProfile = await t.user("expert", { username: "zed" });

    const ids = async (qs: string) => (await get(`/admin/experts${qs}`)).body.results.map((x: any) => x.id);
    expect(await ids("?is_active=true")).toEqual([maria.id, ivan.id]);
    expect(await ids("?is_active=false")).toEqual([noProfile.id, olga.id]);
    // LIKE folds ASCII case.
    expect(await ids("?q=IVAN_")).toEqual([ivan.id]);
    expect(await ids("?q=Ivan")).toEqual([maria.id, ivan.id]);
    expect(await ids("?q=school")).toEqual([maria.id]);
    expect(await ids("?q=100%25")).toEqual([olga.id]);
    expect(await ids("?q=%25")).toEqual([olga.id]);
    expect(await ids("?q=_")).toEqual([ivan.id]);
    expect(await ids("?q=nobody")).toEqual([]);
    expect(await ids("?q=Ivan&is_active=true")).toEqual([maria.id, ivan.id]);

    const p = await get("/admin/experts?page_size=2&page=2");
    expect(p.body).toMatchObject({ count: 4, next: null });
    expect(p.body.results.map((x: any) => x.id)).toEqual([maria.id, ivan.id]);

    for (const qs of ["?is_active=yes", "?page_size=101", "?page=0", `?q=${"x".repeat(101)}`]) {
      expectError(await get(`/admin/experts${qs}`), 400, "validation_failed");
    }
  });

  test("a client with a leftover profile is not listed; banned experts are, flagged", async () => {
    const e = await makeExpert(t);
    const demoted = await makeExpert(t);
    t.ctx.db.update(users).set({ role: "client" }).where(byId(demoted.id)).run();
    t.ctx.db.update(users).set({ isBanned: true }).where(byId(e.id)).run();
    const r = await get("/admin/experts");
    expect(r.body.results.map((x: any) => [x.id, x.is_banned])).toEqual([[e.id, true]]);
    expect(r.body.results.map((x: any) => x.id)).not.toContain(demoted.id);
  });

  test("the aggregates cost a fixed number of queries, not one per expert", async () => {
    const s = makeSubject(t);
    /** SQL statements Drizzle prepares while listing (bun-sqlite prepares each query it runs). */
    async function statementsFor(path: string) {
      const db = t.ctx.sqlite;
      const prepare = db.prepare.bind(db);
      const seen: string[] = [];
      db.prepare = ((q: string, ...rest: any[]) => {
        seen.push(q);
        return (prepare as any)(q, ...rest);
      }) as typeof db.prepare;
      try {
        const r = await get(path);
        expect(r.status).toBe(200);
        return {
          body: r.body,
          n: seen.filter((q) => /expert_profiles|expert_specializations|reviews/.test(q)).length,
        };
      } finally {
        db.prepare = prepare;
      }
    }
    const addExperts = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const e = await makeExpert(t, [s.id]);
        review(e.id, (i % 5) + 1);
      }
    };
    await addExperts(2);
    const few = await statementsFor("/admin/experts?page_size=100");
    await addExperts(28);
    const many = await statementsFor("/admin/experts?page_size=100");
    expect(many.body.count).toBe(30);
    expect(few.n).toBeGreaterThan(0);
    expect(many.n).toBe(few.n);
    expect(many.n).toBeLessThanOrEqual(4);
    expect(
      many.body.results.every((x: any) => x.verified_specializations === 1 && x.reviews_count === 1),
    ).toBe(true);
    const ratings = [2, 28].flatMap((n) => Array.from({ length: n }, (_, i) => (i % 5) + 1));
    expect(many.body.results.map((x: any) => x.average_rating).sort()).toEqual(ratings.sort());
  });

  test("security: 401 without a token; 403 for clients, experts and support; experts:read suffices", async () => {
    const e = await makeExpert(t);
    expectError(await get("/admin/experts", ""), 401, "unauthenticated");
    for (const u of [client, e, await t.user("support")]) {
      expectError(await get("/admin/experts", u.token), 403, "forbidden");
    }
    const reader = await t.user("support", { grantedPermissions: ["experts:read"] });
    expect((await get("/admin/experts", reader.token)).status).toBe(200);
  });
});

describe("POST /admin/experts/{id}/suspend and /activate", () => {
  let expert: U;
  beforeEach(async () => {
    expert = await makeExpert(t);
  });

  test("suspend: inactive with the reason, notified, audited, event; isActiveExpert turns false", async () => {
    expect(isActiveExpert(t.ctx.db, expert.id)).toBe(true);
    t.clock.advance(1000);
    const r = await post(`/admin/experts/${expert.id}/suspend`, { reason: "Missed deadlines" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: expert.id,
      has_profile: true,
      is_active: false,
      suspended_reason: "Missed deadlines",
    });
    expect(profileOf(expert.id)).toMatchObject({
      is_active: 0,
      suspended_reason: "Missed deadlines",
      updated_at: t.clock.now(),
    });
    expect(isActiveExpert(t.ctx.db, expert.id)).toBe(false);
    const [n] = notificationsOf(expert.id);
    expect(n).toMatchObject({ type: "system", title: "Expert account suspended" });
    expect(n.message).toContain("Missed deadlines");
    const [a] = auditRows("expert.suspended");
    expect(a).toMatchObject({ actor_id: admin.id, target_type: "user", target_id: String(expert.id) });
    expect(JSON.parse(a.details)).toEqual({ reason: "Missed deadlines", was_active: true });
    expect(eventRows("expert.suspended")).toHaveLength(1);
  });

  test("suspending a suspended expert changes nothing (200, audited, no event or notice)", async () => {
    await post(`/admin/experts/${expert.id}/suspend`, { reason: "first" });
    const r = await post(`/admin/experts/${expert.id}/suspend`, { reason: "second" });
    expect(r.status).toBe(200);
    expect(r.body.suspended_reason).toBe("first");
    expect(eventRows("expert.suspended")).toHaveLength(1);
    expect(notificationsOf(expert.id)).toHaveLength(1);
    expect(auditRows("expert.suspended")).toHaveLength(2);
  });

  test("activate: active again, reason cleared, notified; no body needed", async () => {
    await post(`/admin/experts/${expert.id}/suspend`, { reason: "x" });
    const r = await post(`/admin/experts/${expert.id}/activate`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ is_active: true, suspended_reason: null });
    expect(isActiveExpert(t.ctx.db, expert.id)).toBe(true);
    expect(notificationsOf(expert.id).map((n) => n.title)).toEqual([
      "Expert account suspended",
      "Expert account activated",
    ]);
    expect(eventRows("expert.activated")).toHaveLength(1);
    // Already active: nothing changes.
    expect((await post(`/admin/experts/${expert.id}/activate`, {})).status).toBe(200);
    expect(eventRows("expert.activated")).toHaveLength(1);
  });

  test("activate creates the missing profile of an expert made by a role change", async () => {
    const e = await t.user("expert");
    expect(isActiveExpert(t.ctx.db, e.id)).toBe(false);
    const r = await post(`/admin/experts/${e.id}/activate`, { reason: "checked by phone" });
    expect(r.body).toMatchObject({
      has_profile: true,
      is_active: true,
      approved_at: new Date(t.clock.now()).toISOString(),
    });
    expect(isActiveExpert(t.ctx.db, e.id)).toBe(true);
    expect(JSON.parse(auditRows("expert.activated")[0].details)).toEqual({
      reason: "checked by phone",
      was_active: false,
    });
  });

  test("under /api/admin/masters/{id}/suspend and /activate too", async () => {
    const s = await t.call("POST", `/api/admin/masters/${expert.id}/suspend/`, {
      token: admin.token,
      body: {},
    });
    expect(s.status).toBe(200);
    expect(s.body.is_active).toBe(false);
    const a = await t.call("POST", `/api/admin/masters/${expert.id}/activate`, { token: admin.token });
    expect(a.body.is_active).toBe(true);
  });

  test("not an expert or unknown 404; bad bodies 400; wrong role 403; no token 401 — nothing changes", async () => {
    expectError(await post(`/admin/experts/${client.id}/suspend`, {}), 404, "not_found");
    expectError(await post("/admin/experts/999/activate", {}), 404, "not_found");
    expectError(await post("/admin/experts/abc/suspend", {}), 400, "validation_failed");
    for (const body of [{ reason: "" }, { reason: 1 }, { reason: "x".repeat(1001) }, { until: "tomorrow" }]) {
      expectError(await post(`/admin/experts/${expert.id}/suspend`, body), 400, "validation_failed");
    }
    const other = await makeExpert(t);
    const reader = await t.user("support", { grantedPermissions: ["experts:read", "experts:review"] });
    for (const token of [client.token, other.token, expert.token, reader.token]) {
      expectError(await post(`/admin/experts/${expert.id}/suspend`, {}, token), 403, "forbidden");
      expectError(await post(`/admin/experts/${expert.id}/activate`, {}, token), 403, "forbidden");
    }
    expectError(await post(`/admin/experts/${expert.id}/suspend`, {}, ""), 401, "unauthenticated");
    expect(profileOf(expert.id).is_active).toBe(1);
    expect(count("audit_log")).toBe(0);
    expect(notificationsOf(expert.id)).toHaveLength(0);
    const manager = await t.user("support", { grantedPermissions: ["experts:manage"] });
    expect((await post(`/admin/experts/${expert.id}/suspend`, {}, manager.token)).status).toBe(200);
  });
});

describe("isActiveExpert()", () => {
  test("role expert, a profile, active, not banned", async () => {
    const e = await makeExpert(t);
    expect(isActiveExpert(t.ctx.db, e.id)).toBe(true);
    // No profile.
    expect(isActiveExpert(t.ctx.db, (await t.user("expert")).id)).toBe(false);
    // A profile but another role.
    const demoted = await makeExpert(t);
    t.ctx.db.update(users).set({ role: "client" }).where(byId(demoted.id)).run();
    expect(isActiveExpert(t.ctx.db, demoted.id)).toBe(false);
    // Suspended.
    const suspended = await makeExpert(t);
    t.ctx.db.update(expertProfiles).set({ isActive: false }).run();
    expect(isActiveExpert(t.ctx.db, suspended.id)).toBe(false);
    t.ctx.db.update(expertProfiles).set({ isActive: true }).run();
    // Banned.
    t.ctx.db.update(users).set({ isBanned: true }).where(byId(e.id)).run();
    expect(isActiveExpert(t.ctx.db, e.id)).toBe(false);
    expect(isActiveExpert(t.ctx.db, client.id)).toBe(false);
    expect(isActiveExpert(t.ctx.db, 999)).toBe(false);
    expect(isActiveExpert(t.ctx.db, suspended.id)).toBe(true);
  });

  test("works inside a transaction (the orders module calls it from its take verb)", async () => {
    const e = await makeExpert(t);
    const seen = t.ctx.db.transaction((tx) => isActiveExpert(tx, e.id), { behavior: "immediate" });
    expect(seen).toBe(true);
  });

  test("an approved application makes an active expert", async () => {
    const a = await t.call("POST", `${V1}/experts/applications`, { token: client.token, body: {} });
    expect(isActiveExpert(t.ctx.db, client.id)).toBe(false);
    await post(`/admin/experts/applications/${a.body.id}/approve`, {});
    expect(isActiveExpert(t.ctx.db, client.id)).toBe(true);
  });
});

describe("GET /admin/experts ordering and min_score", () => {
  test("created_at orders oldest first, -created_at newest first (the default)", async () => {
    const a = await t.user("expert");
    const b = await t.user("expert");
    const ids = async (q: string) =>
      (await t.call("GET", `${V1}/admin/experts${q}`, { token: admin.token })).body.results.map(
        (e: { id: number }) => e.id,
      );
    expect(await ids("?ordering=created_at")).toEqual([a.id, b.id]);
    expect(await ids("?ordering=-created_at")).toEqual([b.id, a.id]);
    expect(await ids("")).toEqual([b.id, a.id]);
  });

  /**
   * Five experts with stored scores from the rebuild (reviews on completed orders taken at once, so
   * success 30, timeliness 15 and response 15 for each expert with orders):
   * a: 5, 5 -> 40 + 60 = 100; b: 3 -> 20 + 60 = 80; d: 1 -> 0 + 60 = 60; c: nothing -> 20 + 15 +
   * 7.5 + 7.5 = 50; f: made an expert after the rebuild, no score yet.
   */
  async function scored() {
    const a = await makeExpert(t);
    review(a.id, 5);
    review(a.id, 5);
    const b = await makeExpert(t);
    review(b.id, 3);
    const c = await makeExpert(t);
    const d = await makeExpert(t);
    review(d.id, 1);
    recomputeScores(t.ctx);
    const f = await t.user("expert");
    return { a, b, c, d, f };
  }
  const ids = async (q: string) => {
    const r = await t.call("GET", `/api/admin/masters/?${q}`, { token: admin.token });
    expect(r.status).toBe(200);
    return r.body.results.map((e: { id: number }) => e.id);
  };

  test("each expert carries the stored master score and its components; none before the first computation", async () => {
    const { a, c, f } = await scored();
    const r = await get("/admin/experts?page_size=100");
    const of = (id: number) => r.body.results.find((x: any) => x.id === id);
    const at = new Date(t.clock.now()).toISOString();
    expect(of(a.id)).toMatchObject({
      master_score: 100,
      score_components: { rating: 40, success: 30, timeliness: 15, response: 15 },
      score_updated_at: at,
    });
    expect(of(c.id)).toMatchObject({
      master_score: 50,
      score_components: { rating: 20, success: 15, timeliness: 7.5, response: 7.5 },
    });
    expect(of(f.id)).toMatchObject({ master_score: null, score_components: null, score_updated_at: null });
  });

  test("-master_score and master_score sort by the stored score, experts without one last", async () => {
    const { a, b, c, d, f } = await scored();
    expect(await ids("ordering=-master_score")).toEqual([a.id, b.id, d.id, c.id, f.id]);
    expect(await ids("ordering=master_score")).toEqual([c.id, d.id, b.id, a.id, f.id]);
  });

  test("-rating sorts by average rating; experts without reviews last, newest first", async () => {
    const { a, b, c, d, f } = await scored();
    expect(await ids("ordering=-rating")).toEqual([a.id, b.id, d.id, f.id, c.id]);
  });

  test("min_score keeps experts at or above it (count included); unscored experts are left out", async () => {
    const { a, b, d } = await scored();
    expect(await ids("min_score=60")).toEqual([d.id, b.id, a.id]);
    expect(await ids("min_score=80&ordering=-master_score")).toEqual([a.id, b.id]);
    expect(await ids("min_score=100")).toEqual([a.id]);
    const r = await t.call("GET", "/api/admin/masters/?min_score=60.5&page_size=1", { token: admin.token });
    expect(r.body).toMatchObject({ count: 2, results: [{ id: b.id }] });
    expect(await ids("min_score=0")).toHaveLength(4);
  });

  test.each([
    ["ordering=nope"],
    ["ordering=-updated_at"],
    ["min_score=101"],
    ["min_score=-1"],
    ["min_score=high"],
    ["sort=x"],
  ])("?%s is a documented 400, never silently ignored", async (q) => {
    const r = await t.call("GET", `/api/admin/masters/?${q}`, { token: admin.token });
    expectError(r, 400, "validation_failed");
  });
});
