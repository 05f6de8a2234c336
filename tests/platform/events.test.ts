import { beforeEach, describe, expect, test } from "bun:test";
import { emit } from "../../src/modules/platform/events/service";
import { listEventTypes } from "../../src/modules/platform/events/types";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

let t: TestApp;
let admin: Awaited<ReturnType<TestApp["user"]>>;

beforeEach(async () => {
  t = makeTestApp();
  admin = await t.user("admin");
});

/** Writes events directly, `ms` apart, so filters have something to choose from. */
function seed() {
  const rows: [string, number | null, string, string][] = [
    ["order.created", 1, "order", "10"],
    ["order.take", 2, "order", "10"],
    ["order_thing.created", 1, "other", "1"],
    ["purchase.created", 3, "purchase", "7"],
    ["order.cancel", 1, "order", "11"],
  ];
  for (const [type, actorId, subjectType, subjectId] of rows) {
    t.clock.advance(1000);
    // Raw rows: `order_thing.created` is no real type, it only checks that `order.` is a real prefix.
    t.ctx.sqlite
      .query(
        "INSERT INTO events (type, actor_id, subject_type, subject_id, payload, created_at) VALUES (?, ?, ?, ?, '{\"n\":1}', ?)",
      )
      .run(type, actorId, subjectType, subjectId, t.clock.now());
  }
}

const list = (q = "", token = admin.token) => t.call("GET", `/api/v1/events${q}`, { token });

describe("GET /events", () => {
  test("newest first, paginated, with the documented shape", async () => {
    seed();
    const r = await list("?page_size=2");
    expect(r.status).toBe(200);
    expect(r.body.count).toBeGreaterThanOrEqual(5);
    expect(r.body.results).toHaveLength(2);
    expect(r.body.results[0]).toEqual({
      id: expect.any(Number),
      type: "order.cancel",
      actor_id: 1,
      subject_type: "order",
      subject_id: "11",
      payload: { n: 1 },
      created_at: new Date(t.clock.now()).toISOString(),
    });
    expect(r.body.next).toContain("page=2");
  });

  test("type filters: exact, a prefix with a dot, a prefix with .* (order_thing is not under order.)", async () => {
    seed();
    const types = async (q: string) => (await list(q)).body.results.map((e: { type: string }) => e.type);
    expect(await types("?type=order.take")).toEqual(["order.take"]);
    expect(await types("?type=order.")).toEqual(["order.cancel", "order.take", "order.created"]);
    expect(await types("?type=order.*")).toEqual(["order.cancel", "order.take", "order.created"]);
  });

  test("subject, actor and time filters combine", async () => {
    seed();
    const start = t.clock.now() - 5000;
    const r = await list(`?subject_type=order&subject_id=10&actor_id=2`);
    expect(r.body.results.map((e: { type: string }) => e.type)).toEqual(["order.take"]);
    const from = new Date(start + 3000).toISOString();
    const to = new Date(start + 4000).toISOString();
    const w = await list(`?from=${from}&to=${to}`);
    expect(w.body.results.map((e: { type: string }) => e.type)).toEqual([
      "purchase.created",
      "order_thing.created",
    ]);
  });

  test.each([
    ["type=ORDER"],
    ["type=a b"],
    ["actor_id=x"],
    ["from=yesterday"],
    ["page_size=101"],
    ["nope=1"],
  ])("?%s is 400", async (q) => {
    expectError(await list(`?${q}`), 400, "validation_failed");
  });

  test("support reads it (events:read); clients get 403; no credentials 401; also under /api/events/", async () => {
    expect((await list("", (await t.user("support")).token)).status).toBe(200);
    expectError(await list("", (await t.user("client")).token), 403, "forbidden");
    expectError(await t.call("GET", "/api/v1/events"), 401, "unauthenticated");
    expect((await t.call("GET", "/api/events/", { token: admin.token })).status).toBe(200);
  });
});

describe("GET /admin/event-types", () => {
  test("lists every declared type with its module and description", async () => {
    const r = await t.call("GET", "/api/v1/admin/event-types", { token: admin.token });
    expect(r.status).toBe(200);
    const types = r.body.results.map((e: { type: string }) => e.type);
    for (const ty of [
      "order.created",
      "order.take",
      "purchase.succeeded",
      "user.registered",
      "usage.recorded",
    ]) {
      expect(types).toContain(ty);
    }
    expect(r.body.results).toHaveLength(listEventTypes().length);
    expect(r.body.results.find((e: { type: string }) => e.type === "order.created").module).toBe(
      "marketplace",
    );
    expectError(
      await t.call("GET", "/api/v1/admin/event-types", { token: (await t.user("client")).token }),
      403,
      "forbidden",
    );
  });
});

describe("declared types", () => {
  test("emitting a type no module declared fails (in tests), so the list stays complete", () => {
    expect(() =>
      t.ctx.db.transaction((tx) => emit(tx, t.clock.now(), { type: "nobody.declared_this" })),
    ).toThrow(/not declared/);
  });
});
