import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const LEDGER_OWNER_TYPES = ["user", "platform", "provider", "merchant", "trader", "store"] as const;
export const TRANSFER_KINDS = [
  "payment",
  "hold",
  "release",
  "payout",
  "commission",
  "refund",
  "adjustment",
] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

/**
 * One account per (owner, kind, currency). `balance` is a cache of the transfers, updated in the
 * same transaction as each transfer; user accounts may never go below zero, external ones
 * (provider clearing) go negative as money enters the platform.
 */
export const ledgerAccounts = sqliteTable(
  "ledger_accounts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    ownerType: text("owner_type", { enum: LEDGER_OWNER_TYPES }).notNull(),
    ownerId: text("owner_id").notNull(),
    kind: text("kind").notNull(),
    currency: text("currency").notNull(),
    balance: integer("balance").notNull().default(0),
    allowNegative: integer("allow_negative", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("ledger_accounts_owner_uq").on(t.ownerType, t.ownerId, t.kind, t.currency),
    check("ledger_balance_non_negative", sql`${t.allowNegative} = 1 OR ${t.balance} >= 0`),
  ],
);

/** Immutable: money leaves `debit_account_id` and arrives at `credit_account_id`. */
export const ledgerTransfers = sqliteTable(
  "ledger_transfers",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    debitAccountId: integer("debit_account_id")
      .notNull()
      .references(() => ledgerAccounts.id),
    creditAccountId: integer("credit_account_id")
      .notNull()
      .references(() => ledgerAccounts.id),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    kind: text("kind", { enum: TRANSFER_KINDS }).notNull(),
    referenceType: text("reference_type"),
    referenceId: text("reference_id"),
    idempotencyKey: text("idempotency_key").notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("ledger_transfers_key_uq").on(t.idempotencyKey),
    // Wallet history and the expert dashboard read one account's transfers newest first.
    index("ledger_transfers_debit_idx").on(t.debitAccountId, t.id),
    index("ledger_transfers_credit_idx").on(t.creditAccountId, t.id),
    index("ledger_transfers_ref_idx").on(t.referenceType, t.referenceId),
    // Revenue per day: what reached (or left) the platform's revenue account in a period.
    // Covering the amount, so a period's revenue sums from the index alone.
    index("ledger_transfers_credit_created_idx").on(t.creditAccountId, t.createdAt, t.amount),
    index("ledger_transfers_debit_created_idx").on(t.debitAccountId, t.createdAt, t.amount),
    check("ledger_amount_positive", sql`${t.amount} > 0`),
  ],
);
