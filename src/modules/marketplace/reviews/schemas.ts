import { z } from "@hono/zod-openapi";
import { NEGATIVE_REVIEW_FLAGS, POSITIVE_REVIEW_FLAGS, REVIEW_DIRECTIONS } from "../../../db/schema";
import { PageQuery } from "../../../lib/pagination";

export const REVIEW_FLAGS = [...NEGATIVE_REVIEW_FLAGS, ...POSITIVE_REVIEW_FLAGS] as const;
export type ReviewFlag = (typeof REVIEW_FLAGS)[number];

export const COMMENT_MAX_CHARS = 2000;

const Rating = z.number().int("a whole number of stars").min(1).max(5).openapi({ example: 5 });
/** Trimmed; an empty comment is stored as none. */
const Comment = z
  .string()
  .trim()
  .max(COMMENT_MAX_CHARS)
  .nullable()
  .optional()
  .transform((s) => (s ? s : null));

export const ExpertReviewBody = z
  .strictObject({ rating: Rating, comment: Comment })
  .openapi("ExpertReviewBody", { example: { rating: 5, comment: "Fast, careful, explained every step" } });
export type ExpertReviewInput = z.infer<typeof ExpertReviewBody>;

export const ClientReviewBody = z
  .strictObject({
    rating: Rating,
    comment: Comment,
    flags: z
      .array(z.enum(REVIEW_FLAGS))
      .max(REVIEW_FLAGS.length)
      .refine((f) => new Set(f).size === f.length, "flags must not repeat")
      .optional(),
  })
  .openapi("ClientReviewBody", {
    example: {
      rating: 4,
      comment: "Clear task, paid on time",
      flags: ["clear_requirements", "prompt_payment"],
    },
  });
export type ClientReviewInput = z.infer<typeof ClientReviewBody>;

const UserRef = z.object({ id: z.number().int(), username: z.string().nullable() });

export const ReviewSchema = z
  .object({
    id: z.number().int(),
    order_id: z.number().int(),
    direction: z.enum(REVIEW_DIRECTIONS),
    rating: z.number().int(),
    comment: z.string().nullable(),
    flags: z.array(z.string()),
    is_published: z.boolean(),
    author: UserRef,
    target: UserRef,
    created_at: z.string(),
  })
  .openapi("Review");
export type Review = z.infer<typeof ReviewSchema>;

export const RatingDistribution = z
  .object({
    "5": z.number().int(),
    "4": z.number().int(),
    "3": z.number().int(),
    "2": z.number().int(),
    "1": z.number().int(),
  })
  .openapi("RatingDistribution");
export type RatingDistribution = z.infer<typeof RatingDistribution>;

/** Seed 000's ExpertReviewDetail. */
export const ExpertReviewSchema = z
  .object({
    id: z.number().int(),
    rating: z.number().int(),
    comment: z.string().nullable(),
    client: UserRef,
    order: z.object({ id: z.number().int(), title: z.string() }),
    created_at: z.string(),
  })
  .openapi("ExpertReview");
export type ExpertReview = z.infer<typeof ExpertReviewSchema>;

/** A review as anyone may see it: no order title, no client. */
export const PublicExpertReviewSchema = ExpertReviewSchema.omit({ client: true, order: true }).openapi(
  "PublicExpertReview",
);
export type PublicExpertReview = z.infer<typeof PublicExpertReviewSchema>;

const reviewPage = <T extends z.ZodType>(item: T) =>
  z.object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    average_rating: z.number().nullable(),
    rating_distribution: RatingDistribution,
    results: z.array(item),
  });

/** Seed 000's reviews response: the page, plus the average and distribution over every published review. */
export const ExpertReviewPage = reviewPage(ExpertReviewSchema).openapi("ExpertReviewPage");
/** The same page for the public: each review without the order and the client who wrote it. */
export const PublicExpertReviewPage = reviewPage(PublicExpertReviewSchema).openapi("PublicExpertReviewPage");

export const ExpertReviewsQuery = PageQuery.extend({
  page_size: PageQuery.shape.page_size.removeDefault().default(10),
  rating: z.coerce.number().int().min(1).max(5).optional(),
});
export type ExpertReviewsQuery = z.infer<typeof ExpertReviewsQuery>;
