import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

/**
 * A client's risk inputs and score, kept current in the transaction of every flow that changes an
 * input (order status, review, ban) and rebuilt nightly (the account-age term moves with time).
 */
export const clientStats = sqliteTable(
  "client_stats",
  {
    userId: integer("user_id")
      .primaryKey()
      .references(() => users.id),
    ordersTotal: integer("orders_total").notNull().default(0),
    ordersCancelled: integer("orders_cancelled").notNull().default(0),
    ordersCompleted: integer("orders_completed").notNull().default(0),
    /** Negative behaviour flags in experts' reviews of the client. */
    negativeFlags: integer("negative_flags").notNull().default(0),
    reviewsReceived: integer("reviews_received").notNull().default(0),
    ratingSum: integer("rating_sum").notNull().default(0),
    riskScore: real("risk_score").notNull(),
    riskLevel: text("risk_level", { enum: ["low", "medium", "high", "critical"] }).notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  // Staff sort and filter clients by risk.
  (t) => [index("client_stats_risk_idx").on(t.riskScore)],
);

/** An expert's score inputs, its four components and the total, kept like `client_stats`. */
export const expertStats = sqliteTable(
  "expert_stats",
  {
    userId: integer("user_id")
      .primaryKey()
      .references(() => users.id),
    reviewsCount: integer("reviews_count").notNull().default(0),
    ratingSum: integer("rating_sum").notNull().default(0),
    ordersTaken: integer("orders_taken").notNull().default(0),
    ordersCompleted: integer("orders_completed").notNull().default(0),
    /** Taken by the expert and ended cancelled or refunded. */
    ordersFailed: integer("orders_failed").notNull().default(0),
    slaBreaches: integer("sla_breaches").notNull().default(0),
    /** Sum over taken orders of the hours from creation to the take. */
    takeHoursSum: real("take_hours_sum").notNull().default(0),
    ratingScore: real("rating_score").notNull(),
    successScore: real("success_score").notNull(),
    timelinessScore: real("timeliness_score").notNull(),
    responseScore: real("response_score").notNull(),
    masterScore: real("master_score").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  // The admin masters list sorts by score and filters with min_score.
  (t) => [index("expert_stats_score_idx").on(t.masterScore)],
);
