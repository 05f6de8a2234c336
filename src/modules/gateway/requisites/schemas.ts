import { z } from "@hono/zod-openapi";
import { REQUISITE_METHODS, REQUISITE_STATUSES } from "../../../db/schema";
import { PageQuery } from "../../../lib/pagination";
import { FiatCurrency } from "../rates/schemas";

const Fiat = z
  .number()
  .int("whole fiat minor units")
  .positive()
  .max(Number.MAX_SAFE_INTEGER)
  .openapi({ description: "Fiat minor units of the requisite's currency" });
const Count = z.number().int().positive().max(1_000_000);
const Text = (max: number) => z.string().trim().min(1).max(max);

const Fields = {
  payment_method: z.enum(REQUISITE_METHODS).openapi({ description: "card, sbp (phone number) or account" }),
  bank: Text(100).openapi({ example: "Sber" }),
  details: Text(200).openapi({
    example: "2200 7001 2345 6789",
    description: "Card, phone or account number",
  }),
  owner_name: Text(200).openapi({ example: "IVAN P." }),
  pay_in: z.boolean().openapi({ description: "Customers pay to it (pay-in)" }),
  pay_out: z.boolean().openapi({ description: "The trader pays customers out from it (pay-out)" }),
  min_amount: Fiat.openapi({ example: 100_00 }),
  max_amount: Fiat.openapi({ example: 50_000_00 }),
  daily_limit: Fiat.openapi({
    example: 500_000_00,
    description: "Fiat minor units a UTC day's orders may take",
  }),
  daily_count_limit: Count.openapi({ example: 50, description: "Orders a UTC day may take" }),
  currency: FiatCurrency,
};

export const RequisiteSchema = z
  .object({
    id: z.number().int(),
    trader_id: z.number().int(),
    payment_method: z.enum(REQUISITE_METHODS),
    bank: z.string(),
    details: z.string(),
    owner_name: z.string(),
    pay_in: z.boolean(),
    pay_out: z.boolean(),
    currency: z.string(),
    min_amount: z.number().int(),
    max_amount: z.number().int(),
    daily_limit: z.number().int(),
    daily_count_limit: z.number().int(),
    status: z.enum(REQUISITE_STATUSES).openapi({
      description: "pending until staff approve it; only approved requisites get orders",
    }),
    used_today: z
      .object({ amount: z.number().int(), count: z.number().int() })
      .openapi({ description: "What today's (UTC) assigned and completed orders took of the daily limits" }),
    last_used_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("GatewayRequisite");

/** Staff's view of a requisite: with its trader, so the moderator sees whose it is. */
export const StaffRequisiteSchema = RequisiteSchema.extend({
  trader: z.object({
    id: z.number().int(),
    user_id: z.number().int(),
    username: z.string().nullable(),
    teamlead_id: z.number().int().nullable(),
  }),
}).openapi("GatewayStaffRequisite");

export const RequisiteCreateBody = z
  .strictObject({
    ...Fields,
    pay_in: Fields.pay_in.default(true),
    pay_out: Fields.pay_out.default(false),
  })
  .refine((o) => o.min_amount <= o.max_amount, {
    message: "must be at least min_amount",
    path: ["max_amount"],
  })
  .openapi("GatewayRequisiteCreateBody", {
    example: {
      payment_method: "card",
      bank: "Sber",
      details: "2200 7001 2345 6789",
      owner_name: "IVAN P.",
      pay_in: true,
      pay_out: false,
      min_amount: 100_00,
      max_amount: 50_000_00,
      daily_limit: 500_000_00,
      daily_count_limit: 50,
      currency: "RUB",
    },
  });
export type RequisiteCreate = z.infer<typeof RequisiteCreateBody>;

export const RequisitePatchBody = z
  .strictObject({
    payment_method: Fields.payment_method.optional(),
    bank: Fields.bank.optional(),
    details: Fields.details.optional(),
    owner_name: Fields.owner_name.optional(),
    pay_in: Fields.pay_in.optional(),
    pay_out: Fields.pay_out.optional(),
    min_amount: Fields.min_amount.optional(),
    max_amount: Fields.max_amount.optional(),
    daily_limit: Fields.daily_limit.optional(),
    daily_count_limit: Fields.daily_count_limit.optional(),
    currency: Fields.currency.optional(),
  })
  .refine((o) => Object.keys(o).length > 0, { message: "send at least one field to change" })
  .openapi("GatewayRequisitePatchBody", { example: { max_amount: 30_000_00, pay_out: true } });
export type RequisitePatch = z.infer<typeof RequisitePatchBody>;

export const TraderRequisitesQuery = PageQuery.extend({
  status: z.enum(REQUISITE_STATUSES).optional(),
}).strict();
export type TraderRequisitesQuery = z.infer<typeof TraderRequisitesQuery>;

export const ModerationQueueQuery = PageQuery.extend({
  status: z.enum(REQUISITE_STATUSES).optional().openapi({ description: "`pending` is the moderation queue" }),
  trader_id: z.coerce.number().int().positive().optional(),
}).strict();
export type ModerationQueueQuery = z.infer<typeof ModerationQueueQuery>;

export const ModerationBody = z
  .strictObject({
    status: z.enum(["approved", "blocked"]),
    reason: z.string().trim().min(1).max(500).optional().openapi({ description: "Told to the trader" }),
  })
  .openapi("GatewayModerationBody", {
    example: { status: "blocked", reason: "The owner name does not match" },
  });
export type ModerationInput = z.infer<typeof ModerationBody>;
