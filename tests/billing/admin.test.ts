import { beforeEach, describe, expect, test } from "bun:test";
import { purchases } from "../../src/db/schema";
import { DAY } from "../../src/lib/time";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";

type U = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let admin: U;
let alice: U;
let bob: U;

const count = (table: string, where = "1") =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
const grantsOf = (userId: number) =>
  t.ctx.sqlite.query("SELECT * FROM grants WHERE user_id = ? ORDER BY id").all(userId) as any[];
const balance = async (u: U) => (await t.call("GET", "/api/v1/users/me/balance", { token: u.token })).body;
const get = (path: string, token?: string) => t.call("GET", `/api/v1${path}`, { token });
const minutes = (userId: number, body: unknown, token = admin.token) =>
  t.call("POST", `/api/v1/admin/users/${userId}/minutes`, { token, body });

function purchase(userId: number, extra: Partial<typeof purchases.$inferInsert> = {}) {
  t.clock.advance(1000);
  const now = t.clock.now();
  return t.ctx.db
    .insert(purchases)
    .values({
      userId,
      kind: "package",
      provider: "stripe",
      amount: 99000,
      currency: "RUB",
      createdAt: now,
      updatedAt: now,
      ...extra,
    })
    .returning()
    .get();
}

beforeEach(async () => {
  t = makeTestApp();
  admin = await t.user("admin");
  alice = await t.user("client");
  bob = await t.user("expert");
});

describe("GET /admin/purchases", () => {
  test("every user's purchases, newest first, filterable by user, status and provider", async () => {
    const p1 = purchase(alice.id, { status: "succeeded", paidAt: t.clock.now(), providerRef: "cs_1" });
    const p2 = purchase(bob.id, { provider: "yookassa", status: "pending", amount: 5000 });
    const p3 = purchase(alice.id, {
      provider: "wallet",
      status: "failed",
      failureReason: "nope",
      kind: "topup",
    });

    const all = await get("/admin/purchases", admin.token);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ count: 3, next: null, previous: null });
    expect(all.body.results.map((p: any) => p.id)).toEqual([p3.id, p2.id, p1.id]);
    expect(all.body.results[2]).toEqual({
      id: p1.id,
      user_id: alice.id,
      kind: "package",
      package_id: null,
      provider: "stripe",
      status: "succeeded",
      amount: 99000,
      currency: "RUB",
      discount: 0,
      promo_code_id: null,
      provider_ref: "cs_1",
      confirmation_url: null,
      failure_reason: null,
      paid_at: new Date(p1.paidAt!).toISOString(),
      refunded_at: null,
      created_at: new Date(p1.createdAt).toISOString(),
      updated_at: new Date(p1.updatedAt).toISOString(),
    });

    const ids = async (qs: string) =>
      (await get(`/admin/purchases?${qs}`, admin.token)).body.results.map((p: any) => p.id);
    expect(await ids(`user_id=${alice.id}`)).toEqual([p3.id, p1.id]);
    expect(await ids("status=pending")).toEqual([p2.id]);
    expect(await ids("provider=wallet")).toEqual([p3.id]);
    expect(await ids(`user_id=${alice.id}&status=succeeded&provider=stripe`)).toEqual([p1.id]);
    expect(await ids("kind=topup")).toEqual([p3.id]);
    expect(await ids("user_id=99999")).toEqual([]);

    const page = await get("/admin/purchases?page_size=2&status=pending&page=1", admin.token);
    expect(page.body.count).toBe(1);
    const paged = await get("/admin/purchases?page_size=2", admin.token);
    expect(paged.body.next).toBe("/api/v1/admin/purchases?page_size=2&page=2");
  });

  test("bad filters are 400", async () => {
    for (const qs of ["status=paid", "provider=paypal", "user_id=abc", "user_id=0", "page=0"]) {
      expectError(await get(`/admin/purchases?${qs}`, admin.token), 400, "validation_failed");
    }
  });

  test("end users are 403 (they hold only purchases:read/write for their own); no auth 401", async () => {
    purchase(alice.id);
    expectError(await get("/admin/purchases", alice.token), 403, "forbidden");
    expectError(await get("/admin/purchases", bob.token), 403, "forbidden");
    const support = await t.user("support");
    expectError(await get("/admin/purchases", support.token), 403, "forbidden");
    expectError(await get("/admin/purchases"), 401, "unauthenticated");
    // A wildcard scope exceeds an end user's permissions, so no such key can even be made.
    const wild = await t.call("POST", "/api/v1/me/api-keys", {
      token: alice.token,
      body: { name: "k", scopes: ["purchases:*"] },
    });
    expectError(wild, 403, "forbidden");
    const key = await t.call("POST", "/api/v1/me/api-keys", {
      token: alice.token,
      body: { name: "k", scopes: ["purchases:read"] },
    });
    expectError(await get("/admin/purchases", key.body.key), 403, "forbidden");
  });

  test("staff granted purchases:read_all may read", async () => {
    purchase(alice.id);
    const support = await t.user("support", { grantedPermissions: ["purchases:read_all"] });
    const r = await get("/admin/purchases", support.token);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(1);
  });
});

