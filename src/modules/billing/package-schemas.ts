import { z } from "@hono/zod-openapi";
import { PROVIDERS, PURCHASE_STATUSES } from "../../db/schema";
import { Currency } from "../../lib/currency";

export { Currency };

const Name = z.string().trim().min(1).max(200);
const Description = z.string().trim().max(2000);
const Seconds = z.number().int("whole seconds").positive().max(100_000_000);
/** Minor units (kopecks, cents); a package may be free. */
const Price = z.number().int("minor units").min(0).max(1_000_000_000_000);
const ValidityDays = z.number().int().min(1).max(3650);
const SortOrder = z.number().int().min(-1_000_000).max(1_000_000);
const IsoTime = z.iso.datetime({ offset: true });

const nonEmpty = (o: object) => Object.keys(o).length > 0;
const NON_EMPTY = { message: "send at least one field to change" };

// ---------- packages ----------

/** The public shape of DESIGN.md §6. */
export const PackageSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    seconds: z.number().int(),
    minutes: z.number().int(),
    price: z.number().int(),
    currency: z.string(),
    validity_days: z.number().int(),
  })
  .openapi("Package");

export const AdminPackageSchema = PackageSchema.extend({
  is_active: z.boolean(),
  sort_order: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
}).openapi("AdminPackage");

export const PackageCreateBody = z
  .strictObject({
    name: Name,
    seconds: Seconds,
    price: Price,
    currency: Currency,
    validity_days: ValidityDays,
    description: Description.nullable().optional(),
    sort_order: SortOrder.optional(),
  })
  .openapi("PackageCreateBody", {
    example: {
      name: "Starter: 60 minutes",
      seconds: 3600,
      price: 49000,
      currency: "RUB",
      validity_days: 30,
      description: "An hour of transcription, valid for a month",
      sort_order: 10,
    },
  });
export type PackageCreate = z.infer<typeof PackageCreateBody>;

export const PackagePatchBody = z
  .strictObject({
    name: Name.optional(),
    seconds: Seconds.optional(),
    price: Price.optional(),
    currency: Currency.optional(),
    validity_days: ValidityDays.optional(),
    description: Description.nullable().optional(),
    sort_order: SortOrder.optional(),
    /** DELETE deactivates; this turns a package back on. */
    is_active: z.boolean().optional(),
  })
  .refine(nonEmpty, NON_EMPTY)
  .openapi("PackagePatchBody", { example: { price: 45000, is_active: true } });
export type PackagePatch = z.infer<typeof PackagePatchBody>;

export const ActiveQuery = z.object({ is_active: z.enum(["true", "false"]).optional() });

// ---------- promo codes ----------

export const PromoCodeSchema = z
  .object({
    id: z.number().int(),
    code: z.string(),
    percent_off: z.number().int().nullable(),
    amount_off: z.number().int().nullable(),
    currency: z.string().nullable(),
    package_id: z.number().int().nullable(),
    valid_from: z.string().nullable(),
    valid_until: z.string().nullable(),
    max_redemptions: z.number().int().nullable(),
    per_user_limit: z.number().int(),
    redemptions: z.number().int(),
    is_active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("PromoCode");

const Code = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{3,64}$/, "3-64 letters, digits, _ or -")
  .transform((s) => s.toUpperCase());
const PercentOff = z.number().int().min(1).max(100);
const AmountOff = z.number().int("minor units").positive().max(1_000_000_000_000);
const Count = z.number().int().positive().max(1_000_000_000);

export const PromoCreateBody = z
  .strictObject({
    code: Code,
    percent_off: PercentOff.optional(),
    amount_off: AmountOff.optional(),
    currency: Currency.optional(),
    package_id: z.number().int().positive().optional(),
    valid_from: IsoTime.optional(),
    valid_until: IsoTime.optional(),
    max_redemptions: Count.optional(),
    per_user_limit: Count.default(1),
  })
  .openapi("PromoCodeCreateBody", {
    example: { code: "SPRING20", percent_off: 20, valid_until: "2030-06-30T23:59:59Z", max_redemptions: 500 },
    description:
      "Exactly one of percent_off and amount_off; amount_off (minor units) needs currency. Codes are stored upper-case.",
  });
export type PromoCreate = z.infer<typeof PromoCreateBody>;

export const PromoPatchBody = z
  .strictObject({
    code: Code.optional(),
    percent_off: PercentOff.nullable().optional(),
    amount_off: AmountOff.nullable().optional(),
    currency: Currency.nullable().optional(),
    package_id: z.number().int().positive().nullable().optional(),
    valid_from: IsoTime.nullable().optional(),
    valid_until: IsoTime.nullable().optional(),
    max_redemptions: Count.nullable().optional(),
    per_user_limit: Count.optional(),
    is_active: z.boolean().optional(),
  })
  .refine(nonEmpty, NON_EMPTY)
  .openapi("PromoCodePatchBody", {
    description:
      "Partial update. Setting percent_off alone switches the code to a percentage (amount_off and currency are cleared); setting amount_off alone clears percent_off.",
  });
export type PromoPatch = z.infer<typeof PromoPatchBody>;

// ---------- admin views of purchases, usage and minutes ----------

export const PurchasesQuery = z.object({
  user_id: z.coerce.number().int().positive().optional(),
  status: z.enum(PURCHASE_STATUSES).optional(),
  provider: z.enum(PROVIDERS).optional(),
  kind: z.enum(["package", "topup"]).optional(),
});

export const AdminPurchaseSchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int(),
    kind: z.string(),
    package_id: z.number().int().nullable(),
    provider: z.string(),
    status: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    discount: z.number().int(),
    promo_code_id: z.number().int().nullable(),
    provider_ref: z.string().nullable(),
    confirmation_url: z.string().nullable(),
    failure_reason: z.string().nullable(),
    paid_at: z.string().nullable(),
    refunded_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("AdminPurchase");

export const UsageQuery = z.object({ user_id: z.coerce.number().int().positive().optional() });

export const AdminUsageSchema = z
  .object({
    id: z.string(),
    user_id: z.number().int(),
    seconds: z.number().int(),
    billed_seconds: z.number().int(),
    remaining_seconds: z.number().int(),
    service: z.string().nullable(),
    occurred_at: z.string().nullable(),
    hold_id: z.number().int().nullable(),
    allocations: z.array(z.object({ grant_id: z.number().int(), seconds: z.number().int() })),
    created_at: z.string(),
  })
  .openapi("AdminUsageEvent");

export const MinutesBody = z
  .strictObject({
    seconds: z
      .number()
      .int("whole seconds")
      .min(-100_000_000)
      .max(100_000_000)
      .refine((s) => s !== 0, "must not be 0"),
    reason: z.string().trim().min(1).max(500),
    validity_days: ValidityDays.default(30),
  })
  .openapi("MinutesAdjustBody", {
    example: { seconds: 1800, reason: "Compensation for the outage of 1 June", validity_days: 30 },
    description:
      "A positive amount creates a grant valid validity_days; a negative one takes seconds back from the user's grants in spend order (402 if fewer are free).",
  });

export const MinutesResult = z
  .object({
    user_id: z.number().int(),
    seconds: z.number().int(),
    reason: z.string(),
    grant: z
      .object({
        id: z.number().int(),
        total_seconds: z.number().int(),
        remaining_seconds: z.number().int(),
        purchased_at: z.string(),
        expires_at: z.string(),
        status: z.string(),
      })
      .nullable(),
    removed_seconds: z.number().int(),
    remaining_seconds: z.number().int(),
    held_seconds: z.number().int(),
  })
  .openapi("MinutesAdjustResult");
