import { describe, expect, test } from "bun:test";
import { traderAvailable, traderHeld } from "../../src/modules/gateway/money";
import { expectError, makeTestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

const t = makeTestApp();
const fx = gatewayFixtures(t);
const BASE = "/api/v1/admin/gateway/traders";

const one = <T>(sql: string, ...args: (string | number)[]) => t.ctx.sqlite.query(sql).get(...args) as T;
const countOf = (sql: string, ...args: (string | number)[]) => one<{ n: number }>(sql, ...args).n;
const roleOf = (userId: number) => one<{ role: string }>("SELECT role FROM users WHERE id = ?", userId).role;
const eventsOf = (type: string, subjectId: number) =>
  t.ctx.sqlite
    .query("SELECT actor_id, payload FROM events WHERE type = ? AND subject_id = ? ORDER BY id")
    .all(type, String(subjectId)) as { actor_id: number; payload: string }[];
const auditOf = (action: string, targetId: number) =>
  t.ctx.sqlite
    .query(
      "SELECT actor_id, ip, request_id, details FROM audit_log WHERE action = ? AND target_id = ? ORDER BY id",
    )
    .all(action, String(targetId)) as { actor_id: number; ip: string; request_id: string; details: string }[];
const traderRows = (userId: number) =>
  countOf("SELECT count(*) AS n FROM gateway_traders WHERE user_id = ?", userId);
const body = (userId: number, extra: Record<string, unknown> = {}) => ({
  user_id: userId,
  priority: 10,
  pay_in_bps: 150,
  pay_out_bps: 120,
  ...extra,
});

describe("POST /admin/gateway/traders", () => {
  test("makes a client a trader: the role changes, the profile is created; audited, with events", async () => {
    const admin = await t.user("admin");
    const lead = await t.user("teamlead");
    const u = await t.user("client");
    // Before: not a trader.
    expectError(await t.call("GET", "/api/v1/trader/balance", { token: u.token }), 403, "forbidden");
    const r = await t.call("POST", BASE, { token: admin.token, body: body(u.id, { teamlead_id: lead.id }) });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      user_id: u.id,
      teamlead_id: lead.id,
      priority: 10,
      pay_in_bps: 150,
      pay_out_bps: 120,
      in_work: false,
      traffic_enabled: true,
      balance: { available: 0, held: 0, currency: "USDT" },
    });
    expect(roleOf(u.id)).toBe("trader");
    const audits = auditOf("gateway.trader.created", r.body.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_id: admin.id, request_id: r.headers.get("x-request-id")! });
    expect(JSON.parse(audits[0]!.details)).toMatchObject({
      user_id: u.id,
      role_before: "client",
      after: { priority: 10, teamlead_id: lead.id, pay_in_bps: 150 },
    });
    expect(eventsOf("gateway.trader.created", r.body.id)).toHaveLength(1);
    expect(eventsOf("user.role_changed", u.id)).toHaveLength(1);
    // The same token now works as a trader.
    const bal = await t.call("GET", "/api/v1/trader/balance", { token: u.token });
    expect(bal.body).toEqual({ available: 0, held: 0, currency: "USDT" });
  });

  test("a trader without a profile keeps the role; a second profile is 409", async () => {
    const admin = await t.user("admin");
    const u = await t.user("trader");
    const r = await t.call("POST", BASE, { token: admin.token, body: body(u.id) });
    expect(r.status).toBe(201);
    expect(r.body.teamlead_id).toBeNull();
    expect(eventsOf("user.role_changed", u.id)).toHaveLength(0);
    expectError(await t.call("POST", BASE, { token: admin.token, body: body(u.id) }), 409, "conflict");
    expect(traderRows(u.id)).toBe(1);
  });

  test("staff and other roles are refused with 409, an unknown user is 404; nothing changes", async () => {
    const admin = await t.user("admin");
    for (const role of [
      "admin",
      "support",
      "teamlead",
      "arbitrator",
      "expert",
      "merchant",
      "partner",
    ] as const) {
      const u = await t.user(role);
      const e = expectError(
        await t.call("POST", BASE, { token: admin.token, body: body(u.id) }),
        409,
        "conflict",
      );
      expect(e.details.role).toBe(role);
      expect(roleOf(u.id)).toBe(role);
      expect(traderRows(u.id)).toBe(0);
    }
    expectError(await t.call("POST", BASE, { token: admin.token, body: body(999_999) }), 404, "not_found");
  });

  test("teamlead_id must be a teamlead; a refused body leaves the client a client", async () => {
    const admin = await t.user("admin");
    const u = await t.user("client");
    const notLead = await t.user("support");
    for (const id of [notLead.id, 999_999]) {
      const e = expectError(
        await t.call("POST", BASE, { token: admin.token, body: body(u.id, { teamlead_id: id }) }),
        400,
        "validation_failed",
      );
      expect(e.details.issues[0].path).toBe("json.teamlead_id");
    }
    for (const bad of [
      { user_id: u.id, pay_in_bps: 1, pay_out_bps: 1 },
      body(u.id, { pay_in_bps: 10_001 }),
      body(u.id, { priority: -1 }),
      body(u.id, { priority: 1.5 }),
      body(u.id, { in_work: true }),
      body(u.id, { user_id: "1" }),
    ]) {
      expectError(await t.call("POST", BASE, { token: admin.token, body: bad }), 400, "validation_failed");
    }
    expect(roleOf(u.id)).toBe("client");
    expect(traderRows(u.id)).toBe(0);
  });

  test("admins only", async () => {
    const u = await t.user("client");
    expectError(await t.call("POST", BASE, { body: body(u.id) }), 401, "unauthenticated");
    for (const role of ["support", "teamlead", "trader", "merchant", "client"] as const) {
      const s = await t.user(role);
      expectError(await t.call("POST", BASE, { token: s.token, body: body(u.id) }), 403, "forbidden");
    }
    expect(roleOf(u.id)).toBe("client");
  });
});

