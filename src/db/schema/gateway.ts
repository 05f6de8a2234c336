import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { GATEWAY_DIRECTIONS, GATEWAY_ORDER_STATUSES, REQUISITE_STATUSES } from "../enums";
import { users } from "./accounts";
import { files } from "./marketplace";

export const REQUISITE_METHODS = ["card", "sbp", "account"] as const;
export type RequisiteMethod = (typeof REQUISITE_METHODS)[number];
export { GATEWAY_DIRECTIONS, GATEWAY_ORDER_STATUSES, REQUISITE_STATUSES };
export type GatewayDirection = (typeof GATEWAY_DIRECTIONS)[number];
export type GatewayOrderStatus = (typeof GATEWAY_ORDER_STATUSES)[number];

/** A merchant's shop: orders are created for a store, callbacks go to its url signed with its secret. */
export const gatewayStores = sqliteTable(
  "gateway_stores",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    merchantId: integer("merchant_id")
      .notNull()
      .references(() => users.id),
    name: text("name").notNull(),
    callbackUrl: text("callback_url"),
    /** `whsec_…`, sealed with a key derived from the server secret (signing needs it back). */
    callbackSecretSealed: text("callback_secret_sealed").notNull(),
    payInBps: integer("pay_in_bps").notNull().default(0),
    payOutBps: integer("pay_out_bps").notNull().default(0),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("gateway_stores_merchant_idx").on(t.merchantId, t.id)],
);

/** A user who processes payments; one row per trader user. */
export const gatewayTraders = sqliteTable(
  "gateway_traders",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    teamleadId: integer("teamlead_id").references(() => users.id),
    priority: integer("priority").notNull().default(100),
    payInBps: integer("pay_in_bps").notNull().default(0),
    payOutBps: integer("pay_out_bps").notNull().default(0),
    /** The trader's own switch: taking orders now. */
    inWork: integer("in_work", { mode: "boolean" }).notNull().default(false),
    /** The teamlead's (or an admin's) switch over the trader's traffic. */
    trafficEnabled: integer("traffic_enabled", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("gateway_traders_user_uq").on(t.userId),
    // A teamlead's team.
    index("gateway_traders_teamlead_idx").on(t.teamleadId),
  ],
);

/** A trader's bank details that customers pay to (pay-in) or that pay customers out (pay-out). */
export const gatewayRequisites = sqliteTable(
  "gateway_requisites",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    traderId: integer("trader_id")
      .notNull()
      .references(() => gatewayTraders.id),
    paymentMethod: text("payment_method", { enum: REQUISITE_METHODS }).notNull(),
    bank: text("bank").notNull(),
    details: text("details").notNull(),
    ownerName: text("owner_name").notNull(),
    payIn: integer("pay_in", { mode: "boolean" }).notNull().default(true),
    payOut: integer("pay_out", { mode: "boolean" }).notNull().default(false),
    currency: text("currency").notNull(),
    minAmount: integer("min_amount").notNull(),
    maxAmount: integer("max_amount").notNull(),
    dailyLimit: integer("daily_limit").notNull(),
    dailyCountLimit: integer("daily_count_limit").notNull(),
    status: text("status", { enum: REQUISITE_STATUSES }).notNull().default("pending"),
    /**
     * What today's (UTC) assigned and completed orders took from the daily limits, kept on the row
     * so selection reads no order table: `usage_day` is the day number (ms / 86.4M) the counters
     * belong to; counters of another day count as zero.
     */
    usageDay: integer("usage_day").notNull().default(0),
    usedAmount: integer("used_amount").notNull().default(0),
    usedCount: integer("used_count").notNull().default(0),
    lastUsedAt: integer("last_used_at"),
    /** The trader's priority, copied here so selection walks one index in its order. */
    traderPriority: integer("trader_priority").notNull().default(100),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("gateway_requisites_trader_idx").on(t.traderId, t.id),
    // Selection walks approved requisites of a currency in its order (priority, least recently
    // used, id) and stops at the first that passes the filters: no sort, no full scan.
    index("gateway_requisites_payin_idx")
      .on(t.currency, t.traderPriority, t.lastUsedAt, t.id)
      .where(sql`status = 'approved' AND pay_in = 1`),
    index("gateway_requisites_payout_idx")
      .on(t.currency, t.traderPriority, t.lastUsedAt, t.id)
      .where(sql`status = 'approved' AND pay_out = 1`),
    // Moderation queue.
    index("gateway_requisites_status_idx").on(t.status, t.id),
    check("gateway_requisites_amounts", sql`${t.minAmount} > 0 AND ${t.maxAmount} >= ${t.minAmount}`),
  ],
);

/** Fiat minor units per 1 USDT, per fiat currency, set by admins and fixed on each order. */
export const gatewayRates = sqliteTable("gateway_rates", {
  currency: text("currency").primaryKey(),
  rate: integer("rate").notNull(),
  updatedBy: integer("updated_by").references(() => users.id),
  updatedAt: integer("updated_at").notNull(),
});

