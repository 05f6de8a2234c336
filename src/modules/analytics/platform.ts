import type { AppContext } from "../../context";
import { prepare, preparedPer } from "../../db/prepared";
import { accountOf, platformRevenue } from "../ledger/service";
import { mean2, percent } from "./period";

/** Order statuses after which a session is no longer ahead: everything else counts as scheduled. */
export const ENDED_SESSION_STATUSES = ["completed", "cancelled", "declined_by_expert"] as const;

export const PLATFORM_SQL = {
  // Roles from the (role, created_at) index alone.
  roles: "SELECT role, count(*) AS n FROM users GROUP BY role",
  // A confirmed email or a Telegram identity: neither is indexed together, so this reads the table.
  verified: "SELECT count(*) AS n FROM users WHERE email_verified_at IS NOT NULL OR telegram_id IS NOT NULL",
  sessions: "SELECT status, count(*) AS n FROM orders WHERE kind = 'session' GROUP BY status",
  courses:
    "SELECT count(*) AS total, count(CASE WHEN status = 'published' THEN 1 END) AS published FROM courses",
  enrollments:
    "SELECT count(*) AS n, count(rating) AS rated, coalesce(sum(rating), 0) AS rating_sum FROM course_enrollments",
  reviews: "SELECT count(*) AS n, coalesce(sum(rating), 0) AS rating_sum FROM reviews",
} as const;

type Count = { n: number };
const stmts = preparedPer((db) => ({
  roles: prepare<{ role: string; n: number }>(db, PLATFORM_SQL.roles),
  verified: prepare<Count>(db, PLATFORM_SQL.verified),
  sessions: prepare<{ status: string; n: number }>(db, PLATFORM_SQL.sessions),
  courses: prepare<{ total: number; published: number }>(db, PLATFORM_SQL.courses),
  enrollments: prepare<{ n: number; rated: number; rating_sum: number }>(db, PLATFORM_SQL.enrollments),
  reviews: prepare<{ n: number; rating_sum: number }>(db, PLATFORM_SQL.reviews),
}));

/**
 * The platform at a glance. Reviews are every rating written: marketplace reviews either way and
 * course ratings (the sum of every user's `reviews_written`); revenue is the platform revenue
 * account's balance, which is what it earned net of refunds.
 */
export function platformFigures(ctx: AppContext, currency: string) {
  const s = stmts(ctx.db);
  const roles = new Map(s.roles.all().map((r) => [r.role, r.n]));
  const users = [...roles.values()].reduce((a, b) => a + b, 0);
  const verified = s.verified.get()!.n;
  const byStatus = new Map(s.sessions.all().map((r) => [r.status, r.n]));
  const sessions = [...byStatus.values()].reduce((a, b) => a + b, 0);
  const completed = byStatus.get("completed") ?? 0;
  const ended = ENDED_SESSION_STATUSES.reduce((a, st) => a + (byStatus.get(st) ?? 0), 0);
  const courses = s.courses.get()!;
  const en = s.enrollments.get()!;
  const rv = s.reviews.get()!;
  return {
    users: {
      total: users,
      students: roles.get("client") ?? 0,
      mentors: roles.get("expert") ?? 0,
      verified,
      verification_rate: percent(verified, users),
    },
    sessions: {
      total: sessions,
      completed,
      scheduled: sessions - ended,
      completion_rate: percent(completed, sessions),
    },
    courses: {
      total: courses.total,
      published: courses.published,
      enrollments: en.n,
      avg_enrollments_per_course: mean2(en.n, courses.total, 0),
    },
    reviews: {
      total: rv.n + en.rated,
      average_rating: mean2(rv.rating_sum + en.rating_sum, rv.n + en.rated, null),
    },
    revenue: { total: accountOf(ctx.db, platformRevenue(currency))?.balance ?? 0, currency },
  };
}

export type PlatformFigures = ReturnType<typeof platformFigures>;