describe("PATCH /admin/gateway/traders/{id}", () => {
  test("a new priority reaches every requisite of the trader in the same change; audited with before and after", async () => {
    const admin = await t.user("admin");
    const lead = await t.user("teamlead");
    const { trader } = await fx.trader({ priority: 100 });
    const { trader: other } = await fx.trader({ priority: 100 });
    const r1 = fx.requisite(trader.id);
    const r2 = fx.requisite(trader.id, { status: "pending" });
    const theirs = fx.requisite(other.id);
    t.clock.advance(5000);
    const r = await t.call("PATCH", `${BASE}/${trader.id}`, {
      token: admin.token,
      body: { priority: 5, teamlead_id: lead.id, pay_in_bps: 90, traffic_enabled: false, in_work: false },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      priority: 5,
      teamlead_id: lead.id,
      pay_in_bps: 90,
      traffic_enabled: false,
      in_work: false,
      updated_at: "2026-11-22T10:00:05.000Z",
    });
    const prio = (id: number) =>
      one<{ trader_priority: number }>("SELECT trader_priority FROM gateway_requisites WHERE id = ?", id)
        .trader_priority;
    expect([prio(r1.id), prio(r2.id), prio(theirs.id)]).toEqual([5, 5, 100]);
    const [a] = auditOf("gateway.trader.updated", trader.id);
    const details = JSON.parse(a!.details);
    expect(details.before).toMatchObject({
      priority: 100,
      teamlead_id: null,
      pay_in_bps: 100,
      traffic_enabled: true,
    });
    expect(details.after).toMatchObject({
      priority: 5,
      teamlead_id: lead.id,
      pay_in_bps: 90,
      traffic_enabled: false,
    });
    expect(details.changes).toEqual({
      priority: { from: 100, to: 5 },
      teamlead_id: { from: null, to: lead.id },
      pay_in_bps: { from: 100, to: 90 },
      traffic_enabled: { from: true, to: false },
      in_work: { from: true, to: false },
    });
    expect(eventsOf("gateway.trader.updated", trader.id)).toHaveLength(1);
    // teamlead_id null removes the teamlead.
    const cleared = await t.call("PATCH", `${BASE}/${trader.id}`, {
      token: admin.token,
      body: { teamlead_id: null },
    });
    expect(cleared.body.teamlead_id).toBeNull();
    // Nothing changed: audited, no event.
    await t.call("PATCH", `${BASE}/${trader.id}`, { token: admin.token, body: { priority: 5 } });
    expect(auditOf("gateway.trader.updated", trader.id)).toHaveLength(3);
    expect(eventsOf("gateway.trader.updated", trader.id)).toHaveLength(2);
  });

  test("bad bodies 400 (nothing written), unknown trader 404, non-admins 403", async () => {
    const admin = await t.user("admin");
    const { trader, user } = await fx.trader({ priority: 7 });
    const req = fx.requisite(trader.id);
    const notLead = await t.user("client");
    for (const b of [
      {},
      { priority: 3, teamlead_id: notLead.id },
      { priority: 3, pay_out_bps: 20_000 },
      { priority: 3, user_id: 1 },
      { in_work: "yes" },
    ]) {
      expectError(
        await t.call("PATCH", `${BASE}/${trader.id}`, { token: admin.token, body: b }),
        400,
        "validation_failed",
      );
    }
    expect(
      one<{ priority: number }>("SELECT priority FROM gateway_traders WHERE id = ?", trader.id).priority,
    ).toBe(7);
    expect(
      one<{ trader_priority: number }>("SELECT trader_priority FROM gateway_requisites WHERE id = ?", req.id)
        .trader_priority,
    ).toBe(7);
    expectError(
      await t.call("PATCH", `${BASE}/999999`, { token: admin.token, body: { priority: 1 } }),
      404,
      "not_found",
    );
    for (const u of [user, await t.user("teamlead"), await t.user("support")]) {
      expectError(
        await t.call("PATCH", `${BASE}/${trader.id}`, { token: u.token, body: { priority: 1 } }),
        403,
        "forbidden",
      );
    }
  });
});

