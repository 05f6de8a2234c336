import { faker } from "@faker-js/faker";
import type { AppContext } from "../context";
import { DAY, HOUR, iso } from "../lib/time";
import { seedDemo } from "../seed";
import { createIndexes, dropIndexes, enterBulkLoad, type IndexStep, secondaryIndexes } from "./bulk-load";
import { startLearning } from "./courses";
import { startMinutes } from "./minutes";
import { startOrdering } from "./orders";
import { calibrate, type Newcomer, planNewcomers, signUpAll } from "./people";
import type { ProgressInfo } from "./progress";
import { type CatalogEntry, type PackageRow, type Person, World } from "./world";
import { WRITTEN_TABLES, Writer } from "./writer";

export const HISTORY_DAYS = 180;

export type ScaleOptions = {
  /** Thousands of users. */
  scale: number;
  /** Seeds faker and the generator's PRNG: the same seed gives the same data (for the same hour). */
  seed: number;
  onProgress?: (p: ProgressInfo) => void;
  /** After the load: the indexes of each table rebuilt. */
  onIndexes?: (s: IndexStep) => void;
};

export type ScaleResult = {
  from: number;
  to: number;
  rows: Record<string, number>;
  ordersByStatus: Record<string, number>;
  usageRefused: number;
  /** The load, then the index rebuild (part of the history's time). */
  generateMs: number;
  indexMs: number;
  password: string;
};

/** `--scale` writes a history, which only makes sense on an empty database. */
export class DatabaseNotEmpty extends Error {
  constructor(users: number) {
    super(
      `refused: --scale builds 180 days of history and needs an empty database, but this one has ${users} user${users === 1 ? "" : "s"}. Point DATA_DIR (or DATABASE_URL) at a new location`,
    );
  }
}

const DEMO_CLIENT_BOOST = 4;

/** The demo seed's users (logins of every role) take part in the history from its first day. */
function adoptDemoUsers(w: World, ctx: AppContext): Newcomer[] {
  const rows = ctx.sqlite
    .query<{ id: number; role: Person["role"]; username: string }, []>(
      "SELECT id, role, username FROM users ORDER BY id",
    )
    .all();
  const specs = ctx.sqlite
    .query<{ user_id: number; subject_id: number }, []>(
      "SELECT user_id, subject_id FROM expert_specializations WHERE is_verified = 1 ORDER BY id",
    )
    .all();
  return rows.map((r) => {
    const person: Person = {
      id: r.id,
      role: r.role,
      username: r.username,
      signup: w.start,
      currency: "RUB",
      bannedAt: Number.POSITIVE_INFINITY,
      telegram: false,
      churnAt: Number.POSITIVE_INFINITY,
      lastLogin: 0,
      orderRate: 0,
      usageRate: 0,
      conduct: 0.9,
      expert:
        r.role === "expert"
          ? { quality: 0.9, responseHours: 2, weight: 1.5, suspendedAt: Number.POSITIVE_INFINITY }
          : null,
    };
    w.add(person);
    if (r.role === "admin") w.admins.push(r.id);
    if (r.role === "admin" || r.role === "arbitrator") w.resolvers.push(r.id);
    for (const s of specs) if (s.user_id === r.id) w.expertsBySubject.get(s.subject_id)?.add(person, 1.5);
    const client = r.role === "client";
    return {
      person,
      firstName: "",
      lastName: "",
      emailVerifiedAt: null,
      orderActivity: client ? DEMO_CLIENT_BOOST : 0,
      usageActivity: client ? 2 : 0,
      courses: client ? 3 : 0,
      expert: null,
    };
  });
}

function loadCatalog(ctx: AppContext) {
  const q = (table: string) =>
    ctx.sqlite
      .query<CatalogEntry, []>(`SELECT id, name FROM ${table} WHERE is_active = 1 ORDER BY sort_order, id`)
      .all();
  return { subjects: q("subjects"), workTypes: q("work_types"), complexities: q("complexities") };
}

function loadPackages(ctx: AppContext): PackageRow[] {
  return ctx.sqlite
    .query<PackageRow, []>(
      `SELECT id, name, seconds, price, currency, validity_days AS validityDays FROM packages
       WHERE is_active = 1 ORDER BY sort_order, id`,
    )
    .all();
}

