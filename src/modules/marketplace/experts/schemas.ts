import { z } from "@hono/zod-openapi";
import { APPLICATION_STATUSES } from "../../../db/schema";
import { MasterScoreFields } from "../../scoring/schemas";

const Text = (max: number) => z.string().trim().max(max);
const BoolQuery = z.enum(["true", "false"]).optional();

/** A compact view of the user behind an application, document or specialization (admin lists). */
export const UserRefSchema = z
  .object({
    id: z.number().int(),
    username: z.string().nullable(),
    email: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    role: z.string(),
  })
  .openapi("UserRef");

// ---------- applications ----------

export const ApplicationBody = z
  .strictObject({
    bio: Text(5000).optional(),
    experience_years: z.number().int().min(0).max(80).optional(),
    education: Text(2000).optional(),
    skills: Text(2000).optional(),
  })
  .openapi("ExpertApplicationBody", {
    description: "Every field is optional; on approval the given ones are copied into the user's profile.",
    example: {
      bio: "Maths tutor; ten years of university teaching",
      experience_years: 10,
      education: "MSc Applied Mathematics",
      skills: "linear algebra, calculus, statistics",
    },
  });
export type ApplicationInput = z.infer<typeof ApplicationBody>;

export const ApplicationSchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int(),
    status: z.enum(APPLICATION_STATUSES),
    bio: z.string().nullable(),
    experience_years: z.number().int().nullable(),
    education: z.string().nullable(),
    skills: z.string().nullable(),
    reject_reason: z.string().nullable(),
    reviewed_by: z.number().int().nullable(),
    reviewed_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ExpertApplication");

export const AdminApplicationSchema = ApplicationSchema.extend({ user: UserRefSchema }).openapi(
  "AdminExpertApplication",
);

export const ApplicationsQuery = z.object({ status: z.enum(APPLICATION_STATUSES).optional() });

export const RejectBody = z
  .strictObject({ reason: z.string().trim().min(1).max(1000).optional() })
  .openapi("ExpertApplicationRejectBody");

/** Actions that take no input still refuse unknown fields. */
export const EmptyBody = z.strictObject({});

// ---------- documents ----------

export const DocumentTitle = z.string().trim().min(1).max(200);

/**
 * The multipart body of an upload, for the OpenAPI document only. A plain schema object (not zod)
 * on purpose: with a zod schema @hono/zod-openapi installs its own form validator in front of the
 * handler, which refuses valid multipart types that carry a parameter before `boundary` (415) and
 * answers a missing file with its own message. readUpload checks the body instead (415/413/400).
 */
export const DocumentSchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int(),
    title: z.string(),
    is_verified: z.boolean(),
    verified_by: z.number().int().nullable(),
    verified_at: z.string().nullable(),
    file: z.object({
      id: z.number().int(),
      name: z.string(),
      content_type: z.string(),
      size: z.number().int(),
      sha256: z.string(),
      created_at: z.string(),
    }),
    created_at: z.string(),
  })
  .openapi("ExpertDocument");

export const AdminDocumentSchema = DocumentSchema.extend({ user: UserRefSchema }).openapi(
  "AdminExpertDocument",
);

export const VerifiedQuery = z.object({ verified: BoolQuery });

// ---------- specializations ----------

export const SpecializationBody = z
  .strictObject({ subject_id: z.number().int().positive() })
  .openapi("ExpertSpecializationBody", { example: { subject_id: 1 } });

export const SpecializationSchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int(),
    subject_id: z.number().int(),
    subject_name: z.string(),
    is_verified: z.boolean(),
    verified_by: z.number().int().nullable(),
    verified_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("ExpertSpecialization");

export const AdminSpecializationSchema = SpecializationSchema.extend({ user: UserRefSchema }).openapi(
  "AdminExpertSpecialization",
);

// ---------- admin experts (seed 001 masters) ----------

export const ExpertsQuery = z.object({
  is_active: BoolQuery,
  q: z.string().trim().min(1).max(100).optional(),
});

/** Orderings of the staff list of experts (seed 001 masters). */
export const EXPERT_ORDERINGS = [
  "-created_at",
  "created_at",
  "-master_score",
  "master_score",
  "-rating",
] as const;
export type ExpertOrdering = (typeof EXPERT_ORDERINGS)[number];

export const AdminExpertsQuery = ExpertsQuery.extend({
  ordering: z.enum(EXPERT_ORDERINGS).default("-created_at").openapi({
    description:
      "Sort order: newest (`-created_at`, the default) or oldest first, highest (`-master_score`) or lowest master score first, or best average rating first (`-rating`). Experts without a score or a review sort last; ties newest first.",
  }),
  min_score: z.coerce.number().min(0).max(100).optional().openapi({
    description:
      "Only experts whose master score is at least this (0-100); experts without a score are left out.",
  }),
}).strict();

export const AdminExpertSchema = z
  .object({
    id: z.number().int(),
    username: z.string().nullable(),
    email: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    is_banned: z.boolean(),
    /** false for an expert without a profile row (made an expert by a role change): activate creates it. */
    has_profile: z.boolean(),
    is_active: z.boolean(),
    suspended_reason: z.string().nullable(),
    approved_at: z.string().nullable(),
    specializations: z.number().int(),
    verified_specializations: z.number().int(),
    average_rating: z.number().nullable(),
    reviews_count: z.number().int(),
    created_at: z.string(),
    ...MasterScoreFields,
  })
  .openapi("AdminExpert");

export const ReasonBody = z
  .strictObject({ reason: z.string().trim().min(1).max(1000).optional() })
  .openapi("ExpertStatusBody");
