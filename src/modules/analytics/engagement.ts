import type { AppContext } from "../../context";
import { prepare, preparedPer } from "../../db/prepared";
import { notFound } from "../../lib/errors";
import { iso } from "../../lib/time";
import { mean2 } from "./period";

export const ENGAGEMENT_SQL = {
  user: "SELECT id, username, created_at, last_login_at FROM users WHERE id = ?1",
  // The client's orders through (client_id, created_at): completed sessions and the latest order.
  orders: `SELECT count(CASE WHEN kind = 'session' AND status = 'completed' THEN 1 END) AS sessions,
      max(created_at) AS last FROM orders WHERE client_id = ?1`,
  enrollments: `SELECT count(*) AS n, coalesce(sum(progress), 0) AS progress_sum, count(rating) AS rated,
      max(updated_at) AS last FROM course_enrollments WHERE user_id = ?1`,
  reviews: "SELECT count(*) AS n, max(created_at) AS last FROM reviews WHERE author_id = ?1",
} as const;

type Last = { last: number | null };
const stmts = preparedPer((db) => ({
  user: prepare<
    { id: number; username: string | null; created_at: number; last_login_at: number | null },
    [number]
  >(db, ENGAGEMENT_SQL.user),
  orders: prepare<{ sessions: number } & Last, [number]>(db, ENGAGEMENT_SQL.orders),
  enrollments: prepare<{ n: number; progress_sum: number; rated: number } & Last, [number]>(
    db,
    ENGAGEMENT_SQL.enrollments,
  ),
  reviews: prepare<{ n: number } & Last, [number]>(db, ENGAGEMENT_SQL.reviews),
}));

export type EngagementInputs = {
  sessions: number;
  courses: number;
  /** Sum of progress over the user's enrollments (each 0-100). */
  progressSum: number;
  reviews: number;
};

/**
 * min(sessions * 3, 30) + min(courses * 5, 25) + min(0.3 * avg_progress, 30) + min(reviews * 5, 15),
 * rounded half up to an integer. The progress term is kept as the fraction 3 * sum / (10 * courses)
 * and rounded in integers (0.3 * 35 / 3 is 3.4999… in floating point, not 3.5).
 */
export function engagementScore(x: EngagementInputs): number {
  const whole = Math.min(x.sessions * 3, 30) + Math.min(x.courses * 5, 25) + Math.min(x.reviews * 5, 15);
  if (x.courses === 0) return whole;
  const num = Math.min(3 * x.progressSum, 300 * x.courses);
  const den = 10 * x.courses;
  return whole + Math.floor((2 * num + den) / (2 * den));
}

/**
 * A user's engagement from the source tables. last_activity is the latest of: signing up, signing
 * in, placing an order, any change to an enrollment (joining, progress, completion, rating),
 * writing a review.
 */
export function engagementOf(ctx: AppContext, userId: number) {
  const s = stmts(ctx.db);
  const u = s.user.get(userId);
  if (!u) throw notFound("user");
  const o = s.orders.get(userId)!;
  const en = s.enrollments.get(userId)!;
  const rv = s.reviews.get(userId)!;
  const inputs = {
    sessions: o.sessions,
    courses: en.n,
    progressSum: en.progress_sum,
    reviews: rv.n + en.rated,
  };
  const times = [u.created_at, u.last_login_at, o.last, en.last, rv.last].filter(
    (t): t is number => t != null,
  );
  return {
    user_id: u.id,
    username: u.username,
    sessions_attended: inputs.sessions,
    courses_enrolled: inputs.courses,
    avg_progress: mean2(en.progress_sum, en.n, 0),
    reviews_written: inputs.reviews,
    last_activity: iso(Math.max(...times)),
    engagement_score: engagementScore(inputs),
  };
}

export type Engagement = ReturnType<typeof engagementOf>;
