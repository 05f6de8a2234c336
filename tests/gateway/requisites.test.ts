import { describe, expect, test } from "bun:test";
import { DAY } from "../../src/lib/time";
import { expectError, makeTestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

const t = makeTestApp();
const fx = gatewayFixtures(t);
const BASE = "/api/v1/trader/requisites";
const QUEUE = "/api/v1/admin/gateway/requisites";
const moderate = (token: string | undefined, id: number, body: unknown) =>
  t.call("POST", `${QUEUE}/${id}/status`, { token, body });

const valid = (extra: Record<string, unknown> = {}) => ({
  payment_method: "card",
  bank: "Sber",
  details: "2200 7001 2345 6789",
  owner_name: "IVAN P.",
  min_amount: 100_00,
  max_amount: 50_000_00,
  daily_limit: 500_000_00,
  daily_count_limit: 50,
  currency: "RUB",
  ...extra,
});
const row = (id: number) =>
  t.ctx.sqlite.query("SELECT * FROM gateway_requisites WHERE id = ?").get(id) as Record<string, unknown>;
const usernameOf = (userId: number) =>
  (t.ctx.sqlite.query("SELECT username FROM users WHERE id = ?").get(userId) as { username: string })
    .username;
const countOf = (sql: string, ...args: (string | number)[]) =>
  (t.ctx.sqlite.query(sql).get(...args) as { n: number }).n;
const eventsOf = (type: string, subjectId: number) =>
  t.ctx.sqlite
    .query("SELECT actor_id, payload FROM events WHERE type = ? AND subject_id = ? ORDER BY id")
    .all(type, String(subjectId)) as { actor_id: number; payload: string }[];
const auditOf = (action: string, targetId: number) =>
  t.ctx.sqlite
    .query(
      "SELECT actor_id, request_id, details FROM audit_log WHERE action = ? AND target_id = ? ORDER BY id",
    )
    .all(action, String(targetId)) as { actor_id: number; request_id: string; details: string }[];

describe("POST /trader/requisites", () => {
  test("a trader adds a pending requisite with their priority copied onto it; pay-in on, pay-out off by default", async () => {
    const { trader, user } = await fx.trader({ priority: 42 });
    const r = await t.call("POST", BASE, { token: user.token, body: valid({ bank: "  Sber " }) });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      trader_id: trader.id,
      payment_method: "card",
      bank: "Sber",
      details: "2200 7001 2345 6789",
      owner_name: "IVAN P.",
      pay_in: true,
      pay_out: false,
      currency: "RUB",
      min_amount: 100_00,
      max_amount: 50_000_00,
      daily_limit: 500_000_00,
      daily_count_limit: 50,
      status: "pending",
      used_today: { amount: 0, count: 0 },
      last_used_at: null,
      created_at: "2026-11-22T10:00:00.000Z",
    });
    expect(row(r.body.id).trader_priority).toBe(42);
    const ev = eventsOf("gateway.requisite.created", r.body.id);
    expect(ev).toHaveLength(1);
    expect(ev[0]!.actor_id).toBe(user.id);
    const sbp = await t.call("POST", BASE, {
      token: user.token,
      body: valid({
        payment_method: "sbp",
        details: "+7 900 000-00-00",
        pay_in: false,
        pay_out: true,
        min_amount: 500,
        max_amount: 500,
      }),
    });
    expect(sbp.status).toBe(201);
    expect(sbp.body).toMatchObject({ pay_in: false, pay_out: true, min_amount: 500, max_amount: 500 });
  });

  test("bad input is 400 and writes nothing: min above max, bad method or currency, a status of its own", async () => {
    const { trader, user } = await fx.trader();
    const cases: [Record<string, unknown>, string][] = [
      [valid({ min_amount: 600, max_amount: 500 }), "json.max_amount"],
      [valid({ payment_method: "cash" }), "json.payment_method"],
      [valid({ currency: "rub" }), "json.currency"],
      [valid({ currency: "USDT" }), "json.currency"],
      [valid({ min_amount: 0 }), "json.min_amount"],
      [valid({ daily_limit: 1.5 }), "json.daily_limit"],
      [valid({ max_amount: Number.MAX_SAFE_INTEGER + 1 }), "json.max_amount"],
      [valid({ details: "" }), "json.details"],
      [valid({ status: "approved" }), "json"],
      [{ ...valid(), bank: undefined }, "json.bank"],
    ];
    for (const [body, path] of cases) {
      const e = expectError(
        await t.call("POST", BASE, { token: user.token, body }),
        400,
        "validation_failed",
      );
      expect(e.details.issues.map((i: { path: string }) => i.path).join(" ")).toContain(path);
    }
    expect(countOf("SELECT count(*) AS n FROM gateway_requisites WHERE trader_id = ?", trader.id)).toBe(0);
  });

  test("a user without a trader profile gets a clear 403; other roles 403; anonymous 401", async () => {
    const bare = await t.user("trader");
    const e = expectError(await t.call("POST", BASE, { token: bare.token, body: valid() }), 403, "forbidden");
    expect(e.message).toContain("no trader profile");
    expectError(await t.call("GET", BASE, { token: bare.token }), 403, "forbidden");
    for (const role of ["merchant", "client", "teamlead"] as const) {
      const u = await t.user(role);
      expectError(await t.call("POST", BASE, { token: u.token, body: valid() }), 403, "forbidden");
    }
    expectError(await t.call("POST", BASE, { body: valid() }), 401, "unauthenticated");
  });
});