/** The state the history left grants, balances and last logins in. */
function finalWrites(w: World) {
  for (const g of w.grants) {
    if (g.remaining !== g.total || g.status !== "active") {
      w.w.run(
        "UPDATE grants SET remaining_seconds = ?, status = ? WHERE id = ?",
        g.remaining,
        g.status,
        g.id,
      );
    }
  }
  w.books.flush();
  for (const p of w.people) {
    if (p.lastLogin > 0)
      w.w.run("UPDATE users SET last_login_at = ? WHERE id = ?", Math.floor(p.lastLogin), p.id);
  }
}

const COUNTED = [
  "users",
  "orders",
  "events",
  "ledger_transfers",
  "purchases",
  "grants",
  "usage_events",
  "usage_allocations",
  "reviews",
  "order_messages",
  "courses",
  "course_enrollments",
];

/**
 * A realistic history of `scale` thousand users over the last 180 days before the current hour:
 * the demo seed (dated at the start), then sign-ups, orders through every status, chat, reviews,
 * courses, package purchases and usage, each written at its instant through the same ledger legs,
 * keys and events as the live flows. Synchronous: one process, large transactions, the tables
 * loaded without their indexes, which are rebuilt at the end.
 */
export async function seedScale(ctx: AppContext, o: ScaleOptions): Promise<ScaleResult> {
  const users = ctx.sqlite.query<{ n: number }, []>("SELECT count(*) AS n FROM users").get()!.n;
  if (users > 0) throw new DatabaseNotEmpty(users);
  const to = Math.floor(ctx.clock.now() / HOUR) * HOUR;
  const from = to - HISTORY_DAYS * DAY;
  const demo = await seedDemo({ ...ctx, clock: { now: () => from } });
  faker.seed(o.seed);
  const passwordHash = ctx.sqlite
    .query<{ h: string }, []>("SELECT password_hash AS h FROM users WHERE password_hash IS NOT NULL LIMIT 1")
    .get()!.h;
  const started = performance.now();
  const writer = new Writer(ctx.sqlite);
  const w = new World(
    from,
    to,
    o.seed,
    writer,
    {
      commissionPercent: ctx.settings.get("order_commission_percent"),
      blockSeconds: ctx.settings.get("usage_block_seconds"),
      autoAcceptDays: ctx.settings.get("auto_accept_days"),
    },
    loadCatalog(ctx),
    loadPackages(ctx),
  );
  const restore = enterBulkLoad(ctx.sqlite);
  const indexes = secondaryIndexes(ctx.sqlite, WRITTEN_TABLES);
  let indexMs = 0;
  try {
    dropIndexes(ctx.sqlite, indexes);
    const demoUsers = adoptDemoUsers(w, ctx);
    const total = o.scale * 1000 - demoUsers.length;
    const newcomers = planNewcomers(w, total);
    calibrate(w, [...demoUsers, ...newcomers], o.scale * 10_000, o.scale * 10_000);
    for (const d of demoUsers) {
      if (d.person.role !== "client") continue;
      startOrdering(w, d.person, from);
      startMinutes(w, d.person);
      startLearning(w, d.person, d.courses);
    }
    signUpAll(w, newcomers, passwordHash);
    const report = (t: number) =>
      o.onProgress?.({
        fraction: (t - from) / (to - from),
        day: iso(t).slice(0, 10),
        orders: writer.counts.orders,
        usage: writer.counts.usage_events,
        elapsedMs: performance.now() - started,
      });
    w.timeline.run(to, report);
    finalWrites(w);
    writer.commit();
    report(to);
    indexMs = createIndexes(ctx.sqlite, indexes, o.onIndexes);
  } catch (e) {
    // A failure leaves the indexes dropped: the caller says the database is to be deleted.
    writer.rollback();
    throw e;
  } finally {
    restore();
  }
  const rows = Object.fromEntries(
    COUNTED.map((t) => [t, ctx.sqlite.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${t}`).get()!.n]),
  );
  return {
    from,
    to,
    rows,
    ordersByStatus: w.tally.ordersByStatus,
    usageRefused: w.tally.usageRejected,
    generateMs: Math.round(performance.now() - started),
    indexMs: Math.round(indexMs),
    password: demo.password,
  };
}