describe("GET /admin/usage", () => {
  test("every user's usage with allocations, newest first, filterable by user", async () => {
    const ga = grantSeconds(t, alice.id, 100, 5);
    const gb = grantSeconds(t, alice.id, 600, 30);
    grantSeconds(t, bob.id, 600);
    const rec = (u: U, id: string, seconds: number) =>
      t.call("POST", "/api/v1/usage/record", { token: u.token, body: { id, seconds, service: "stt" } });
    expect((await rec(alice, "a1", 50)).status).toBe(201);
    expect((await rec(bob, "b1", 10)).status).toBe(201);
    expect((await rec(alice, "a2", 80)).status).toBe(201);

    const r = await get("/admin/usage", admin.token);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(3);
    expect(r.body.results.map((u: any) => [u.user_id, u.id])).toEqual([
      [alice.id, "a2"],
      [bob.id, "b1"],
      [alice.id, "a1"],
    ]);
    expect(r.body.results[0]).toEqual({
      id: "a2",
      user_id: alice.id,
      seconds: 80,
      billed_seconds: 90,
      remaining_seconds: 700 - 60 - 90,
      service: "stt",
      occurred_at: null,
      hold_id: null,
      allocations: [
        { grant_id: ga.id, seconds: 40 },
        { grant_id: gb.id, seconds: 50 },
      ],
      created_at: new Date(t.clock.now()).toISOString(),
    });
    const mine = await get(`/admin/usage?user_id=${bob.id}`, admin.token);
    expect(mine.body.results.map((u: any) => u.id)).toEqual(["b1"]);
    const paged = await get("/admin/usage?page_size=2&page=2", admin.token);
    expect(paged.body.results.map((u: any) => u.id)).toEqual(["a1"]);
    expectError(await get("/admin/usage?user_id=x", admin.token), 400, "validation_failed");
  });

  test("end users are 403 even with usage:* for their own; no auth 401; staff with the grant 200", async () => {
    expectError(await get("/admin/usage", alice.token), 403, "forbidden");
    expectError(await get("/admin/usage"), 401, "unauthenticated");
    const support = await t.user("support", { grantedPermissions: ["usage:read_all"] });
    expect((await get("/admin/usage", support.token)).status).toBe(200);
    expectError(await get("/admin/purchases", support.token), 403, "forbidden");
  });
});