describe("GET /trader/requisites and /{id}", () => {
  test("a trader sees only their own, newest first, with today's use of the daily limits", async () => {
    const { trader, user } = await fx.trader();
    const { trader: other } = await fx.trader();
    const today = Math.floor(t.clock.now() / DAY);
    const a = fx.requisite(trader.id, {
      usageDay: today,
      usedAmount: 700_00,
      usedCount: 3,
      lastUsedAt: t.clock.now(),
    });
    const b = fx.requisite(trader.id, {
      status: "pending",
      usageDay: today - 1,
      usedAmount: 900_00,
      usedCount: 9,
    });
    const theirs = fx.requisite(other.id);
    const list = await t.call("GET", BASE, { token: user.token });
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(2);
    expect(list.body.results.map((r: { id: number }) => r.id)).toEqual([b.id, a.id]);
    const pending = await t.call("GET", `${BASE}?status=pending`, { token: user.token });
    expect(pending.body.results.map((r: { id: number }) => r.id)).toEqual([b.id]);
    const got = await t.call("GET", `${BASE}/${a.id}`, { token: user.token });
    expect(got.body).toMatchObject({
      id: a.id,
      used_today: { amount: 700_00, count: 3 },
      last_used_at: "2026-11-22T10:00:00.000Z",
    });
    // Yesterday's counters count as nothing today.
    expect((await t.call("GET", `${BASE}/${b.id}`, { token: user.token })).body.used_today).toEqual({
      amount: 0,
      count: 0,
    });
    expectError(await t.call("GET", `${BASE}/${theirs.id}`, { token: user.token }), 404, "not_found");
    expectError(await t.call("GET", `${BASE}?status=gone`, { token: user.token }), 400, "validation_failed");
  });
});

