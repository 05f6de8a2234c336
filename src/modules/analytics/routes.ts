import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { can, principalOf } from "../../http/auth";
import { jsonOrCsv } from "../../http/csv";
import type { AppEnv } from "../../http/types";
import { notFound } from "../../lib/errors";
import { createRouter, errors, secured } from "../../lib/openapi";
import { cached } from "./cache";
import { allCourseAnalytics, courseAnalytics } from "./courses";
import { engagementOf } from "./engagement";
import { userGrowth } from "./growth";
import { type Period, periodOf, utcDate } from "./period";
import { platformFigures } from "./platform";
import { answer, metricTable, seriesTable } from "./respond";
import { revenueAnalytics } from "./revenue";
import {
  CoursesQuery,
  CoursesSchema,
  DaysQuery,
  EngagementSchema,
  PlainQuery,
  PlatformQuery,
  PlatformSchema,
  RevenueQuery,
  RevenueSchema,
  SessionsSchema,
  UserGrowthSchema,
  UserIdParam,
} from "./schemas";
import { sessionAnalytics } from "./sessions";

/** Staff who read every analytics figure; admins hold it through `*`. */
export const ANALYTICS_READ = "analytics:read";

const tags = ["analytics"];

const CACHE_NOTE =
  "Answers are cached for a few minutes and cleared as soon as a change affects them; `X-Cache: hit` or `miss` says which. `?format=csv` downloads the figures as a CSV file.";

/** The route's permission guard with its own description in front of the permission line. */
const guard = (permission: string, text: string) => {
  const s = secured(permission);
  return { ...s, description: `${text} ${CACHE_NOTE}\n\n${s.description}` };
};

const ok = <T extends Parameters<typeof jsonOrCsv>[0]>(schema: T) => ({
  ...jsonOrCsv(schema),
  headers: {
    "X-Cache": {
      description: "`hit` when the answer came from the cache, `miss` when it was computed for this request",
      schema: { type: "string" as const, enum: ["hit", "miss"] },
    },
  },
});

/** A period's cache key: its length and first date, so a new UTC day starts a new window. */
const periodKey = (p: Period) => `${p.days}:${utcDate(p.from)}`;

function engagementAnswer(c: Context<AppEnv>, userId: number, format: "json" | "csv" | undefined) {
  const ctx = c.get("ctx");
  const r = cached(ctx, "engagement", String(userId), () => engagementOf(ctx, userId));
  return answer(c, r, format, (v) => metricTable(`engagement-user-${userId}.csv`, v));
}