export type SelectionAttempt = {
  attempt: number;
  at: string;
  /** Requisites of the order's currency and direction that were looked at. */
  considered: number;
  chosen: { requisite_id: number; trader_id: number } | null;
  /** How many were turned away for each reason, and the first few of them. */
  rejected_counts: Record<string, number>;
  rejected: { requisite_id: number; trader_id: number; reason: string }[];
};

export type FraudReason = { code: string; message: string };

export const gatewayOrders = sqliteTable(
  "gateway_orders",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    direction: text("direction", { enum: GATEWAY_DIRECTIONS }).notNull(),
    storeId: integer("store_id")
      .notNull()
      .references(() => gatewayStores.id),
    clientOrderId: text("client_order_id").notNull(),
    /** SHA-256 of the creating body: the same client_order_id with another body is a conflict. */
    requestHash: text("request_hash").notNull(),
    status: text("status", { enum: GATEWAY_ORDER_STATUSES }).notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    rate: integer("rate").notNull(),
    amountCrypto: integer("amount_crypto").notNull(),
    storeBps: integer("store_bps").notNull(),
    storeCommission: integer("store_commission").notNull(),
    traderBps: integer("trader_bps"),
    traderCommission: integer("trader_commission"),
    paymentMethod: text("payment_method", { enum: REQUISITE_METHODS }),
    bank: text("bank"),
    requisiteId: integer("requisite_id").references(() => gatewayRequisites.id),
    traderId: integer("trader_id").references(() => gatewayTraders.id),
    /** Day number of the assignment whose daily-limit counters this order holds (0: none). */
    usageDay: integer("usage_day").notNull().default(0),
    customerId: text("customer_id"),
    customerIp: text("customer_ip"),
    /** Pay-out: whom the trader pays `{payment_method, bank, details, owner_name}`. */
    recipient: text("recipient", { mode: "json" }).$type<Record<string, string>>(),
    callbackUrl: text("callback_url"),
    fraudDecision: text("fraud_decision", { enum: ["allow", "review", "deny"] }).notNull(),
    fraudReasons: text("fraud_reasons", { mode: "json" }).$type<FraudReason[]>().notNull(),
    selectionLog: text("selection_log", { mode: "json" }).$type<SelectionAttempt[]>().notNull(),
    /** Pay-out traders who cancelled: never offered this order again. */
    excludedTraders: text("excluded_traders", { mode: "json" }).$type<number[]>().notNull(),
    retries: integer("retries").notNull().default(0),
    statusReason: text("status_reason"),
    customerReceiptId: integer("customer_receipt_id").references(() => files.id),
    traderReceiptId: integer("trader_receipt_id").references(() => files.id),
    disputeReceiptId: integer("dispute_receipt_id").references(() => files.id),
    disputeReason: text("dispute_reason"),
    /** The status a dispute was opened from (cancelled or expired). */
    disputedFrom: text("disputed_from"),
    assignedAt: integer("assigned_at"),
    customerConfirmedAt: integer("customer_confirmed_at"),
    expiresAt: integer("expires_at"),
    completedAt: integer("completed_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // Idempotent creation: one order per store and client order id.
    uniqueIndex("gateway_orders_client_uq").on(t.storeId, t.clientOrderId),
    // The expiry sweep reads open orders by deadline.
    index("gateway_orders_expiry_idx")
      .on(t.expiresAt)
      .where(sql`status IN ('assigned', 'customer_confirmed')`),
    // A trader's orders by status, newest first.
    index("gateway_orders_trader_idx").on(t.traderId, t.status, t.id),
    // A store's orders, newest first (merchant lists, support's store filter).
    index("gateway_orders_store_idx").on(t.storeId, t.id),
    // Fraud velocity: a customer's and an address's orders in the last window.
    index("gateway_orders_customer_idx").on(t.storeId, t.customerId, t.createdAt),
    index("gateway_orders_ip_idx").on(t.customerIp, t.createdAt),
    // Support's list by status, and by direction: newest first and counted from the index alone.
    index("gateway_orders_status_idx").on(t.status, t.id),
    index("gateway_orders_direction_idx").on(t.direction, t.id),
    // Support's "which order was 1,500.00?": an exact amount or a range.
    index("gateway_orders_amount_idx").on(t.amount, t.id),
    // Support's lists by period, and daily metrics.
    index("gateway_orders_created_idx").on(t.createdAt),
    // Daily metrics: orders completed in a day and their USDT volume, from the index alone.
    index("gateway_orders_completed_idx")
      .on(t.completedAt, t.amountCrypto)
      .where(sql`completed_at IS NOT NULL`),
    check("gateway_orders_amount_positive", sql`${t.amount} > 0 AND ${t.amountCrypto} > 0`),
  ],
);