describe("PATCH /trader/requisites/{id}", () => {
  test("limits and direction switches keep an approved requisite approved", async () => {
    const { trader, user } = await fx.trader();
    const r = fx.requisite(trader.id, { minAmount: 100, maxAmount: 1000 });
    const res = await t.call("PATCH", `${BASE}/${r.id}`, {
      token: user.token,
      body: { max_amount: 2000, daily_limit: 9000, daily_count_limit: 3, pay_out: true },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "approved",
      max_amount: 2000,
      daily_limit: 9000,
      daily_count_limit: 3,
      pay_out: true,
    });
    const ev = eventsOf("gateway.requisite.updated", r.id);
    expect(ev).toHaveLength(1);
    expect(JSON.parse(ev[0]!.payload).changes).toMatchObject({
      max_amount: { from: 1000, to: 2000 },
      pay_out: { from: false, to: true },
    });
  });

  test("changing where the money goes sends an approved requisite back to pending; a blocked one stays blocked", async () => {
    const { trader, user } = await fx.trader();
    for (const change of [
      { details: "2200 0000 0000 9999" },
      { bank: "Tinkoff" },
      { owner_name: "PETR I." },
      { payment_method: "account" },
      { currency: "KZT" },
    ]) {
      const r = fx.requisite(trader.id);
      const res = await t.call("PATCH", `${BASE}/${r.id}`, { token: user.token, body: change });
      expect(res.body.status).toBe("pending");
      expect(row(r.id).status).toBe("pending");
      expect(JSON.parse(eventsOf("gateway.requisite.updated", r.id)[0]!.payload).changes.status).toEqual({
        from: "approved",
        to: "pending",
      });
    }
    const blocked = fx.requisite(trader.id, { status: "blocked" });
    const res = await t.call("PATCH", `${BASE}/${blocked.id}`, {
      token: user.token,
      body: { details: "new" },
    });
    expect(res.body).toMatchObject({ status: "blocked", details: "new" });
    // The same details again change nothing.
    const same = fx.requisite(trader.id);
    const r2 = await t.call("PATCH", `${BASE}/${same.id}`, {
      token: user.token,
      body: { details: same.details },
    });
    expect(r2.body.status).toBe("approved");
    expect(eventsOf("gateway.requisite.updated", same.id)).toHaveLength(0);
  });

  test("min above max (with the stored values) is 400; another trader's requisite is 404; nothing changes", async () => {
    const { trader, user } = await fx.trader();
    const { user: otherUser } = await fx.trader();
    const r = fx.requisite(trader.id, { minAmount: 100, maxAmount: 1000 });
    const e1 = expectError(
      await t.call("PATCH", `${BASE}/${r.id}`, { token: user.token, body: { min_amount: 1001 } }),
      400,
      "validation_failed",
    );
    expect(e1.details.issues[0].path).toBe("json.min_amount");
    const e2 = expectError(
      await t.call("PATCH", `${BASE}/${r.id}`, { token: user.token, body: { max_amount: 99 } }),
      400,
      "validation_failed",
    );
    expect(e2.details.issues[0].path).toBe("json.max_amount");
    for (const body of [{}, { status: "approved" }, { trader_id: 1 }, { currency: "R" }]) {
      expectError(
        await t.call("PATCH", `${BASE}/${r.id}`, { token: user.token, body }),
        400,
        "validation_failed",
      );
    }
    expectError(
      await t.call("PATCH", `${BASE}/${r.id}`, { token: otherUser.token, body: { details: "mine now" } }),
      404,
      "not_found",
    );
    expect(row(r.id)).toMatchObject({ min_amount: 100, max_amount: 1000, status: "approved" });
    expect(eventsOf("gateway.requisite.updated", r.id)).toHaveLength(0);
    const m = await t.user("merchant");
    expectError(
      await t.call("PATCH", `${BASE}/${r.id}`, { token: m.token, body: { max_amount: 5000 } }),
      403,
      "forbidden",
    );
  });
});

