import { beforeEach, describe, expect, test } from "bun:test";
import { groupCommit } from "../../src/db/group-commit";
import { DAY } from "../../src/lib/time";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";

let t: TestApp;
let u: Awaited<ReturnType<TestApp["user"]>>;
const record = (body: unknown, token = u.token) => t.call("POST", "/api/v1/usage/record", { token, body });
const balance = async (token = u.token) => (await t.call("GET", "/api/v1/users/me/balance", { token })).body;
const count = (table: string) =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

beforeEach(async () => {
  t = makeTestApp();
  u = await t.user();
});

describe("POST /usage/record", () => {
  test("bills in 15-second blocks and answers the contract shape", async () => {
    const g = grantSeconds(t, u.id, 600);
    for (const [seconds, billed] of [
      [1, 15],
      [15, 15],
      [16, 30],
      [44, 45],
    ]) {
      const r = await record({ id: `u-${seconds}`, seconds, service: "speechkit" });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({
        id: `u-${seconds}`,
        seconds,
        billed_seconds: billed,
        remaining_seconds: expect.any(Number),
        allocations: [{ grant_id: g.id, seconds: billed }],
      });
    }
    expect((await balance()).remaining_seconds).toBe(600 - 15 - 15 - 30 - 45);
  });

  test("the block size is a setting", async () => {
    grantSeconds(t, u.id, 600);
    t.ctx.settings.setNow({ usage_block_seconds: 60 });
    expect((await record({ id: "x", seconds: 61 })).body.billed_seconds).toBe(120);
  });

  test("draws from the grant that expires first, spilling over to the next", async () => {
    const later = grantSeconds(t, u.id, 100, 30);
    const sooner = grantSeconds(t, u.id, 20, 5);
    const r = await record({ id: "a", seconds: 45 });
    expect(r.body.allocations).toEqual([
      { grant_id: sooner.id, seconds: 20 },
      { grant_id: later.id, seconds: 25 },
    ]);
    const b = await balance();
    expect(b.remaining_seconds).toBe(75);
    expect(b.grants.map((g: any) => g.id)).toEqual([later.id]);
  });

  test("same id and body replays 200 with the same result; another body is 409", async () => {
    grantSeconds(t, u.id, 100);
    const first = await record({ id: "r1", seconds: 10, service: "s" });
    const again = await record({ id: "r1", seconds: 10, service: "s" });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expectError(await record({ id: "r1", seconds: 11, service: "s" }), 409, "idempotency_conflict");
    expectError(await record({ id: "r1", seconds: 10 }), 409, "idempotency_conflict");
    expect(count("usage_events")).toBe(1);
    expect((await balance()).remaining_seconds).toBe(85);
  });

  test("usage ids are per user", async () => {
    const v = await t.user();
    grantSeconds(t, u.id, 100);
    grantSeconds(t, v.id, 100);
    expect((await record({ id: "same", seconds: 5 })).status).toBe(201);
    expect((await record({ id: "same", seconds: 7 }, v.token)).status).toBe(201);
  });

  test("not enough minutes is 402 with available_seconds and changes nothing", async () => {
    grantSeconds(t, u.id, 30);
    const before = t.ctx.sqlite.query("SELECT * FROM grants").all();
    const e = expectError(await record({ id: "big", seconds: 31 }), 402, "insufficient_minutes");
    expect(e.details.available_seconds).toBe(30);
    expect(t.ctx.sqlite.query("SELECT * FROM grants").all()).toEqual(before);
    expect(count("usage_events")).toBe(0);
    // The refused id is not burnt: it can be recorded once minutes arrive.
    grantSeconds(t, u.id, 60);
    expect((await record({ id: "big", seconds: 31 })).status).toBe(201);
  });

  test("expired grants stop counting at their expiry instant", async () => {
    grantSeconds(t, u.id, 60, 1);
    t.clock.advance(DAY - 1);
    expect((await balance()).remaining_seconds).toBe(60);
    t.clock.advance(1);
    expect((await balance()).remaining_seconds).toBe(0);
    expectError(await record({ id: "late", seconds: 1 }), 402, "insufficient_minutes");
  });

  const bad: [string, unknown][] = [
    ["negative seconds", { id: "a", seconds: -5 }],
    ["zero seconds", { id: "a", seconds: 0 }],
    ["fractional seconds", { id: "a", seconds: 1.5 }],
    ["string seconds", { id: "a", seconds: "10" }],
    ["empty id", { id: "", seconds: 10 }],
    ["missing id", { seconds: 10 }],
    ["unknown field", { id: "a", seconds: 10, minutes: 1 }],
    ["bad occurred_at", { id: "a", seconds: 10, occurred_at: "yesterday" }],
    ["bad hold id", { id: "a", seconds: 10, hold_id: "h" }],
  ];
  for (const [name, body] of bad) {
    test(`bad input: ${name} -> 400, nothing written`, async () => {
      grantSeconds(t, u.id, 100);
      expectError(await record(body), 400, "validation_failed");
      expect(count("usage_events")).toBe(0);
    });
  }

  test("security: no auth 401, key without usage:write 403, key with it 201", async () => {
    grantSeconds(t, u.id, 100);
    expectError(
      await t.call("POST", "/api/v1/usage/record", { body: { id: "a", seconds: 1 } }),
      401,
      "unauthenticated",
    );
    const ro = await t.call("POST", "/api/v1/me/api-keys", {
      token: u.token,
      body: { name: "ro", scopes: ["balance:read"] },
    });
    expectError(await record({ id: "a", seconds: 1 }, ro.body.key), 403, "forbidden");
    const rw = await t.call("POST", "/api/v1/me/api-keys", {
      token: u.token,
      body: { name: "rw", scopes: ["usage:write"] },
    });
    expect((await record({ id: "a", seconds: 1 }, rw.body.key)).status).toBe(201);
  });

  test("the seed-002 alias /api/usage/record/ works", async () => {
    grantSeconds(t, u.id, 100);
    const r = await t.call("POST", "/api/usage/record/", {
      token: u.token,
      body: { id: "alias", seconds: 3 },
    });
    expect(r.status).toBe(201);
  });

  test("records sent together share one commit and still stand alone: refusals, replays and conflicts", async () => {
    grantSeconds(t, u.id, 60); // four 15-second blocks
    const before = groupCommit(t.ctx.sqlite).stats.groups;
    const rs = await Promise.all([
      record({ id: "g1", seconds: 7 }),
      record({ id: "g2", seconds: 7 }),
      record({ id: "g1", seconds: 7 }), // same id, same body: the replay of the first
      record({ id: "g2", seconds: 8 }), // same id, another body
      record({ id: "g3", seconds: 7 }),
      record({ id: "g4", seconds: 7 }),
      record({ id: "g5", seconds: 7 }), // the fifth block does not exist
    ]);
    expect(groupCommit(t.ctx.sqlite).stats.groups - before).toBe(1);
    expect(rs.map((r) => r.status)).toEqual([201, 201, 200, 409, 201, 201, 402]);
    expect(rs[2]!.body).toEqual(rs[0]!.body);
    expectError(rs[3]!, 409, "idempotency_conflict");
    expectError(rs[6]!, 402, "insufficient_minutes");
    expect(count("usage_events")).toBe(4);
    expect(count("usage_allocations")).toBe(4);
    expect(
      t.ctx.sqlite.query("SELECT count(*) AS n FROM events WHERE type = 'usage.recorded'").get(),
    ).toEqual({ n: 4 });
    expect((await balance()).remaining_seconds).toBe(0);
    expect(rs.slice(0, 6).map((r) => r.body.remaining_seconds)).toEqual([45, 30, 45, undefined, 15, 0]);
  });

  test("each usage emits a platform event in the same transaction", async () => {
    grantSeconds(t, u.id, 100);
    await record({ id: "ev", seconds: 3 });
    const ev = t.ctx.sqlite
      .query<{ subject_type: string; subject_id: string; payload: string }, []>(
        "SELECT subject_type, subject_id, payload FROM events WHERE type = 'usage.recorded'",
      )
      .all();
    expect(ev.map((e) => ({ ...e, payload: JSON.parse(e.payload) }))).toEqual([
      {
        subject_type: "user",
        subject_id: String(u.id),
        payload: { id: "ev", seconds: 3, billed_seconds: 15, hold_id: null },
      },
    ]);
  });
});

