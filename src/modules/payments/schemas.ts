import { z } from "@hono/zod-openapi";
import { PROVIDERS, PURCHASE_STATUSES } from "../../db/schema";
import { Currency } from "../../lib/currency";
import { PageQuery } from "../../lib/pagination";

/** The largest top-up in minor units (100 000.00 in a two-decimal currency). */
export const MAX_TOPUP = 10_000_000;

export const PurchaseBody = z
  .strictObject({
    package_id: z.number().int().positive().openapi({ example: 1 }),
    provider: z.enum(PROVIDERS).openapi({ description: "`demo` only where DEMO_PAYMENTS is on" }),
    promo_code: z.string().trim().min(1).max(64).optional().openapi({ example: "SPRING20" }),
  })
  .openapi("PurchaseBody", { example: { package_id: 1, provider: "stripe", promo_code: "SPRING20" } });

export const TopupBody = z
  .strictObject({
    amount: z
      .number()
      .int("whole minor units (kopecks, cents)")
      .positive()
      .max(MAX_TOPUP)
      .openapi({ example: 50000, description: "Minor units" }),
    currency: Currency.default("RUB"),
    provider: z
      .enum(["stripe", "yookassa", "demo"])
      .openapi({ description: "`demo` only where DEMO_PAYMENTS is on" }),
  })
  .openapi("TopupBody", { example: { amount: 50000, currency: "RUB", provider: "yookassa" } });

export const PurchaseSchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(["package", "topup"]),
    status: z.enum(PURCHASE_STATUSES),
    amount: z.number().int().openapi({ description: "Charged, in minor units, after the discount" }),
    currency: z.string(),
    discount: z.number().int(),
    provider: z.enum(PROVIDERS),
    package_id: z.number().int().nullable(),
    confirmation_url: z.string().optional().openapi({
      description: "Where the user pays (Stripe Checkout, YooKassa, the demo page); absent for wallet",
    }),
    failure_reason: z.string().nullable(),
    created_at: z.string(),
    paid_at: z.string().nullable(),
    refunded_at: z.string().nullable(),
  })
  .openapi("Purchase");

export const PurchaseListQuery = PageQuery.extend({
  status: z.enum(PURCHASE_STATUSES).optional(),
  kind: z.enum(["package", "topup"]).optional(),
});

export const RefundBody = z
  .strictObject({
    reason: z.string().trim().min(1).max(500),
    prorate: z.boolean().default(false).openapi({
      description:
        "false (default): the whole amount paid, the grant revoked. true: floor(amount * remaining_seconds / total_seconds), the grant expired now.",
    }),
  })
  .openapi("RefundBody", { example: { reason: "Charged twice for the same package", prorate: false } });

export const RefundResult = PurchaseSchema.extend({
  refund: z.object({
    amount: z.number().int().openapi({ description: "Returned to the wallet, minor units" }),
    currency: z.string(),
    prorated: z.boolean(),
    remaining_seconds: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Unspent seconds of the grant when refunded" }),
    total_seconds: z.number().int().nullable(),
  }),
}).openapi("RefundResult");

export const WebhookResult = z
  .object({
    received: z.literal(true),
    outcome: z.enum(["succeeded", "already_processed", "failed", "pending", "ignored"]),
    purchase_id: z.number().int().optional(),
  })
  .openapi("WebhookResult");

export const YooKassaNotification = z
  .object({
    type: z.literal("notification"),
    event: z.string().min(1).max(64),
    object: z.object({ id: z.string().min(1).max(64) }).loose(),
  })
  .loose()
  .openapi("YooKassaNotification", {
    description: "Only object.id is used: the payment is re-fetched from the YooKassa API.",
  });
