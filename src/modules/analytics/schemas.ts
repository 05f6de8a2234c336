import { ORDER_STATUSES } from "../../db/schema";
import { FormatQuery } from "../../http/csv";
import { Currency } from "../../lib/currency";
import { z } from "../../lib/openapi";

// ---------- queries: unknown parameters are refused, like a bad value ----------

const Days = z.coerce
  .number()
  .int()
  .min(1)
  .max(365)
  .default(30)
  .openapi({ description: "Days to cover, today (UTC) included: 1-365, default 30", example: 30 });

const CurrencyParam = Currency.default("RUB").openapi({
  description: "Currency of the revenue figures (ISO 4217); default RUB",
});

export const PlainQuery = FormatQuery.strict();
export const PlatformQuery = FormatQuery.extend({ currency: CurrencyParam }).strict();
export const DaysQuery = FormatQuery.extend({ days: Days }).strict();
export const RevenueQuery = FormatQuery.extend({ days: Days, currency: CurrencyParam }).strict();
export const CoursesQuery = FormatQuery.extend({
  course_id: z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .openapi({ description: "One course's figures instead of the list (404 when it does not exist)" }),
}).strict();
export const UserIdParam = z.object({
  user_id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "user_id", in: "path" }, example: 1 }),
});

// ---------- answers ----------

const Count = z.number().int();
const Percent = z.number().openapi({ description: "Percent, two decimals" });
const Money = z.number().int().openapi({ description: "Minor units (kopecks, cents)" });
const Day = z.string().openapi({ description: "UTC date, YYYY-MM-DD", example: "2026-11-22" });

export const PlatformSchema = z
  .object({
    users: z.object({
      total: Count,
      students: Count.openapi({ description: "Users with the client role" }),
      mentors: Count.openapi({ description: "Users with the expert role" }),
      verified: Count.openapi({ description: "Users with a confirmed email or a Telegram identity" }),
      verification_rate: Percent,
    }),
    sessions: z.object({
      total: Count,
      completed: Count,
      scheduled: Count.openapi({ description: "Not yet completed, cancelled or declined" }),
      completion_rate: Percent,
    }),
    courses: z.object({
      total: Count,
      published: Count,
      enrollments: Count,
      avg_enrollments_per_course: z.number(),
    }),
    reviews: z.object({
      total: Count.openapi({ description: "Order reviews (either direction) and course ratings" }),
      average_rating: z.number().nullable().openapi({ description: "Null while there is none" }),
    }),
    revenue: z.object({ total: Money, currency: z.string() }),
  })
  .openapi("PlatformAnalytics");

export const UserGrowthSchema = z
  .object({
    period_days: Count,
    data: z.array(z.object({ date: Day, new_users: Count })),
  })
  .openapi("UserGrowth");

export const SessionsSchema = z
  .object({
    period_days: Count,
    analytics: z.object({
      total: Count,
      by_status: z.object(Object.fromEntries(ORDER_STATUSES.map((s) => [s, Count]))),
      avg_duration_minutes: z
        .number()
        .nullable()
        .openapi({ description: "Mean booked length of the completed sessions; null with none" }),
      top_mentors: z.array(z.object({ mentor_id: z.number().int(), sessions: Count })),
    }),
  })
  .openapi("SessionAnalytics");

export const CourseFiguresSchema = z
  .object({
    course_id: z.number().int(),
    course_title: z.string(),
    enrollments: Count,
    avg_progress: z.number().openapi({ description: "Mean progress in percent (0 with no learners)" }),
    completed: Count,
    completion_rate: Percent,
    avg_rating: z.number().nullable().openapi({ description: "Null while nobody rated the course" }),
  })
  .openapi("CourseAnalytics");

export const CoursesSchema = z
  .union([CourseFiguresSchema, z.object({ courses: z.array(CourseFiguresSchema) })])
  .openapi("CourseAnalyticsAnswer");

export const RevenueSchema = z
  .object({
    period_days: Count,
    analytics: z.object({
      total_revenue: Money,
      transaction_count: Count,
      avg_transaction: Money.nullable().openapi({ description: "Minor units; null with no transactions" }),
      currency: z.string(),
      daily_revenue: z.array(z.object({ date: Day, revenue: Money })),
    }),
  })
  .openapi("RevenueAnalytics");

export const EngagementSchema = z
  .object({
    user_id: z.number().int(),
    username: z.string().nullable(),
    sessions_attended: Count,
    courses_enrolled: Count,
    avg_progress: z.number(),
    reviews_written: Count,
    last_activity: z.string().openapi({
      description: "ISO-8601 UTC: the latest of sign-up, sign-in, order, enrollment change, review",
    }),
    engagement_score: z.number().int().min(0).max(100),
  })
  .openapi("Engagement");