describe("GET /users/me/balance", () => {
  test("contract shape with grants and wallet", async () => {
    const g = grantSeconds(t, u.id, 150);
    const b = await balance();
    expect(b).toEqual({
      remaining_seconds: 150,
      remaining_minutes: 2,
      held_seconds: 0,
      grants: [
        {
          id: g.id,
          package_id: null,
          remaining_seconds: 150,
          total_seconds: 150,
          purchased_at: "2026-11-22T10:00:00.000Z",
          expires_at: "2026-12-22T10:00:00.000Z",
          status: "active",
        },
      ],
      wallet: { available: 0, held: 0, currency: "RUB" },
    });
  });

  test("alias /api/users/me/balance/, key with balance:read, no auth 401", async () => {
    grantSeconds(t, u.id, 10);
    expect((await t.call("GET", "/api/users/me/balance/", { token: u.token })).body.remaining_seconds).toBe(
      10,
    );
    const k = await t.call("POST", "/api/v1/me/api-keys", {
      token: u.token,
      body: { name: "b", scopes: ["balance:read"] },
    });
    expect((await balance(k.body.key)).remaining_seconds).toBe(10);
    expectError(await t.call("GET", "/api/v1/users/me/balance"), 401, "unauthenticated");
  });

  test("a user only ever sees their own minutes", async () => {
    const v = await t.user();
    grantSeconds(t, v.id, 999);
    expect((await balance()).remaining_seconds).toBe(0);
  });
});

describe("GET /usage", () => {
  test("paginated history, newest first, own only", async () => {
    const v = await t.user();
    grantSeconds(t, u.id, 1000);
    grantSeconds(t, v.id, 1000);
    for (let i = 0; i < 3; i++) await record({ id: `h${i}`, seconds: 1 });
    await record({ id: "other", seconds: 1 }, v.token);
    const r = await t.call("GET", "/api/v1/usage?page_size=2", { token: u.token });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(3);
    expect(r.body.results.map((x: any) => x.id)).toEqual(["h2", "h1"]);
    expect(r.body.next).toContain("page=2");
    expectError(
      await t.call("GET", "/api/v1/usage?page_size=1000", { token: u.token }),
      400,
      "validation_failed",
    );
    expectError(await t.call("GET", "/api/v1/usage"), 401, "unauthenticated");
  });
});
