import { FormatQuery } from "../../../http/csv";
import { z } from "../../../lib/openapi";
import { isDate } from "./dates";

/** The longest range one request may ask for: a leap year. */
export const MAX_RANGE_DAYS = 366;
/** Days shown when the range is left open. */
export const DEFAULT_RANGE_DAYS = 30;

const DateParam = (description: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD")
    .refine(isDate, "not a calendar date")
    .optional()
    .openapi({ description, example: "2026-11-01" });

export const DailyMetricsQuery = FormatQuery.extend({
  from: DateParam(
    `First day (UTC), included. Default: ${DEFAULT_RANGE_DAYS - 1} days before \`to\`, so the range spans ${DEFAULT_RANGE_DAYS} days`,
  ),
  to: DateParam(
    `Last day (UTC), included. Default: ${DEFAULT_RANGE_DAYS - 1} days after \`from\`, or yesterday when \`from\` is left out too`,
  ),
}).strict();

const money = (description: string) =>
  z
    .number()
    .int()
    .openapi({ description: `${description}, in minor units of \`currency\`` });
const count = (description: string) => z.number().int().openapi({ description });

export const DailyMetricsSchema = z
  .object({
    date: z.string().openapi({ description: "The UTC day, YYYY-MM-DD", example: "2026-11-21" }),
    currency: z.string().openapi({
      description: "Currency of the money columns; amounts in other currencies are not included",
      example: "RUB",
    }),
    new_users: count("Accounts created that day"),
    active_users: count("Distinct users who did anything recorded as a platform event that day"),
    orders_created: count("Orders placed that day"),
    orders_completed: count("Orders that reached `completed` that day (in any currency)"),
    orders_cancelled: count("Orders cancelled that day (by the client, a rule or a refunded dispute)"),
    disputes_opened: count("Disputes opened that day"),
    gmv: money("Prices of the orders completed that day"),
    platform_revenue: money(
      "What the platform earned that day: package sales and commissions, net of refunds from its revenue",
    ),
    purchases_count: count("Minute packages paid that day (wallet top-ups are not purchases)"),
    purchases_amount: money("Amount paid for those packages"),
    minutes_purchased_seconds: count("Seconds of the packages paid that day"),
    minutes_used_seconds: count("Seconds billed for usage that day"),
    avg_rating: z.number().nullable().openapi({
      description: "Mean rating (1-5, 2 decimals) clients gave experts that day; null without any review",
      example: 4.67,
    }),
    sla_breaches: count("Orders that passed their deadline or session time undelivered that day"),
    gateway_orders_created: count("Payment gateway orders (pay-in and pay-out) created that day"),
    gateway_orders_completed: count("Payment gateway orders completed that day"),
    gateway_volume_usdt: count("USDT (micro-units, 6 decimals) of the gateway orders completed that day"),
    gateway_revenue_usdt: count(
      "What the gateway earned that day (store commissions minus trader commissions), USDT micro-units",
    ),
    computed_at: z.string().openapi({ description: "When the row was computed (ISO-8601 UTC)" }),
  })
  .openapi("DailyMetrics");

export const DailyMetricsList = z
  .object({ results: z.array(DailyMetricsSchema) })
  .openapi("DailyMetricsList");
