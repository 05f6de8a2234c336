import { integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** One row per UTC date, computed after the day ends; recomputing a day replaces its row. */
export const dailyMetrics = sqliteTable("daily_metrics", {
  /** `YYYY-MM-DD` (UTC). */
  date: text("date").primaryKey(),
  currency: text("currency").notNull(),
  newUsers: integer("new_users").notNull().default(0),
  /** Distinct actors of the day's events. */
  activeUsers: integer("active_users").notNull().default(0),
  ordersCreated: integer("orders_created").notNull().default(0),
  ordersCompleted: integer("orders_completed").notNull().default(0),
  ordersCancelled: integer("orders_cancelled").notNull().default(0),
  disputesOpened: integer("disputes_opened").notNull().default(0),
  /** Prices of the orders completed that day (minor units). */
  gmv: integer("gmv").notNull().default(0),
  platformRevenue: integer("platform_revenue").notNull().default(0),
  purchasesCount: integer("purchases_count").notNull().default(0),
  purchasesAmount: integer("purchases_amount").notNull().default(0),
  minutesPurchasedSeconds: integer("minutes_purchased_seconds").notNull().default(0),
  minutesUsedSeconds: integer("minutes_used_seconds").notNull().default(0),
  /** Mean rating of the day's reviews; null on a day without any. */
  avgRating: real("avg_rating"),
  slaBreaches: integer("sla_breaches").notNull().default(0),
  /** Payment gateway: orders created and completed that day, the completed ones' USDT (micro-units). */
  gatewayOrdersCreated: integer("gateway_orders_created").notNull().default(0),
  gatewayOrdersCompleted: integer("gateway_orders_completed").notNull().default(0),
  gatewayVolumeUsdt: integer("gateway_volume_usdt").notNull().default(0),
  /** The gateway's profit that day (store minus trader commissions), USDT micro-units. */
  gatewayRevenueUsdt: integer("gateway_revenue_usdt").notNull().default(0),
  computedAt: integer("computed_at").notNull(),
});
