import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { users } from "../../src/db/schema";
import { dayBounds } from "../../src/modules/analytics/daily/dates";
import { firstIdFrom } from "../../src/modules/analytics/daily/rowid-range";
import { computeDailyMetricsRange } from "../../src/modules/analytics/daily/service";
import { makeTestApp } from "../helpers/app";

/**
 * The id-range search against a linear scan, and a day's figures against a model built in plain
 * TypeScript, over random rows. Times cluster on midnights (±1 ms) so the boundaries are hit often.
 */

const NUM_RUNS = Number(process.env.FC_RUNS ?? 100);
const DAYS = ["2026-11-20", "2026-11-21", "2026-11-22"] as const;
const MIDNIGHTS = [...DAYS, "2026-11-23"].map((d) => dayBounds(d).start);

/** An instant near (often exactly on) one of the midnights, or anywhere in the three days. */
const instantArb = fc.oneof(
  fc.tuple(fc.constantFrom(...MIDNIGHTS), fc.constantFrom(-1, 0, 1)).map(([m, d]) => m + d),
  fc.integer({ min: MIDNIGHTS[0]! - 5, max: MIDNIGHTS[3]! + 5 }),
);

describe("firstIdFrom (binary search over the rowid)", () => {
  // Only the columns the search reads; both tables, as the statements of both are prepared together.
  const db = new Database(":memory:");
  db.run("CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER NOT NULL)");
  db.run("CREATE TABLE usage_events (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER NOT NULL)");
  const insert = db.prepare("INSERT INTO events (id, created_at) VALUES (?, ?)");

  test("splits the rows exactly where created_at reaches t (ids with gaps, equal times)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), instantArb), { maxLength: 60 }),
        fc.array(instantArb, { minLength: 1, maxLength: 8 }),
        (rows, probes) => {
          db.run("DELETE FROM events");
          // Ids grow by random steps (gaps); times are the same instants sorted: they never go back.
          const times = rows.map(([, at]) => at).sort((a, b) => a - b);
          let id = 0;
          const table = times.map((at, i) => {
            id += rows[i]![0];
            insert.run(id, at);
            return { id, at };
          });
          for (const t of probes) {
            // The boundary may fall in a gap: what matters is which rows are on each side.
            const from = firstIdFrom(db, "events", t);
            expect(table.filter((r) => r.id >= from)).toEqual(table.filter((r) => r.at >= t));
            if (table.length) expect(from).toBeLessThanOrEqual(id + 1);
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("a day's figures against a model", () => {
  const t = makeTestApp();
  t.clock.set("2026-11-23T00:05:00.000Z");
  // Five actors; the random sign-ups come on top of them.
  const ids = [0, 1, 2, 3, 4].map(
    (i) =>
      t.ctx.db
        .insert(users)
        .values({ email: `a${i}@x.test`, role: "client", createdAt: 0, updatedAt: 0 })
        .returning()
        .get().id,
  );
  const q = (sql: string) => t.ctx.sqlite.prepare(sql);
  const signUp = q("INSERT INTO users (email, role, created_at, updated_at) VALUES (?, 'client', ?, ?)");
  const event = q(
    "INSERT INTO events (type, actor_id, payload, created_at) VALUES ('order.created', ?, '{}', ?)",
  );
  const use = q(
    `INSERT INTO usage_events (user_id, usage_id, seconds, billed_seconds, remaining_after, created_at)
     VALUES (?, ?, ?, ?, 0, ?)`,
  );
  const byTime = <T extends [number, ...unknown[]]>(rows: T[]) => [...rows].sort((a, b) => a[0] - b[0]);

  test("new users, active users and billed seconds per day match the rows that fall in each day", () => {
    fc.assert(
      fc.property(
        fc.array(instantArb, { maxLength: 12 }),
        fc.array(fc.tuple(instantArb, fc.option(fc.integer({ min: 0, max: 4 }), { nil: null })), {
          maxLength: 30,
        }),
        fc.array(fc.tuple(instantArb, fc.integer({ min: 1, max: 300 })), { maxLength: 20 }),
        (signUps, events, usage) => {
          t.ctx.sqlite.run("DELETE FROM usage_events");
          t.ctx.sqlite.run("DELETE FROM events");
          t.ctx.sqlite.run(`DELETE FROM users WHERE id > ${ids.at(-1)}`);
          for (const [i, at] of signUps.entries()) signUp.run(`s${i}@x.test`, at, at);
          // Written in time order, as the live paths write them.
          for (const [at, who] of byTime(events)) event.run(who == null ? null : ids[who]!, at);
          for (const [i, [at, billed]] of byTime(usage).entries())
            use.run(ids[0]!, `u${i}`, billed, billed, at);

          const got = computeDailyMetricsRange(t.ctx, DAYS[0], DAYS[2]).map((s) => s.metrics);
          for (const [i, d] of DAYS.entries()) {
            const { start, end } = dayBounds(d);
            const inDay = (at: number) => at >= start && at < end;
            expect(got[i]).toMatchObject({
              date: d,
              newUsers: signUps.filter(inDay).length,
              activeUsers: new Set(events.filter(([at, who]) => inDay(at) && who != null).map(([, w]) => w))
                .size,
              minutesUsedSeconds: usage.filter(([at]) => inDay(at)).reduce((s, [, b]) => s + b, 0),
            });
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
