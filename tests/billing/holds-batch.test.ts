import { beforeEach, describe, expect, test } from "bun:test";
import { MINUTE } from "../../src/lib/time";
import { BILLING_SCHEDULES } from "../../src/modules/billing/notices";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";

let t: TestApp;
let u: Awaited<ReturnType<TestApp["user"]>>;
const post = (path: string, body?: unknown, token = u.token) =>
  t.call("POST", `/api/v1${path}`, { token, body });
const balance = async () => (await t.call("GET", "/api/v1/users/me/balance", { token: u.token })).body;

beforeEach(async () => {
  t = makeTestApp();
  u = await t.user();
});

describe("holds", () => {
  test("a hold leaves remaining_seconds at once and shows as held", async () => {
    grantSeconds(t, u.id, 300);
    const h = await post("/usage/holds", { seconds: 120, ttl_seconds: 600 });
    expect(h.status).toBe(201);
    expect(h.body).toMatchObject({
      seconds: 120,
      remaining_seconds: 120,
      status: "open",
      expires_at: "2026-11-22T10:10:00.000Z",
    });
    const b = await balance();
    expect(b.remaining_seconds).toBe(180);
    expect(b.held_seconds).toBe(120);
  });

  test("usages draw on the hold first, the excess on free seconds; release returns the rest", async () => {
    grantSeconds(t, u.id, 300);
    const h = (await post("/usage/holds", { seconds: 60 })).body;
    expect(
      (await post("/usage/record", { id: "a", seconds: 40, hold_id: h.id })).body.remaining_seconds,
    ).toBe(240);
    // 45 billed from the hold, 15 left; 30 more: 15 from the hold, 15 from free seconds.
    const r = await post("/usage/record", { id: "b", seconds: 30, hold_id: h.id });
    expect(r.status).toBe(201);
    expect(r.body.remaining_seconds).toBe(225);
    let b = await balance();
    expect(b.held_seconds).toBe(0);
    const rel = await post(`/usage/holds/${h.id}/release`);
    expect(rel.status).toBe(200);
    expect(rel.body.status).toBe("released");
    b = await balance();
    expect(b.remaining_seconds).toBe(225);
    expectError(await post(`/usage/holds/${h.id}/release`), 409, "conflict");
    expectError(await post("/usage/record", { id: "c", seconds: 1, hold_id: h.id }), 409, "conflict");
  });

  test("releasing an unused hold gives every second back", async () => {
    grantSeconds(t, u.id, 100);
    const h = (await post("/usage/holds", { seconds: 100 })).body;
    expect((await balance()).remaining_seconds).toBe(0);
    expectError(await post("/usage/record", { id: "x", seconds: 1 }), 402, "insufficient_minutes");
    await post(`/usage/holds/${h.id}/release`);
    expect((await balance()).remaining_seconds).toBe(100);
  });

  test("a hold larger than the balance is 402; hold plus free seconds short is 402", async () => {
    grantSeconds(t, u.id, 60);
    expectError(await post("/usage/holds", { seconds: 61 }), 402, "insufficient_minutes");
    const h = (await post("/usage/holds", { seconds: 30 })).body;
    const e = expectError(
      await post("/usage/record", { id: "z", seconds: 61, hold_id: h.id }),
      402,
      "insufficient_minutes",
    );
    expect(e.details.available_seconds).toBe(60);
    expect(t.ctx.sqlite.query("SELECT remaining_seconds FROM holds").get()).toEqual({
      remaining_seconds: 30,
    });
  });

  test("a hold lapses by TTL: its seconds return and it can no longer be used", async () => {
    grantSeconds(t, u.id, 100);
    const h = (await post("/usage/holds", { seconds: 50, ttl_seconds: 60 })).body;
    t.clock.advance(MINUTE);
    expect((await balance()).remaining_seconds).toBe(100);
    expect((await t.call("GET", `/api/v1/usage/holds/${h.id}`, { token: u.token })).body.status).toBe(
      "expired",
    );
    expectError(await post("/usage/record", { id: "late", seconds: 1, hold_id: h.id }), 409, "conflict");
    await BILLING_SCHEDULES.find((s) => s.name === "holds-expiry")?.run(t.ctx);
  });

  test("someone else's hold is 404 everywhere", async () => {
    const v = await t.user();
    grantSeconds(t, v.id, 100);
    grantSeconds(t, u.id, 100);
    const h = (await post("/usage/holds", { seconds: 10 }, v.token)).body;
    expectError(await t.call("GET", `/api/v1/usage/holds/${h.id}`, { token: u.token }), 404, "not_found");
    expectError(await post(`/usage/holds/${h.id}/release`), 404, "not_found");
    expectError(await post("/usage/record", { id: "steal", seconds: 5, hold_id: h.id }), 404, "not_found");
  });

  test("bad input and auth", async () => {
    for (const body of [
      { seconds: 0 },
      { seconds: -1 },
      { seconds: 1.5 },
      { seconds: 10, ttl_seconds: 1 },
      { seconds: 10, x: 1 },
      {},
    ]) {
      expectError(await post("/usage/holds", body), 400, "validation_failed");
    }
    expectError(
      await t.call("POST", "/api/v1/usage/holds", { body: { seconds: 10 } }),
      401,
      "unauthenticated",
    );
    expectError(await post("/usage/holds/abc/release"), 400, "validation_failed");
    expectError(await post("/usage/holds/999/release"), 404, "not_found");
  });
});