/** Platform, growth, session, course and revenue figures for staff; engagement for each user. */
export const analyticsRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/analytics/platform",
      tags,
      summary: "The platform at a glance: users, sessions, courses, reviews and revenue",
      ...guard(
        ANALYTICS_READ,
        "Rates are percentages with two decimals. Revenue is what the platform earned in `currency` (package sales and commissions, net of refunds), in minor units.",
      ),
      request: { query: PlatformQuery },
      responses: { 200: ok(PlatformSchema), ...errors(401, 403) },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const q = c.req.valid("query");
      const r = cached(ctx, "platform", q.currency, () => platformFigures(ctx, q.currency));
      return answer(c, r, q.format, (v) => metricTable(`analytics-platform-${q.currency}.csv`, v));
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/analytics/user-growth",
      tags,
      summary: "Sign-ups per day over the last `days` days, every day listed, oldest first",
      ...guard(ANALYTICS_READ, "Days are UTC dates; the last one is today, so far."),
      request: { query: DaysQuery },
      responses: { 200: ok(UserGrowthSchema), ...errors(401, 403) },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const q = c.req.valid("query");
      const p = periodOf(ctx.clock.now(), q.days);
      const r = cached(ctx, "growth", periodKey(p), () => userGrowth(ctx, p));
      return answer(c, r, q.format, (v) =>
        seriesTable(`user-growth-${q.days}d.csv`, ["date", "new_users"], v.data),
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/analytics/sessions",
      tags,
      summary: "Sessions booked over the last `days` days: by status, mean length, top five experts",
      ...guard(
        ANALYTICS_READ,
        "Sessions are orders of kind `session` created in the period. `avg_duration_minutes` is the mean booked length of the completed ones; `top_mentors` ranks experts by sessions completed.",
      ),
      request: { query: DaysQuery },
      responses: { 200: ok(SessionsSchema), ...errors(401, 403) },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const q = c.req.valid("query");
      const p = periodOf(ctx.clock.now(), q.days);
      const r = cached(ctx, "sessions", periodKey(p), () => sessionAnalytics(ctx, p));
      return answer(c, r, q.format, (v) =>
        metricTable(`sessions-${q.days}d.csv`, { period_days: v.period_days, ...v.analytics }),
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/analytics/courses",
      tags,
      summary: "Enrollments, progress, completion and rating of every course, or of one (`course_id`)",
      ...guard(
        ANALYTICS_READ,
        "Every course is listed, drafts and archived ones too, most enrolled first. An unknown `course_id` is 404.",
      ),
      request: { query: CoursesQuery },
      responses: { 200: ok(CoursesSchema), ...errors(401, 403, 404) },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const q = c.req.valid("query");
      const header = [
        "course_id",
        "course_title",
        "enrollments",
        "avg_progress",
        "completed",
        "completion_rate",
        "avg_rating",
      ] as const;
      if (q.course_id === undefined) {
        const r = cached(ctx, "courses", "all", () => allCourseAnalytics(ctx));
        return answer(c, r, q.format, (v) => seriesTable("courses.csv", [...header], v.courses));
      }
      const id = q.course_id;
      const r = cached(ctx, "courses", String(id), () => courseAnalytics(ctx, id));
      return answer(c, r, q.format, (v) => seriesTable(`course-${id}.csv`, [...header], [v]));
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/analytics/revenue",
      tags,
      summary: "What the platform earned over the last `days` days, in total and per day",
      ...guard(
        ANALYTICS_READ,
        "Revenue is money credited to the platform: package sales and the commissions on orders and courses, less refunds, in minor units of `currency`. Each of those movements is a transaction; a day with more refunded than earned is negative.",
      ),
      request: { query: RevenueQuery },
      responses: { 200: ok(RevenueSchema), ...errors(401, 403) },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const q = c.req.valid("query");
      const p = periodOf(ctx.clock.now(), q.days);
      const r = cached(ctx, "revenue", `${q.currency}:${periodKey(p)}`, () =>
        revenueAnalytics(ctx, p, q.currency),
      );
      return answer(c, r, q.format, (v) =>
        seriesTable(
          `revenue-${q.days}d-${q.currency}.csv`,
          ["date", "revenue", "currency"],
          v.analytics.daily_revenue.map((d) => ({ ...d, currency: q.currency })),
        ),
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/analytics/me/engagement",
      tags,
      summary: "The caller's engagement score (0-100) and what it is made of",
      ...guard(
        "me:read",
        "Score = min(sessions_attended × 3, 30) + min(courses_enrolled × 5, 25) + min(0.3 × avg_progress, 30) + min(reviews_written × 5, 15), rounded half up. Sessions attended are completed sessions booked as a client; reviews written count order reviews and course ratings.",
      ),
      request: { query: PlainQuery },
      responses: { 200: ok(EngagementSchema), ...errors(401, 403) },
    }),
    (c) => engagementAnswer(c, principalOf(c).user.id, c.req.valid("query").format),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/analytics/user/{user_id}/engagement",
      tags,
      summary: "A user's engagement score: your own, or anyone's for analytics staff",
      ...guard(
        "me:read",
        "Other users' scores need `analytics:read`; without it they are 404, as are users that do not exist.",
      ),
      request: { params: UserIdParam, query: PlainQuery },
      responses: { 200: ok(EngagementSchema), ...errors(401, 403, 404) },
    }),
    (c) => {
      const p = principalOf(c);
      const { user_id } = c.req.valid("param");
      if (user_id !== p.user.id && !can(p, ANALYTICS_READ)) throw notFound("user");
      return engagementAnswer(c, user_id, c.req.valid("query").format);
    },
  );
