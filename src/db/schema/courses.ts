import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";
import { subjects } from "./marketplace";

export const COURSE_STATUSES = ["draft", "published", "archived"] as const;

/** Seed 004's courses: made by experts, free (price 0) or paid from the wallet. */
export const courses = sqliteTable(
  "courses",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    expertId: integer("expert_id")
      .notNull()
      .references(() => users.id),
    subjectId: integer("subject_id").references(() => subjects.id),
    title: text("title").notNull(),
    description: text("description"),
    price: integer("price").notNull().default(0),
    currency: text("currency").notNull().default("RUB"),
    status: text("status", { enum: COURSE_STATUSES }).notNull().default("draft"),
    publishedAt: integer("published_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // The public catalogue lists published courses, newest first.
    index("courses_status_published_idx").on(t.status, t.publishedAt),
    index("courses_expert_idx").on(t.expertId, t.createdAt),
    check("courses_price_non_negative", sql`${t.price} >= 0`),
  ],
);

export const ENROLLMENT_STATUSES = ["active", "completed"] as const;

/** One per (course, user); the rating lives here so a learner rates a course at most once. */
export const courseEnrollments = sqliteTable(
  "course_enrollments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    courseId: integer("course_id")
      .notNull()
      .references(() => courses.id),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    status: text("status", { enum: ENROLLMENT_STATUSES }).notNull().default("active"),
    progress: integer("progress").notNull().default(0),
    pricePaid: integer("price_paid").notNull().default(0),
    completedAt: integer("completed_at"),
    rating: integer("rating"),
    review: text("review"),
    ratedAt: integer("rated_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("course_enrollments_course_user_uq").on(t.courseId, t.userId),
    index("course_enrollments_user_idx").on(t.userId, t.createdAt),
    // Course analytics aggregate each course's enrollments from the index alone.
    index("course_enrollments_course_stats_idx").on(t.courseId, t.status, t.progress, t.rating),
    check("course_enrollments_progress_range", sql`${t.progress} BETWEEN 0 AND 100`),
    check("course_enrollments_rating_range", sql`${t.rating} IS NULL OR ${t.rating} BETWEEN 1 AND 5`),
  ],
);