describe("GET /admin/gateway/traders and /{id}", () => {
  test("lists traders with their deposit, newest first, filtered by teamlead; one trader by id", async () => {
    const admin = await t.user("admin");
    const lead = await t.user("teamlead");
    const { trader: a } = await fx.trader({ teamleadId: lead.id, deposit: 3_000_000 });
    const { trader: b } = await fx.trader({ teamleadId: lead.id });
    fx.credit(traderHeld(b.id), 400_000);
    await fx.trader();
    const r = await t.call("GET", `${BASE}?teamlead_id=${lead.id}`, { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(2);
    expect(r.body.results.map((x: { id: number }) => x.id)).toEqual([b.id, a.id]);
    expect(r.body.results[0].balance).toEqual({ available: 0, held: 400_000, currency: "USDT" });
    expect(r.body.results[1].balance).toEqual({ available: 3_000_000, held: 0, currency: "USDT" });
    const page = await t.call("GET", `${BASE}?page_size=1&page=2`, { token: admin.token });
    expect(page.body.results).toHaveLength(1);
    expect(page.body.previous).toBeString();
    const got = await t.call("GET", `${BASE}/${a.id}`, { token: admin.token });
    expect(got.body).toMatchObject({ id: a.id, teamlead_id: lead.id, balance: { available: 3_000_000 } });
    expect(got.body.username).toBe(
      one<{ username: string }>("SELECT username FROM users WHERE id = ?", a.userId).username,
    );
    expect(r.body.results[0].username).toBeString();
    expectError(await t.call("GET", `${BASE}/999999`, { token: admin.token }), 404, "not_found");
    expectError(
      await t.call("GET", `${BASE}?in_work=true`, { token: admin.token }),
      400,
      "validation_failed",
    );
    expectError(await t.call("GET", BASE, { token: lead.token }), 403, "forbidden");
    expectError(await t.call("GET", `${BASE}/${a.id}`, { token: lead.token }), 403, "forbidden");
    expectError(await t.call("GET", BASE), 401, "unauthenticated");
  });
});

describe("trader: GET /trader/balance and POST /trader/work", () => {
  test("the trader reads their own deposit", async () => {
    const { trader, user } = await fx.trader({ deposit: 9_000_000 });
    fx.credit(traderHeld(trader.id), 1_000_000);
    await fx.trader({ deposit: 5 });
    const r = await t.call("GET", "/api/v1/trader/balance", { token: user.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ available: 9_000_000, held: 1_000_000, currency: "USDT" });
    expect(fx.balances({ traderId: trader.id }).traderAvailable).toBe(9_000_000);
    expect(traderAvailable(trader.id).currency).toBe("USDT");
  });

  test("a trader without a profile gets a clear 403; other roles 403; anonymous 401", async () => {
    const bare = await t.user("trader");
    const e = expectError(
      await t.call("GET", "/api/v1/trader/balance", { token: bare.token }),
      403,
      "forbidden",
    );
    expect(e.message).toContain("no trader profile");
    expectError(
      await t.call("POST", "/api/v1/trader/work", { token: bare.token, body: { in_work: true } }),
      403,
      "forbidden",
    );
    for (const role of ["client", "merchant", "teamlead"] as const) {
      const u = await t.user(role);
      expectError(await t.call("GET", "/api/v1/trader/balance", { token: u.token }), 403, "forbidden");
    }
    expectError(await t.call("GET", "/api/v1/trader/balance"), 401, "unauthenticated");
  });

  test("the trader switches work on and off, with an event per change", async () => {
    const { trader, user } = await fx.trader({ inWork: false });
    const on = await t.call("POST", "/api/v1/trader/work", { token: user.token, body: { in_work: true } });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ id: trader.id, in_work: true, traffic_enabled: true });
    expect(on.body.balance).toBeUndefined();
    await t.call("POST", "/api/v1/trader/work", { token: user.token, body: { in_work: true } });
    const off = await t.call("POST", "/api/v1/trader/work", { token: user.token, body: { in_work: false } });
    expect(off.body.in_work).toBe(false);
    const ev = eventsOf("gateway.trader.updated", trader.id);
    expect(ev.map((e) => JSON.parse(e.payload).changes.in_work.to)).toEqual([true, false]);
    expect(ev[0]!.actor_id).toBe(user.id);
    for (const b of [{}, { in_work: "on" }, { in_work: true, priority: 1 }]) {
      expectError(
        await t.call("POST", "/api/v1/trader/work", { token: user.token, body: b }),
        400,
        "validation_failed",
      );
    }
    const merchant = await t.user("merchant");
    expectError(
      await t.call("POST", "/api/v1/trader/work", { token: merchant.token, body: { in_work: true } }),
      403,
      "forbidden",
    );
  });
});

