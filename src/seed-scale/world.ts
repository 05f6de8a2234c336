import type { Role } from "../db/schema";
import { DAY, HOUR, MINUTE } from "../lib/time";
import { Books } from "./books";
import { GrowingPool, Rng } from "./random";
import { Timeline } from "./timeline";
import type { Writer } from "./writer";

/** An expert's traits: how good, how quick to take an order, how much work they draw. */
export type ExpertTraits = {
  quality: number;
  responseHours: number;
  weight: number;
  suspendedAt: number;
};

/** Someone in the generated population, as the simulation needs them. */
export type Person = {
  id: number;
  role: Role;
  username: string;
  signup: number;
  /** The wallet currency of their orders and top-ups. */
  currency: string;
  bannedAt: number;
  /** Signed up through Telegram (logs in that way too). */
  telegram: boolean;
  /** After this instant they stop placing orders and using minutes. */
  churnAt: number;
  lastLogin: number;
  /** Orders placed per day while active (clients), minute usages per day (Screph users). */
  orderRate: number;
  usageRate: number;
  /** How pleasant a client is to work with, in (0, 1]: experts' ratings and flags follow it. */
  conduct: number;
  expert: ExpertTraits | null;
};

export type CatalogEntry = { id: number; name: string };
export type PackageRow = {
  id: number;
  name: string;
  seconds: number;
  price: number;
  currency: string;
  validityDays: number;
};

/** Minutes a user may spend, as the simulation tracks them until the final write. */
export type Grant = {
  id: number;
  userId: number;
  total: number;
  remaining: number;
  purchasedAt: number;
  expiresAt: number;
  status: "active" | "exhausted" | "expired" | "revoked";
};

/** Counts the summary and the tests read. */
export type Tally = {
  ordersByStatus: Record<string, number>;
  usageRejected: number;
};

// Share of activity by UTC hour: the audience lives around UTC+3, quiet at night.
const HOURLY = [
  0.14, 0.1, 0.08, 0.08, 0.12, 0.25, 0.5, 0.8, 0.95, 1, 1, 1, 0.95, 1, 1, 1, 0.95, 0.9, 0.85, 0.75, 0.6, 0.42,
  0.3, 0.2,
];
// Sunday first, as Date#getUTCDay counts.
const WEEKDAY = [0.72, 1, 1, 0.98, 0.97, 0.92, 0.78];
const MEAN_WEIGHT = (HOURLY.reduce((a, b) => a + b, 0) / 24) * (WEEKDAY.reduce((a, b) => a + b, 0) / 7);

/** How busy an instant is, in (0, 1]: the thinning weight of the daily and weekly rhythm. */
export function rhythm(t: number): number {
  // getUTCHours and getUTCDay without a Date (the epoch, day 0, was a Thursday); t >= 0.
  const hours = Math.floor(t / HOUR);
  return HOURLY[hours % 24]! * WEEKDAY[(Math.floor(hours / 24) + 4) % 7]!;
}

/** The first run of a schedule with the given period at or after `t` (cron `*\/n` minutes). */
export const nextRun = (t: number, periodMinutes: number) =>
  Math.ceil(t / (periodMinutes * MINUTE)) * periodMinutes * MINUTE;

export const roundTo = (x: number, step: number) => Math.max(step, Math.round(x / step) * step);

/** Everything the generator's parts share: the clock window, the random source, the writers. */
export class World {
  readonly rng: Rng;
  readonly w: Writer;
  readonly books: Books;
  readonly timeline: Timeline;
  readonly people: Person[] = [];
  readonly byId = new Map<number, Person>();
  /** Staff who approve, verify, confirm, refund and ban (admins), and who resolve disputes. */
  readonly admins: number[] = [];
  readonly resolvers: number[] = [];
  /** Verified, active experts per subject id, drawn by their weight. */
  readonly expertsBySubject = new Map<number, GrowingPool<Person>>();
  /** Every grant, and each user's grants in spend order (expires_at, purchased_at, id). */
  readonly grants: Grant[] = [];
  readonly grantsByUser = new Map<number, Grant[]>();
  readonly tally: Tally = { ordersByStatus: {}, usageRejected: 0 };

  constructor(
    readonly start: number,
    readonly end: number,
    seed: number,
    writer: Writer,
    readonly settings: { commissionPercent: number; blockSeconds: number; autoAcceptDays: number },
    readonly catalog: { subjects: CatalogEntry[]; workTypes: CatalogEntry[]; complexities: CatalogEntry[] },
    readonly packages: PackageRow[],
  ) {
    this.rng = new Rng(seed);
    this.w = writer;
    this.books = new Books(writer);
    this.timeline = new Timeline(start);
    for (const s of catalog.subjects) this.expertsBySubject.set(s.id, new GrowingPool());
  }

  add(p: Person) {
    this.people.push(p);
    this.byId.set(p.id, p);
  }

  /** Runs `action` at `t` if that is still inside the history. */
  at(t: number, action: () => void) {
    if (t <= this.end) this.timeline.at(t, action);
  }

  /**
   * The next instant of a Poisson process of `perDay` events a day shaped by the daily and weekly
   * rhythm (thinning), after `t`; Infinity past `until`.
   */
  nextArrival(t: number, perDay: number, until: number): number {
    if (perDay <= 0) return Number.POSITIVE_INFINITY;
    const mean = (DAY / perDay) * MEAN_WEIGHT;
    let x = t;
    for (;;) {
      x += this.rng.exp(mean);
      if (x > until) return Number.POSITIVE_INFINITY;
      if (this.rng.next() < rhythm(x)) return x;
    }
  }

  /** A random instant in [from, to) that follows the daily rhythm. */
  instantBetween(from: number, to: number): number {
    for (let i = 0; i < 20; i++) {
      const x = this.rng.uniform(from, to);
      if (this.rng.next() < rhythm(x)) return x;
    }
    return this.rng.uniform(from, to);
  }

  /** Whole milliseconds: the delay `ms` after `t`, at least a second. */
  after(t: number, ms: number): number {
    return Math.floor(t + Math.max(1000, ms));
  }

  pickAdmin(): number {
    return this.rng.pick(this.admins);
  }

  pickResolver(): number {
    return this.rng.pick(this.resolvers.length ? this.resolvers : this.admins);
  }

  /** Is the user still about (not banned, not churned) at `t`? */
  active(p: Person, t: number) {
    return t < p.bannedAt && t < p.churnAt;
  }

  /** A password or Telegram login (accounts/service.ts): the event, and the user's last login. */
  login(p: Person, t: number) {
    if (t > p.lastLogin) p.lastLogin = t;
    this.w.event(t, "user.logged_in", p.id, "user", p.id, { via: p.telegram ? "telegram" : "password" });
  }

  countStatus(status: string) {
    this.tally.ordersByStatus[status] = (this.tally.ordersByStatus[status] ?? 0) + 1;
  }
}
