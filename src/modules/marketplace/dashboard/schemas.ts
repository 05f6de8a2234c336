import { z } from "@hono/zod-openapi";
import { ROLES, TRANSFER_KINDS } from "../../../db/schema";
import { Currency } from "../../../lib/currency";
import { PageQuery, pageSchema } from "../../../lib/pagination";
import { MasterScoreFields } from "../../scoring/schemas";
import { OrderSchema } from "../orders/schemas";

// ---------- shared pieces ----------

/** ISO 4217 code of the ledger accounts to read (money is per currency; default RUB). */
export const CurrencyQuery = z.object({
  currency: Currency.default("RUB"),
});

const Id = z.coerce.number().int().positive();
const Money = z.number().int().openapi({ description: "Minor units (kopecks, cents)" });
const Named = z.object({ id: z.number().int(), name: z.string() });

// ---------- statistics, profile ----------

export const ExpertStatisticsSchema = z
  .object({
    total_earnings: Money,
    monthly_earnings: Money,
    currency: z.string(),
    active_orders: z.number().int(),
    completed_orders: z.number().int(),
    average_rating: z.number().nullable(),
    reviews_count: z.number().int(),
    verified_specializations: z.number().int(),
    success_rate: z.number().openapi({ description: "Percent, two decimals" }),
    total_orders: z.number().int(),
    response_time_avg_seconds: z.number().int().nullable(),
    ...MasterScoreFields,
  })
  .openapi("ExpertStatistics");

export const ExpertProfileSchema = z
  .object({
    id: z.number().int(),
    username: z.string().nullable(),
    email: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    bio: z.string().nullable(),
    experience_years: z.number().int().nullable(),
    education: z.string().nullable(),
    skills: z.string().nullable(),
    avatar_url: z.string().nullable(),
    is_active: z.boolean(),
    suspended_reason: z.string().nullable(),
    approved_at: z.string().nullable(),
    specializations: z.array(
      z.object({ id: z.number().int(), subject: Named, is_verified: z.boolean(), created_at: z.string() }),
    ),
    documents: z.array(
      z.object({ id: z.number().int(), title: z.string(), is_verified: z.boolean(), created_at: z.string() }),
    ),
    average_rating: z.number().nullable(),
    reviews_count: z.number().int(),
  })
  .openapi("ExpertProfile");

// ---------- order lists ----------

export const OrderPageSchema = pageSchema(OrderSchema);

/** `deadline_before`: an ISO date-time, or a date meaning the start of that day (UTC). */
const Instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).openapi({
  example: "2026-12-01",
});

export const AvailableOrdersQuery = PageQuery.extend({
  subject_id: Id.optional(),
  work_type_id: Id.optional(),
  complexity_id: Id.optional(),
  deadline_before: Instant.optional(),
  budget_min: z.coerce.number().int().min(0).optional(),
});
export type AvailableOrdersQuery = z.infer<typeof AvailableOrdersQuery>;

export const AvailableOrderSchema = OrderSchema.extend({
  subject: Named,
  work_type: Named.nullable(),
  complexity: Named.nullable(),
  client: z.object({ id: z.number().int(), username: z.string().nullable() }),
}).openapi("AvailableOrder");

export const TakeOrderBody = z
  .strictObject({ order_id: z.number().int().positive() })
  .openapi("TakeOrderBody");

// ---------- money ----------

export const FinancialSummarySchema = z
  .object({
    currency: z.string(),
    current_balance: Money,
    frozen_balance: Money,
    available_balance: Money,
    total_earnings: Money,
    monthly_earnings: Money,
    pending_payouts: Money,
    last_payout: z.object({ amount: Money, date: z.string() }).nullable(),
  })
  .openapi("ExpertFinancialSummary");

export const TransactionsQuery = PageQuery.extend({
  type: z.enum(TRANSFER_KINDS).optional(),
  date_from: z.iso.date().optional(),
  date_to: z.iso.date().optional(),
  currency: Currency.optional(),
}).refine((q) => !(q.date_from && q.date_to && q.date_from > q.date_to), {
  path: ["date_from"],
  message: "date_from must not be after date_to",
});
export type TransactionsQuery = z.infer<typeof TransactionsQuery>;

export const TransactionSchema = z
  .object({
    id: z.number().int(),
    type: z.enum(TRANSFER_KINDS),
    amount: Money,
    currency: z.string(),
    direction: z.enum(["in", "out"]),
    order: z.object({ id: z.number().int(), title: z.string() }).nullable(),
    timestamp: z.string(),
    status: z.literal("completed"),
  })
  .openapi("ExpertTransaction");

// ---------- role-aware /dashboard ----------

const count = z.number().int();

export const HomeDashboardSchema = z
  .union([
    z.object({
      role: z.enum(ROLES),
      view: z.literal("client"),
      orders: z.object({
        total: count,
        new: count,
        active: count,
        awaiting_payment: count,
        completed: count,
        cancelled: count,
      }),
      wallet: z.object({ available: Money, held: Money, currency: z.string() }),
      unread_notifications: count,
    }),
    z.object({
      role: z.enum(ROLES),
      view: z.literal("expert"),
      active_orders: count,
      available_orders: count,
      completed_orders: count,
      monthly_earnings: Money,
      currency: z.string(),
      average_rating: z.number().nullable(),
      unread_notifications: count,
    }),
    z.object({
      role: z.enum(ROLES),
      view: z.literal("staff"),
      users_by_role: z.record(z.string(), count),
      orders_by_status: z.record(z.string(), count),
      open_disputes: count,
      pending_expert_applications: count,
      payments_awaiting_confirmation: count,
      unread_notifications: count,
    }),
  ])
  .openapi("HomeDashboard");