describe("teamlead: POST /teamlead/traders/{id}/traffic", () => {
  test("a teamlead switches the traffic of their own team's trader (audited); another team's trader is 404", async () => {
    const lead = await t.user("teamlead");
    const otherLead = await t.user("teamlead");
    const { trader } = await fx.trader({ teamleadId: lead.id });
    const { trader: foreign } = await fx.trader({ teamleadId: otherLead.id });
    const { trader: loner } = await fx.trader();
    const r = await t.call("POST", `/api/v1/teamlead/traders/${trader.id}/traffic`, {
      token: lead.token,
      body: { enabled: false },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: trader.id, traffic_enabled: false });
    const [a] = auditOf("gateway.trader.updated", trader.id);
    expect(a!.actor_id).toBe(lead.id);
    expect(JSON.parse(a!.details).changes).toEqual({ traffic_enabled: { from: true, to: false } });
    expect(eventsOf("gateway.trader.updated", trader.id)).toHaveLength(1);
    for (const id of [foreign.id, loner.id, 999_999]) {
      expectError(
        await t.call("POST", `/api/v1/teamlead/traders/${id}/traffic`, {
          token: lead.token,
          body: { enabled: false },
        }),
        404,
        "not_found",
      );
    }
    const flag = (id: number) =>
      one<{ traffic_enabled: number }>("SELECT traffic_enabled FROM gateway_traders WHERE id = ?", id)
        .traffic_enabled;
    expect([flag(foreign.id), flag(loner.id)]).toEqual([1, 1]);
    const back = await t.call("POST", `/api/v1/teamlead/traders/${trader.id}/traffic`, {
      token: lead.token,
      body: { enabled: true },
    });
    expect(back.body.traffic_enabled).toBe(true);
  });

  test("bad bodies 400; traders, merchants and support are 403", async () => {
    const lead = await t.user("teamlead");
    const { trader, user } = await fx.trader({ teamleadId: lead.id });
    const path = `/api/v1/teamlead/traders/${trader.id}/traffic`;
    for (const b of [{}, { enabled: "no" }, { enabled: true, in_work: true }]) {
      expectError(await t.call("POST", path, { token: lead.token, body: b }), 400, "validation_failed");
    }
    for (const u of [user, await t.user("merchant"), await t.user("support")]) {
      expectError(await t.call("POST", path, { token: u.token, body: { enabled: false } }), 403, "forbidden");
    }
    expectError(await t.call("POST", path, { body: { enabled: false } }), 401, "unauthenticated");
    expect(
      one<{ traffic_enabled: number }>("SELECT traffic_enabled FROM gateway_traders WHERE id = ?", trader.id)
        .traffic_enabled,
    ).toBe(1);
  });
});