describe("POST /admin/users/{id}/minutes", () => {
  test("a positive amount creates a grant valid validity_days (default 30), audited", async () => {
    const r = await minutes(alice.id, { seconds: 600, reason: "goodwill" });
    expect(r.status).toBe(200);
    const now = t.clock.now();
    expect(r.body).toEqual({
      user_id: alice.id,
      seconds: 600,
      reason: "goodwill",
      grant: {
        id: expect.any(Number),
        total_seconds: 600,
        remaining_seconds: 600,
        purchased_at: new Date(now).toISOString(),
        expires_at: new Date(now + 30 * DAY).toISOString(),
        status: "active",
      },
      removed_seconds: 0,
      remaining_seconds: 600,
      held_seconds: 0,
    });
    expect(grantsOf(alice.id)[0]).toMatchObject({
      reason: "goodwill",
      purchase_id: null,
      total_seconds: 600,
    });
    expect((await balance(alice)).remaining_seconds).toBe(600);

    const seven = await minutes(alice.id, { seconds: 60, reason: "trial", validity_days: 7 });
    expect(seven.body.grant.expires_at).toBe(new Date(now + 7 * DAY).toISOString());
    expect(seven.body.remaining_seconds).toBe(660);

    const audits = t.ctx.sqlite
      .query("SELECT * FROM audit_log WHERE action = 'minutes.adjusted' ORDER BY id")
      .all() as any[];
    expect(audits).toHaveLength(2);
    expect(audits[0]).toMatchObject({ actor_id: admin.id, target_type: "user", target_id: String(alice.id) });
    expect(JSON.parse(audits[0].details)).toEqual({
      seconds: 600,
      reason: "goodwill",
      grant_id: r.body.grant.id,
      validity_days: 30,
    });
    const ev = t.ctx.sqlite.query("SELECT * FROM events WHERE type = 'grant.created'").all() as any[];
    expect(ev.map((e) => e.actor_id)).toEqual([admin.id, admin.id]);
  });

  test("a negative amount takes seconds back in spend order and never more than is free", async () => {
    const soon = grantSeconds(t, alice.id, 100, 5);
    const later = grantSeconds(t, alice.id, 500, 30);
    const r = await minutes(alice.id, { seconds: -150, reason: "chargeback" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ grant: null, removed_seconds: 150, remaining_seconds: 450 });
    const gs = grantsOf(alice.id);
    expect(gs.find((g) => g.id === soon.id)).toMatchObject({ remaining_seconds: 0, status: "exhausted" });
    expect(gs.find((g) => g.id === later.id)).toMatchObject({ remaining_seconds: 450, status: "active" });
    const ev = t.ctx.sqlite.query("SELECT * FROM events WHERE type = 'minutes.adjusted'").all() as any[];
    expect(ev).toHaveLength(1);
    expect(JSON.parse(auditOf("minutes.adjusted")[0].details)).toMatchObject({
      seconds: -150,
      removed_seconds: 150,
    });
  });

  test("taking back more than is free (holds count) is 402 insufficient_minutes and changes nothing", async () => {
    grantSeconds(t, alice.id, 300);
    const hold = await t.call("POST", "/api/v1/usage/holds", { token: alice.token, body: { seconds: 200 } });
    expect(hold.status).toBe(201);
    const before = grantsOf(alice.id);
    const events = count("events");
    const e = expectError(
      await minutes(alice.id, { seconds: -101, reason: "too much" }),
      402,
      "insufficient_minutes",
    );
    expect(e.details.available_seconds).toBe(100);
    expect(grantsOf(alice.id)).toEqual(before);
    expect(count("events")).toBe(events);
    expect(count("audit_log")).toBe(0);
    expect((await minutes(alice.id, { seconds: -100, reason: "exact" })).body.remaining_seconds).toBe(0);
  });

  test("unknown user 404, bad bodies 400, nothing written", async () => {
    expectError(await minutes(99999, { seconds: 60, reason: "x" }), 404, "not_found");
    const bad: [unknown, string][] = [
      [{ seconds: 0, reason: "x" }, "json.seconds"],
      [{ seconds: 1.5, reason: "x" }, "json.seconds"],
      [{ seconds: "60", reason: "x" }, "json.seconds"],
      [{ seconds: 60 }, "json.reason"],
      [{ seconds: 60, reason: "  " }, "json.reason"],
      [{ seconds: 60, reason: "x", validity_days: 0 }, "json.validity_days"],
      [{ seconds: 60, reason: "x", user_id: 3 }, "json"],
    ];
    for (const [body, path] of bad) {
      const err = expectError(await minutes(alice.id, body), 400, "validation_failed");
      expect(
        err.details.issues.map((i: { path: string }) => i.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expectError(
      await t.call("POST", `/api/v1/admin/users/${alice.id}/minutes`, { token: admin.token, raw: "[" }),
      400,
      "invalid_json",
    );
    expectError(await minutes(0, { seconds: 60, reason: "x" }), 400, "validation_failed");
    expect(count("grants")).toBe(0);
    expect(count("audit_log")).toBe(0);
  });

  test("a client (even for themselves) is 403; no auth 401; support without the grant 403", async () => {
    expectError(await minutes(alice.id, { seconds: 6000, reason: "me" }, alice.token), 403, "forbidden");
    const support = await t.user("support");
    expectError(await minutes(alice.id, { seconds: 60, reason: "x" }, support.token), 403, "forbidden");
    expectError(
      await t.call("POST", `/api/v1/admin/users/${alice.id}/minutes`, { body: { seconds: 60, reason: "x" } }),
      401,
      "unauthenticated",
    );
    expect(count("grants")).toBe(0);
    const granted = await t.user("support", { grantedPermissions: ["minutes:adjust"] });
    expect((await minutes(alice.id, { seconds: 60, reason: "ok" }, granted.token)).status).toBe(200);
  });

  test("an Idempotency-Key replays the adjustment instead of granting twice", async () => {
    const headers = { "idempotency-key": "adj-1" };
    const body = { seconds: 120, reason: "promo" };
    const a = await t.call("POST", `/api/v1/admin/users/${alice.id}/minutes`, {
      token: admin.token,
      body,
      headers,
    });
    const b = await t.call("POST", `/api/v1/admin/users/${alice.id}/minutes`, {
      token: admin.token,
      body,
      headers,
    });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(grantsOf(alice.id)).toHaveLength(1);
  });
});

const auditOf = (action: string) =>
  t.ctx.sqlite.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id").all(action) as any[];
