import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ORDER_STATUSES } from "../../src/db/schema";
import { DAY } from "../../src/lib/time";
import { checkInvariants } from "../../src/modules/ledger/check";
import { ACTIONS, type ActionName, TARGETS } from "../../src/modules/marketplace/orders/machine";
import type { IndexStep } from "../../src/seed-scale/bulk-load";
import { historyDates, rebuildDerived } from "../../src/seed-scale/derived";
import { DatabaseNotEmpty, type ScaleResult, seedScale } from "../../src/seed-scale/generate";
import { WRITTEN_TABLES } from "../../src/seed-scale/writer";
import { makeTestApp, type TestApp } from "../helpers/app";

/** One `--scale 1` history on a file database, shared by the tests below (building it takes seconds). */
const dir = mkdtempSync(join(tmpdir(), "souk-scale-"));
let t: TestApp;
let r: ScaleResult;
let seeded: string;
const indexSteps: IndexStep[] = [];
/** Test queries read columns of every type. */
type Row = Record<string, any>;
const rows = <T = Row>(sql: string, ...args: (string | number)[]) =>
  t.ctx.sqlite.query(sql).all(...args) as T[];
const one = <T = Row>(sql: string, ...args: (string | number)[]) => rows<T>(sql, ...args)[0]!;

beforeAll(async () => {
  t = makeTestApp({ DATABASE_URL: `file:${join(dir, "souk.db")}` });
  r = await seedScale(t.ctx, { scale: 1, seed: 7, onIndexes: (s) => indexSteps.push(s) });
  // Taken before the tests log in (a login writes an event and a last-login time).
  seeded = digest(t);
  rebuildDerived(t.ctx, r);
}, 180_000);
afterAll(() => {
  t.ctx.sqlite.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A digest of the generated tables (the password hash aside: its salt is random by design). */
function digest(app: TestApp): string {
  const h = new Bun.CryptoHasher("sha256");
  const tables: [string, string][] = [
    [
      "users",
      "id, email, username, telegram_id, role, first_name, last_name, bio, is_banned, created_at, last_login_at",
    ],
    ["orders", "*"],
    ["events", "*"],
    ["ledger_accounts", "*"],
    ["ledger_transfers", "*"],
    ["purchases", "*"],
    ["grants", "*"],
    ["usage_events", "*"],
    ["usage_allocations", "*, rowid AS id"],
    ["reviews", "*"],
    ["order_messages", "*"],
    ["courses", "*"],
    ["course_enrollments", "*"],
    ["expert_specializations", "*"],
    ["audit_log", "*"],
  ];
  for (const [table, cols] of tables) {
    for (const row of app.ctx.sqlite.query(`SELECT ${cols} FROM ${table} ORDER BY id`).values()) {
      h.update(JSON.stringify(row));
    }
  }
  return h.digest("hex");
}

describe("seed --demo --scale 1", () => {
  test("1,000 users, about 10,000 orders and 10,000 usage records, and the rest in proportion", () => {
    expect(r.rows.users).toBe(1000);
    const { orders, usage_events, events, reviews, order_messages, purchases, grants, course_enrollments } =
      r.rows;
    expect(orders).toBeGreaterThan(8500);
    expect(orders).toBeLessThan(11_500);
    expect(usage_events).toBeGreaterThan(8500);
    expect(usage_events).toBeLessThan(11_500);
    // Every order has a timeline (created, then a handful of transitions), plus logins, purchases, usage.
    expect(events).toBeGreaterThan(orders! * 8);
    expect(reviews).toBeGreaterThan(orders! * 0.5);
    expect(order_messages).toBeGreaterThan(orders! * 0.1);
    expect(purchases).toBeGreaterThan(grants!);
    expect(course_enrollments).toBeGreaterThan(100);
    // The summary's counts are the tables'.
    // Rebuilding the scores and the 180 days of metrics recorded their own events.
    const derived = rows(
      "SELECT type, count(*) AS n FROM events WHERE type IN ('metrics.daily_computed', 'scores.recomputed') GROUP BY type ORDER BY type",
    );
    expect(derived).toEqual([
      { type: "metrics.daily_computed", n: 180 },
      { type: "scores.recomputed", n: 1 },
    ]);
    for (const [table, n] of Object.entries(r.rows)) {
      expect({ table, n: one(`SELECT count(*) AS n FROM ${table}`).n }).toEqual({
        table,
        n: table === "events" ? n + 181 : n,
      });
    }
    expect(Object.values(r.ordersByStatus).reduce((a, b) => a + b, 0)).toBe(orders!);
  });

  test("roles: mostly clients, some experts with profiles and verified specializations, staff of every kind", () => {
    const byRole = Object.fromEntries(
      rows<{ role: string; n: number }>("SELECT role, count(*) AS n FROM users GROUP BY role").map((x) => [
        x.role,
        x.n,
      ]),
    );
    expect(byRole.client).toBeGreaterThan(850);
    expect(byRole.expert).toBeGreaterThan(40);
    for (const role of ["admin", "support", "arbitrator", "partner", "trader", "teamlead", "merchant"])
      expect(byRole[role]).toBeGreaterThan(0);
    // Every expert who took an order has a profile and a verified specialization in its subject.
    expect(
      one(`SELECT count(*) AS n FROM orders o WHERE o.expert_id IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM expert_specializations s JOIN expert_profiles p ON p.user_id = s.user_id
             WHERE s.user_id = o.expert_id AND s.subject_id = o.subject_id AND s.is_verified = 1 AND s.verified_at < o.taken_at)`)
        .n,
    ).toBe(0);
    expect(
      one(
        "SELECT count(*) AS n FROM users WHERE role = 'expert' AND bio IS NULL AND username NOT LIKE 'expert\\_%' ESCAPE '\\'",
      ).n,
    ).toBe(0);
  });

  test("every order status, both kinds, every grant status and purchase outcome is present", () => {
    expect(ORDER_STATUSES.filter((s) => !(r.ordersByStatus[s]! > 0))).toEqual([]);
    expect(rows("SELECT DISTINCT status FROM orders ORDER BY 1").map((x) => x.status)).toEqual(
      [...ORDER_STATUSES].sort(),
    );
    expect(rows("SELECT DISTINCT kind FROM orders ORDER BY kind").map((x) => x.kind)).toEqual([
      "session",
      "work",
    ]);
    expect(rows("SELECT DISTINCT status FROM grants ORDER BY status").map((x) => x.status)).toEqual([
      "active",
      "exhausted",
      "expired",
      "revoked",
    ]);
    const purchases = rows("SELECT DISTINCT kind || ':' || status AS s FROM purchases ORDER BY 1").map(
      (x) => x.s,
    );
    for (const s of [
      "package:succeeded",
      "package:failed",
      "package:refunded",
      "topup:succeeded",
      "topup:failed",
    ])
      expect(purchases).toContain(s);
    expect(rows("SELECT DISTINCT status FROM course_enrollments ORDER BY 1").map((x) => x.status)).toEqual([
      "active",
      "completed",
    ]);
    expect(rows("SELECT DISTINCT currency FROM orders ORDER BY 1").map((x) => x.currency)).toEqual([
      "EUR",
      "RUB",
      "USD",
    ]);
    // Reviews both ways, some of clients with negative behaviour flags.
    expect(one("SELECT count(*) AS n FROM reviews WHERE direction = 'client_to_expert'").n).toBeGreaterThan(
      0,
    );
    expect(
      one(
        `SELECT count(*) AS n FROM reviews WHERE direction = 'expert_to_client' AND (flags LIKE '%no_show%' OR flags LIKE '%rude%' OR flags LIKE '%late_payment%' OR flags LIKE '%scope_creep%')`,
      ).n,
    ).toBeGreaterThan(0);
  });

  test("everything happens inside the 180 days, and each order's timestamps follow its lifecycle", () => {
    expect(r.to - r.from).toBe(180 * DAY);
    expect(one("SELECT min(created_at) AS lo, max(created_at) AS hi FROM events")).toEqual({
      lo: r.from,
      hi: expect.any(Number),
    });
    expect(one("SELECT max(created_at) AS hi FROM events").hi).toBeLessThanOrEqual(r.to);
    const v = one(
      `SELECT
      sum(taken_at <= created_at) AS taken, sum(paid_at <= taken_at) AS paid, sum(started_at <= paid_at) AS started,
      sum(delivered_at <= started_at) AS delivered,
      sum(completed_at <= coalesce(delivered_at, started_at, taken_at, created_at)) AS completed,
      sum(cancelled_at <= created_at) AS cancelled, sum(updated_at < created_at) AS updated,
      sum(sla_breached_at < sla_due_at) AS breached, sum(updated_at > ?) AS future,
      sum(status = 'completed' AND completed_at IS NULL) AS no_completed_at,
      sum(status = 'cancelled' AND cancelled_at IS NULL) AS no_cancelled_at,
      sum(expert_id IS NULL AND status NOT IN ('new', 'cancelled')) AS no_expert,
      sum(payment_method = 'wallet' AND payment_round != 1) AS rounds
      FROM orders`,
      r.to,
    );
    expect(v).toEqual({
      taken: 0,
      paid: 0,
      started: 0,
      delivered: 0,
      completed: 0,
      cancelled: 0,
      updated: 0,
      breached: 0,
      future: 0,
      no_completed_at: 0,
      no_cancelled_at: 0,
      no_expert: 0,
      rounds: 0,
    });
    // Both deadlines and session times were missed now and then.
    expect(
      one("SELECT count(*) AS n FROM orders WHERE sla_breached_at IS NOT NULL AND kind = 'work'").n,
    ).toBeGreaterThan(0);
  });

  test("ids follow time in every table, as on a live server (daily metrics find a day's events by id)", () => {
    for (const table of [
      "users",
      "orders",
      "events",
      "ledger_transfers",
      "purchases",
      "grants",
      "usage_events",
      "reviews",
      "order_messages",
      "course_enrollments",
      "audit_log",
    ]) {
      const n = one(
        `SELECT count(*) AS n FROM ${table} a JOIN ${table} b ON b.id = a.id + 1 WHERE b.created_at < a.created_at`,
      ).n;
      expect({ table, n }).toEqual({ table, n: 0 });
    }
    expect(rows("PRAGMA foreign_key_check")).toEqual([]);
  });

  test("each order's timeline walks the order machine and ends in the order's status", () => {
    const status = new Map<string, string>();
    const broken: unknown[] = [];
    const timeline = rows<{ subject_id: string; type: string; payload: string }>(
      `SELECT subject_id, type, payload FROM events WHERE subject_type = 'order'
         AND type NOT IN ('order.message_sent', 'order.message_deleted', 'order.review_created', 'order.sla_breached')
       ORDER BY id`,
    );
    for (const e of timeline) {
      const p = JSON.parse(e.payload) as { from: string; to: string };
      if (e.type === "order.created") {
        status.set(e.subject_id, "new");
        continue;
      }
      const action = e.type.slice("order.".length) as ActionName;
      const before = status.get(e.subject_id);
      const ok =
        ACTIONS[action] &&
        p.from === before &&
        (ACTIONS[action].from as readonly string[]).includes(before!) &&
        TARGETS[action].includes(p.to as never);
      if (!ok) broken.push(e);
      status.set(e.subject_id, p.to);
    }
    expect(broken).toEqual([]);
    const mismatched = rows<{ id: number; status: string }>("SELECT id, status FROM orders").filter(
      (o) => status.get(String(o.id)) !== o.status,
    );
    expect(mismatched).toEqual([]);
  });

  test("the books hold: souk check passes, and escrow moved exactly as the order flows move it", () => {
    const report = checkInvariants(t.ctx);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    // An accepted order released its price: 10 % (half up) to revenue, the rest to its expert.
    const released = rows<{ id: number; price: number; payout: number | null; commission: number | null }>(
      `SELECT o.id, o.price,
         (SELECT amount FROM ledger_transfers WHERE idempotency_key = 'order:' || o.id || ':r1:payout') AS payout,
         (SELECT amount FROM ledger_transfers WHERE idempotency_key = 'order:' || o.id || ':r1:commission') AS commission
       FROM orders o WHERE o.id IN (SELECT CAST(subject_id AS INTEGER) FROM events WHERE type IN ('order.accept', 'order.auto_accept'))`,
    );
    expect(released.length).toBeGreaterThan(1000);
    for (const o of released) {
      const commission = Math.round(o.price / 10);
      expect({ id: o.id, commission: o.commission, payout: o.payout }).toEqual({
        id: o.id,
        commission,
        payout: o.price - commission,
      });
    }
    // Orders holding escrow hold exactly their price, in the statuses that may hold it.
    expect(one("SELECT count(*) AS n FROM orders WHERE escrow_amount > 0 AND escrow_amount != price").n).toBe(
      0,
    );
    expect(one("SELECT count(*) AS n FROM orders WHERE escrow_amount > 0").n).toBeGreaterThan(0);
  });

  test("platform revenue is real: package sales and commissions, net of refunds, per day in the daily metrics", () => {
    const revenue = one(
      `SELECT a.id, a.balance FROM ledger_accounts a WHERE owner_type = 'platform' AND kind = 'revenue' AND currency = 'RUB'`,
    );
    expect(revenue.balance).toBeGreaterThan(1_000_000_00);
    const kinds = rows(
      "SELECT DISTINCT kind FROM ledger_transfers WHERE credit_account_id = ? ORDER BY kind",
      revenue.id,
    ).map((x) => x.kind);
    expect(kinds).toEqual(["commission", "payment"]);
    const { first, last, days } = historyDates(r.from, r.to);
    expect(days).toBe(180);
    const start = Date.parse(`${first}T00:00:00Z`);
    const end = Date.parse(`${last}T00:00:00Z`) + DAY;
    const net = one(
      `SELECT (SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers WHERE credit_account_id = ?1 AND created_at >= ?2 AND created_at < ?3)
            - (SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers WHERE debit_account_id = ?1 AND created_at >= ?2 AND created_at < ?3) AS n`,
      revenue.id,
      start,
      end,
    ).n;
    const metrics = one(
      "SELECT count(*) AS days, min(date) AS first, max(date) AS last, sum(platform_revenue) AS revenue, sum(orders_created) AS orders, sum(new_users) AS users FROM daily_metrics",
    );
    expect(metrics).toEqual({
      days: 180,
      first: first as never,
      last: last as never,
      revenue: net,
      orders: one("SELECT count(*) AS n FROM orders WHERE created_at >= ? AND created_at < ?", start, end).n,
      users: one("SELECT count(*) AS n FROM users WHERE created_at >= ? AND created_at < ?", start, end).n,
    });
    // Someone acted every day.
    expect(one("SELECT min(active_users) AS n FROM daily_metrics").n).toBeGreaterThan(0);
  });

  test("scores are rebuilt from the history: a risk for every client, a score for every expert", () => {
    expect(one("SELECT count(*) AS n FROM client_stats").n).toBe(
      one("SELECT count(*) AS n FROM users WHERE role = 'client'").n,
    );
    expect(one("SELECT count(*) AS n FROM expert_stats").n).toBe(
      one("SELECT count(*) AS n FROM users WHERE role = 'expert'").n,
    );
    // Their inputs are the generated orders and reviews.
    expect(
      one(`SELECT count(*) AS n FROM client_stats c WHERE c.orders_total != (SELECT count(*) FROM orders WHERE client_id = c.user_id)
             OR c.orders_cancelled != (SELECT count(*) FROM orders WHERE client_id = c.user_id AND status = 'cancelled')`)
        .n,
    ).toBe(0);
    expect(
      one(`SELECT count(*) AS n FROM expert_stats e WHERE e.orders_taken != (SELECT count(*) FROM orders WHERE expert_id = e.user_id)
             OR e.reviews_count != (SELECT count(*) FROM reviews WHERE target_id = e.user_id AND direction = 'client_to_expert')`)
        .n,
    ).toBe(0);
    expect(one("SELECT count(DISTINCT risk_level) AS n FROM client_stats").n).toBeGreaterThanOrEqual(3);
    expect(one("SELECT count(*) AS n FROM client_stats WHERE negative_flags > 0").n).toBeGreaterThan(0);
    expect(one("SELECT min(master_score) AS lo, max(master_score) AS hi FROM expert_stats")).toEqual({
      lo: expect.any(Number),
      hi: expect.any(Number),
    });
    const { lo, hi } = one("SELECT min(master_score) AS lo, max(master_score) AS hi FROM expert_stats");
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeLessThanOrEqual(100);
    expect(hi).toBeGreaterThan(lo);
  });

  test("grants: remaining = total - allocated usage (refunds revoke the rest), allocations sum to the billed seconds", () => {
    const g = rows<{ status: string; n: number; bad: number }>(
      `SELECT g.status, count(*) AS n, sum(g.remaining_seconds != g.total_seconds - COALESCE(a.s, 0)) AS bad
       FROM grants g LEFT JOIN (SELECT grant_id, sum(seconds) AS s FROM usage_allocations GROUP BY grant_id) a ON a.grant_id = g.id
       GROUP BY g.status ORDER BY g.status`,
    );
    for (const x of g) {
      if (x.status === "revoked")
        expect(one("SELECT max(remaining_seconds) AS m FROM grants WHERE status = 'revoked'").m).toBe(0);
      else expect({ status: x.status, bad: x.bad }).toEqual({ status: x.status, bad: 0 });
    }
    expect(
      one("SELECT count(*) AS n FROM grants WHERE status = 'exhausted' AND remaining_seconds != 0").n,
    ).toBe(0);
    expect(
      one(`SELECT count(*) AS n FROM usage_events u
           WHERE u.billed_seconds != (SELECT sum(seconds) FROM usage_allocations WHERE usage_event_id = u.id)
              OR u.billed_seconds != ((u.seconds + 14) / 15) * 15`).n,
    ).toBe(0);
    // Spent in expiry order: no allocation to a grant that expired before the usage.
    expect(
      one(
        "SELECT count(*) AS n FROM usage_allocations a JOIN usage_events u ON u.id = a.usage_event_id JOIN grants g ON g.id = a.grant_id WHERE g.expires_at <= u.created_at OR g.created_at > u.created_at",
      ).n,
    ).toBe(0);
  });

  test("a demo login sees its own history through the API", async () => {
    const login = await t.call("POST", "/api/v1/auth/login", {
      body: { login: "client_1", password: r.password },
    });
    expect(login.status).toBe(200);
    const token = login.body.access_token as string;
    const id = login.body.user.id as number;
    const mine = await t.call("GET", "/api/v1/orders?role=client&page_size=5", { token });
    expect(mine.status).toBe(200);
    expect(mine.body.count).toBe(one("SELECT count(*) AS n FROM orders WHERE client_id = ?", id).n);
    expect(mine.body.count).toBeGreaterThan(10);
    const balance = await t.call("GET", "/api/v1/users/me/balance", { token });
    expect(balance.status).toBe(200);
    expect(balance.body.remaining_seconds).toBe(
      one(
        "SELECT COALESCE(sum(remaining_seconds), 0) AS n FROM grants WHERE user_id = ? AND status = 'active' AND expires_at > ?",
        id,
        t.clock.now(),
      ).n,
    );
    expect(balance.body.wallet.available).toBe(
      one(
        "SELECT COALESCE(sum(balance), 0) AS n FROM ledger_accounts WHERE owner_type = 'user' AND owner_id = ? AND kind = 'available' AND currency = 'RUB'",
        String(id),
      ).n,
    );
    // A generated user logs in with the same password; someone else's order stays hidden.
    const other = one<{ username: string }>(
      "SELECT username FROM users WHERE role = 'client' AND username LIKE '%.%' ORDER BY id LIMIT 1",
    );
    expect(
      (await t.call("POST", "/api/v1/auth/login", { body: { login: other.username, password: r.password } }))
        .status,
    ).toBe(200);
    const foreign = one(
      "SELECT id FROM orders WHERE client_id != ? AND (expert_id IS NULL OR expert_id != ?) LIMIT 1",
      id,
      id,
    );
    expect((await t.call("GET", `/api/v1/orders/${foreign.id}`, { token })).status).toBe(404);
  });

  test("the indexes, dropped for the load, are re-created as the migrations wrote them; the settings are back", () => {
    const fresh = makeTestApp();
    try {
      const schema = (app: TestApp) =>
        app.ctx.sqlite
          .query("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
          .values();
      expect(schema(t)).toEqual(schema(fresh));
      // Each written table's indexes were rebuilt in one step, after a first step announcing them all.
      const expected = fresh.ctx.sqlite
        .query<{ table: string; n: number }, string[]>(
          `SELECT tbl_name AS "table", count(*) AS n FROM sqlite_master WHERE type = 'index'
           AND sql IS NOT NULL AND tbl_name IN (${WRITTEN_TABLES.map(() => "?").join(", ")}) GROUP BY tbl_name`,
        )
        .all(...WRITTEN_TABLES);
      const total = expected.reduce((a, e) => a + e.n, 0);
      expect(total).toBeGreaterThan(40);
      expect(indexSteps[0]).toMatchObject({ done: 0, total: expected.length, indexes: total });
      expect(indexSteps.slice(1).map((s) => s.done)).toEqual(expected.map((_, i) => i + 1));
      expect(
        indexSteps
          .slice(1)
          .map((s) => ({ table: s.table, n: s.indexes }))
          .sort((a, b) => a.table.localeCompare(b.table)),
      ).toEqual(expected.sort((a, b) => a.table.localeCompare(b.table)));
      expect(r.indexMs).toBeLessThanOrEqual(r.generateMs);
      // The rebuilt indexes hold exactly the tables' rows.
      expect(t.ctx.sqlite.query("PRAGMA integrity_check").values()).toEqual([["ok"]]);
      for (const p of ["synchronous", "foreign_keys", "cache_size"]) {
        expect([p, t.ctx.sqlite.query(`PRAGMA ${p}`).values()]).toEqual([
          p,
          fresh.ctx.sqlite.query(`PRAGMA ${p}`).values(),
        ]);
      }
      // A file database (a fresh :memory: one has no WAL to compare with).
      expect(t.ctx.sqlite.query("PRAGMA journal_mode").values()).toEqual([["wal"]]);
    } finally {
      fresh.ctx.sqlite.close();
    }
  });

  test("refuses a database that already has users", async () => {
    await expect(seedScale(t.ctx, { scale: 1, seed: 7 })).rejects.toBeInstanceOf(DatabaseNotEmpty);
  });

  test("the same seed gives the same data; another seed other data", async () => {
    const again = makeTestApp();
    const other = makeTestApp();
    try {
      await seedScale(again.ctx, { scale: 1, seed: 7 });
      await seedScale(other.ctx, { scale: 1, seed: 8 });
      expect(digest(again)).toBe(seeded);
      expect(digest(other)).not.toBe(seeded);
    } finally {
      again.ctx.sqlite.close();
      other.ctx.sqlite.close();
    }
  }, 180_000);
});