describe("POST /usage/batch", () => {
  test("one result per event; bad, duplicate and refused events do not sink the rest", async () => {
    grantSeconds(t, u.id, 60);
    await post("/usage/record", { id: "old", seconds: 15 });
    const r = await post("/usage/batch", {
      events: [
        { id: "e1", seconds: 10 },
        { id: "e2", seconds: -3 },
        { id: "old", seconds: 15 },
        { id: "old", seconds: 16 },
        { id: "e3", seconds: 100 },
        { id: "e4", seconds: 15 },
        { id: "e1", seconds: 10 },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: any) => [x.id, x.status])).toEqual([
      ["e1", 201],
      ["e2", 400],
      ["old", 200],
      ["old", 409],
      ["e3", 402],
      ["e4", 201],
      ["e1", 200],
    ]);
    expect(r.body).toMatchObject({ recorded: 2, replayed: 2, failed: 3 });
    expect(r.body.results[4].error.code).toBe("insufficient_minutes");
    expect((await balance()).remaining_seconds).toBe(15);
  });

  test("101 events, an empty list or a non-list are 400 and write nothing", async () => {
    grantSeconds(t, u.id, 100_000);
    const events = Array.from({ length: 101 }, (_, i) => ({ id: `b${i}`, seconds: 1 }));
    expectError(await post("/usage/batch", { events }), 400, "validation_failed");
    expectError(await post("/usage/batch", { events: [] }), 400, "validation_failed");
    expectError(await post("/usage/batch", { events: "x" }), 400, "validation_failed");
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM usage_events").get()).toEqual({ n: 0 });
  });

  test("100 events are accepted; auth is required", async () => {
    grantSeconds(t, u.id, 100_000);
    const events = Array.from({ length: 100 }, (_, i) => ({ id: `b${i}`, seconds: 15 }));
    const r = await post("/usage/batch", { events });
    expect(r.body.recorded).toBe(100);
    expect((await balance()).remaining_seconds).toBe(100_000 - 1500);
    expectError(await t.call("POST", "/api/v1/usage/batch", { body: { events } }), 401, "unauthenticated");
  });
});

describe("a hold that outlives its grants", () => {
  test("usage against it is refused once the grants behind it expired", async () => {
    grantSeconds(t, u.id, 100, 1);
    t.clock.advance(23 * 3600 * 1000);
    const h = (await post("/usage/holds", { seconds: 90, ttl_seconds: 86400 })).body;
    t.clock.advance(3600 * 1000);
    const e = expectError(
      await post("/usage/record", { id: "x", seconds: 90, hold_id: h.id }),
      402,
      "insufficient_minutes",
    );
    expect(e.details.available_seconds).toBe(0);
    expect(t.ctx.sqlite.query("SELECT remaining_seconds FROM grants").get()).toEqual({
      remaining_seconds: 100,
    });
  });

  test("only the part still backed by grants can be used", async () => {
    grantSeconds(t, u.id, 50, 1);
    grantSeconds(t, u.id, 50, 30);
    const h = (await post("/usage/holds", { seconds: 100, ttl_seconds: 86400 * 2 })).body;
    t.clock.advance(86400 * 1000);
    expectError(
      await post("/usage/record", { id: "y", seconds: 100, hold_id: h.id }),
      402,
      "insufficient_minutes",
    );
    const ok = await post("/usage/record", { id: "z", seconds: 45, hold_id: h.id });
    expect(ok.status).toBe(201);
    expect(ok.body.allocations.reduce((a: number, x: any) => a + x.seconds, 0)).toBe(45);
  });
});

describe("batch events", () => {
  test("a batch writes one usage.batch_recorded event listing every recorded usage", async () => {
    grantSeconds(t, u.id, 1000);
    await post("/usage/batch", {
      events: [
        { id: "p1", seconds: 1 },
        { id: "p2", seconds: 16 },
        { id: "p3", seconds: -1 },
      ],
    });
    const rows = t.ctx.sqlite.query("SELECT type, payload FROM events WHERE type LIKE 'usage.%'").all() as {
      type: string;
      payload: string;
    }[];
    expect(rows.map((r) => r.type)).toEqual(["usage.batch_recorded"]);
    expect(JSON.parse(rows[0]!.payload)).toEqual({
      count: 2,
      billed_seconds: 45,
      usages: [
        { id: "p1", billed_seconds: 15 },
        { id: "p2", billed_seconds: 30 },
      ],
    });
  });
});
