import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

export const packages = sqliteTable("packages", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  description: text("description"),
  seconds: integer("seconds").notNull(),
  price: integer("price").notNull(),
  currency: text("currency").notNull(),
  validityDays: integer("validity_days").notNull(),
  isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
  sortOrder: integer("sort_order").notNull().default(0),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const promoCodes = sqliteTable(
  "promo_codes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    code: text("code").notNull(),
    percentOff: integer("percent_off"),
    amountOff: integer("amount_off"),
    currency: text("currency"),
    packageId: integer("package_id").references(() => packages.id),
    validFrom: integer("valid_from"),
    validUntil: integer("valid_until"),
    maxRedemptions: integer("max_redemptions"),
    perUserLimit: integer("per_user_limit").notNull().default(1),
    redemptions: integer("redemptions").notNull().default(0),
    isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("promo_codes_code_uq").on(t.code)],
);

export const PURCHASE_STATUSES = ["pending", "succeeded", "failed", "canceled", "refunded"] as const;
// `demo` exists only while DEMO_PAYMENTS is on (no CHECK on the column: adding a name needs no migration).
export const PROVIDERS = ["stripe", "yookassa", "wallet", "demo"] as const;
export type PurchaseStatus = (typeof PURCHASE_STATUSES)[number];
export type Provider = (typeof PROVIDERS)[number];

/** A payment for a package (kind `package`) or a wallet top-up (kind `topup`). */
export const purchases = sqliteTable(
  "purchases",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    kind: text("kind", { enum: ["package", "topup"] }).notNull(),
    packageId: integer("package_id").references(() => packages.id),
    provider: text("provider", { enum: PROVIDERS }).notNull(),
    status: text("status", { enum: PURCHASE_STATUSES }).notNull().default("pending"),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    discount: integer("discount").notNull().default(0),
    promoCodeId: integer("promo_code_id").references(() => promoCodes.id),
    providerRef: text("provider_ref"),
    confirmationUrl: text("confirmation_url"),
    failureReason: text("failure_reason"),
    paidAt: integer("paid_at"),
    refundedAt: integer("refunded_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("purchases_user_idx").on(t.userId, t.id),
    // Webhooks find the purchase by the provider's session/payment id.
    uniqueIndex("purchases_provider_ref_uq").on(t.provider, t.providerRef),
    index("purchases_status_idx").on(t.status, t.createdAt),
    // Daily metrics: purchases by the day they were paid.
    index("purchases_paid_idx").on(t.paidAt).where(sql`paid_at IS NOT NULL`),
  ],
);

export const GRANT_STATUSES = ["active", "exhausted", "expired", "revoked"] as const;

/** Seconds a user may spend: one per paid purchase (or an admin grant), spent FIFO by expiry. */
export const grants = sqliteTable(
  "grants",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    purchaseId: integer("purchase_id").references(() => purchases.id),
    packageId: integer("package_id").references(() => packages.id),
    totalSeconds: integer("total_seconds").notNull(),
    remainingSeconds: integer("remaining_seconds").notNull(),
    purchasedAt: integer("purchased_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    status: text("status", { enum: GRANT_STATUSES }).notNull().default("active"),
    reason: text("reason"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("grants_purchase_uq").on(t.purchaseId),
    // The spend order and the balance sum both read a user's active grants by expiry.
    index("grants_user_spend_idx").on(t.userId, t.status, t.expiresAt, t.purchasedAt, t.id),
    index("grants_expiry_idx").on(t.status, t.expiresAt),
    // Daily metrics: minutes granted per day.
    index("grants_created_idx").on(t.createdAt),
    check(
      "grants_remaining_range",
      sql`${t.remainingSeconds} >= 0 AND ${t.remainingSeconds} <= ${t.totalSeconds}`,
    ),
  ],
);

export const HOLD_STATUSES = ["open", "released", "expired"] as const;

/** Seconds reserved before a recognition session; counted out of the balance at once. */
export const holds = sqliteTable(
  "holds",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    seconds: integer("seconds").notNull(),
    remainingSeconds: integer("remaining_seconds").notNull(),
    status: text("status", { enum: HOLD_STATUSES }).notNull().default("open"),
    expiresAt: integer("expires_at").notNull(),
    closedAt: integer("closed_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("holds_user_open_idx").on(t.userId, t.status, t.expiresAt),
    check("holds_remaining_range", sql`${t.remainingSeconds} >= 0 AND ${t.remainingSeconds} <= ${t.seconds}`),
  ],
);

/** One per (user, caller-chosen id): the id is the idempotency key, claimed with the debit. */
export const usageEvents = sqliteTable(
  "usage_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    usageId: text("usage_id").notNull(),
    seconds: integer("seconds").notNull(),
    billedSeconds: integer("billed_seconds").notNull(),
    service: text("service"),
    /** As sent by the caller (null when omitted); compared on replay together with the other fields. */
    occurredAt: integer("occurred_at"),
    holdId: integer("hold_id").references(() => holds.id),
    remainingAfter: integer("remaining_after").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("usage_events_user_usage_uq").on(t.userId, t.usageId),
    index("usage_events_user_created_idx").on(t.userId, t.id),
  ],
);

export const usageAllocations = sqliteTable(
  "usage_allocations",
  {
    usageEventId: integer("usage_event_id")
      .notNull()
      .references(() => usageEvents.id),
    grantId: integer("grant_id")
      .notNull()
      .references(() => grants.id),
    seconds: integer("seconds").notNull(),
  },
  (t) => [primaryKey({ columns: [t.usageEventId, t.grantId] })],
);

/** Each notice is sent once per (grant, kind): the unique index is the guard. */
export const billingNotices = sqliteTable(
  "billing_notices",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    grantId: integer("grant_id")
      .notNull()
      .references(() => grants.id),
    kind: text("kind", {
      enum: ["grant_expiring", "grant_expired", "low_balance", "balance_exhausted"],
    }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("billing_notices_uq").on(t.grantId, t.kind)],
);