describe("moderation: POST /admin/gateway/requisites/{id}/status", () => {
  test("admins and support approve or block; audited, with an event and a notice to the trader", async () => {
    const admin = await t.user("admin");
    const support = await t.user("support");
    const { trader, user } = await fx.trader();
    const r = fx.requisite(trader.id, { status: "pending", details: "2200 0000 0000 1234" });
    const ok = await moderate(admin.token, r.id, { status: "approved" });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: r.id, status: "approved" });
    const blocked = await moderate(support.token, r.id, {
      status: "blocked",
      reason: "The owner name does not match",
    });
    expect(blocked.body.status).toBe("blocked");
    const audits = auditOf("gateway.requisite.moderated", r.id);
    expect(audits.map((a) => a.actor_id)).toEqual([admin.id, support.id]);
    expect(JSON.parse(audits[1]!.details)).toEqual({
      trader_id: trader.id,
      from: "approved",
      to: "blocked",
      reason: "The owner name does not match",
    });
    expect(eventsOf("gateway.requisite.moderated", r.id)).toHaveLength(2);
    const notes = await t.call("GET", "/api/v1/notifications", { token: user.token });
    expect(notes.body.results[0]).toMatchObject({ title: "Requisite blocked" });
    expect(notes.body.results[0].message).toContain("The owner name does not match");
    expect(notes.body.results[0].message).toContain("1234");
    expect(notes.body.results[1]).toMatchObject({ title: "Requisite approved" });
    // The same status again: audited, no event, no notice.
    await moderate(support.token, r.id, { status: "blocked" });
    expect(auditOf("gateway.requisite.moderated", r.id)).toHaveLength(3);
    expect(eventsOf("gateway.requisite.moderated", r.id)).toHaveLength(2);
  });

  test("a grant for one requisite opens that one only (403 on another); traders and teamleads are 403", async () => {
    const { trader, user } = await fx.trader();
    const a = fx.requisite(trader.id, { status: "pending" });
    const b = fx.requisite(trader.id, { status: "pending" });
    const moderator = await t.user("arbitrator", { grantedPermissions: [`requisites:${a.id}:moderate`] });
    expect((await moderate(moderator.token, a.id, { status: "approved" })).status).toBe(200);
    const e = expectError(await moderate(moderator.token, b.id, { status: "approved" }), 403, "forbidden");
    expect(e.message).toContain(`requisites:${b.id}:moderate`);
    expect(row(b.id).status).toBe("pending");
    // Nor does it open the queue.
    expectError(await t.call("GET", QUEUE, { token: moderator.token }), 403, "forbidden");
    for (const u of [user, await t.user("teamlead"), await t.user("merchant")]) {
      expectError(await moderate(u.token, b.id, { status: "approved" }), 403, "forbidden");
    }
    expectError(await moderate(undefined, b.id, { status: "approved" }), 401, "unauthenticated");
    expect(row(b.id).status).toBe("pending");
    expect(auditOf("gateway.requisite.moderated", b.id)).toHaveLength(0);
  });

  test("bad bodies 400; an unknown requisite 404", async () => {
    const admin = await t.user("admin");
    const { trader } = await fx.trader();
    const r = fx.requisite(trader.id, { status: "pending" });
    for (const body of [
      {},
      { status: "pending" },
      { status: "approved", reason: "" },
      { status: "approved", note: "x" },
    ]) {
      expectError(await moderate(admin.token, r.id, body), 400, "validation_failed");
    }
    expectError(await moderate(admin.token, 999_999, { status: "approved" }), 404, "not_found");
    expect(row(r.id).status).toBe("pending");
  });
});

describe("the queue: GET /admin/gateway/requisites", () => {
  test("status=pending lists what waits for moderation, oldest first; support reads it too", async () => {
    const admin = await t.user("admin");
    const support = await t.user("support");
    const { trader } = await fx.trader();
    const { trader: other } = await fx.trader();
    const p1 = fx.requisite(trader.id, { status: "pending" });
    fx.requisite(trader.id);
    const p2 = fx.requisite(other.id, { status: "pending" });
    for (const token of [admin.token, support.token]) {
      const r = await t.call("GET", `${QUEUE}?status=pending&page_size=100`, { token });
      expect(r.status).toBe(200);
      const ids = r.body.results.map((x: { id: number }) => x.id);
      expect(ids).toContain(p1.id);
      expect(ids).toContain(p2.id);
      expect(ids.indexOf(p1.id)).toBeLessThan(ids.indexOf(p2.id));
      for (const x of r.body.results) expect(x.status).toBe("pending");
      // Whose it is, so the moderator need not look the trader up.
      const first = r.body.results.find((x: { id: number }) => x.id === p1.id);
      expect(first.trader).toEqual({
        id: trader.id,
        user_id: trader.userId,
        username: usernameOf(trader.userId),
        teamlead_id: null,
      });
    }
    const mine = await t.call("GET", `${QUEUE}?trader_id=${other.id}`, { token: admin.token });
    expect(mine.body.results.map((x: { id: number }) => x.id)).toEqual([p2.id]);
    expectError(
      await t.call("GET", `${QUEUE}?status=done`, { token: admin.token }),
      400,
      "validation_failed",
    );
    const traderUser = await t.user("trader");
    expectError(await t.call("GET", QUEUE, { token: traderUser.token }), 403, "forbidden");
    expectError(await t.call("GET", QUEUE), 401, "unauthenticated");
  });
});
