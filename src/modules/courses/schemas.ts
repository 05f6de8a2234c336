import { z } from "@hono/zod-openapi";
import { COURSE_STATUSES, ENROLLMENT_STATUSES } from "../../db/schema";
import { Currency } from "../billing/package-schemas";

const Title = z.string().trim().min(1).max(200);
const Description = z.string().trim().max(5000);
/** Minor units (kopecks, cents); a course may be free. */
const Price = z.number().int("minor units").min(0).max(1_000_000_000_000);
const SubjectId = z.number().int().positive();

const nonEmpty = (o: object) => Object.keys(o).length > 0;

// ---------- bodies ----------

export const CourseCreateBody = z
  .strictObject({
    title: Title,
    description: Description.nullable().optional(),
    subject_id: SubjectId.nullable().optional(),
    price: Price.default(0),
    currency: Currency.default("RUB"),
  })
  .openapi("CourseCreateBody", {
    description: "A new course starts as a draft. Price in minor units.",
    example: {
      title: "Eigenvalues in a week",
      description: "Seven short lessons",
      price: 99000,
      currency: "RUB",
    },
  });
export type CourseCreate = z.infer<typeof CourseCreateBody>;

export const CoursePatchBody = z
  .strictObject({
    title: Title.optional(),
    description: Description.nullable().optional(),
    subject_id: SubjectId.nullable().optional(),
    price: Price.optional(),
    currency: Currency.optional(),
  })
  .refine(nonEmpty, { message: "send at least one field to change" })
  .openapi("CoursePatchBody", {
    description: "Partial update by the owner. Price and currency are frozen once anyone has enrolled (409).",
  });
export type CoursePatch = z.infer<typeof CoursePatchBody>;

export const ProgressBody = z
  .strictObject({ progress: z.number().int("whole percent").min(0).max(100) })
  .openapi("CourseProgressBody", {
    description: "Percent done, 0-100. It never goes down (409); 100 completes the enrollment.",
    example: { progress: 40 },
  });

export const RateBody = z
  .strictObject({
    rating: z.number().int().min(1).max(5),
    review: z.string().trim().max(5000).nullable().optional(),
  })
  .openapi("CourseRateBody", {
    description: "One rating per enrolled learner (a second one is 409).",
    example: { rating: 5, review: "Clear and to the point" },
  });
export type RateInput = z.infer<typeof RateBody>;

// ---------- queries ----------

export const CourseListQuery = z.object({
  subject_id: z.coerce.number().int().positive().optional(),
  expert_id: z.coerce.number().int().positive().optional(),
  q: z.string().trim().min(1).max(200).optional().openapi({ description: "Substring of the title" }),
});

export const MyCoursesQuery = z.object({ status: z.enum(COURSE_STATUSES).optional() });

// ---------- responses ----------

export const CourseSchema = z
  .object({
    id: z.number().int(),
    expert_id: z.number().int(),
    subject_id: z.number().int().nullable(),
    title: z.string(),
    description: z.string().nullable(),
    price: z.number().int(),
    currency: z.string(),
    status: z.enum(COURSE_STATUSES),
    published_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    enrollments_count: z.number().int(),
    completed_count: z.number().int(),
    rating: z.object({
      average: z
        .number()
        .nullable()
        .openapi({ description: "Mean of the ratings, 2 decimals; null when none" }),
      count: z.number().int(),
    }),
  })
  .openapi("Course");

export const EnrollmentSchema = z
  .object({
    id: z.number().int(),
    course_id: z.number().int(),
    course_title: z.string(),
    course_status: z.enum(COURSE_STATUSES),
    user_id: z.number().int(),
    status: z.enum(ENROLLMENT_STATUSES),
    progress: z.number().int(),
    price_paid: z.number().int(),
    currency: z.string(),
    completed_at: z.string().nullable(),
    rating: z.number().int().nullable(),
    review: z.string().nullable(),
    rated_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("CourseEnrollment");

/** A learner as the course's owner (or staff) sees them. */
export const LearnerSchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int(),
    username: z.string().nullable(),
    status: z.enum(ENROLLMENT_STATUSES),
    progress: z.number().int(),
    price_paid: z.number().int(),
    completed_at: z.string().nullable(),
    rating: z.number().int().nullable(),
    review: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("CourseLearner");
