import { and, eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Queryable, Tx } from "../../db/client";
import { ledgerAccounts, ledgerTransfers, type TransferKind } from "../../db/schema";
import { ApiError, conflict } from "../../lib/errors";

export type AccountRef = {
  ownerType: (typeof ledgerAccounts.$inferSelect)["ownerType"];
  ownerId: string;
  kind: string;
  currency: string;
  allowNegative?: boolean;
};

export const userAvailable = (userId: number, currency: string): AccountRef => ({
  ownerType: "user",
  ownerId: String(userId),
  kind: "available",
  currency,
});
export const userHeld = (userId: number, currency: string): AccountRef => ({
  ownerType: "user",
  ownerId: String(userId),
  kind: "held",
  currency,
});
export const platformRevenue = (currency: string): AccountRef => ({
  ownerType: "platform",
  ownerId: "platform",
  kind: "revenue",
  currency,
});
/** Where outside money enters: goes negative by what providers have paid in. */
export const providerClearing = (provider: string, currency: string): AccountRef => ({
  ownerType: "provider",
  ownerId: provider,
  kind: "clearing",
  currency,
  allowNegative: true,
});

const refWhere = (r: AccountRef) =>
  and(
    eq(ledgerAccounts.ownerType, r.ownerType),
    eq(ledgerAccounts.ownerId, r.ownerId),
    eq(ledgerAccounts.kind, r.kind),
    eq(ledgerAccounts.currency, r.currency),
  );

function account(tx: Tx, r: AccountRef, now: number) {
  const found = tx.select().from(ledgerAccounts).where(refWhere(r)).get();
  if (found) return found;
  return tx
    .insert(ledgerAccounts)
    .values({
      ownerType: r.ownerType,
      ownerId: r.ownerId,
      kind: r.kind,
      currency: r.currency,
      allowNegative: r.allowNegative ?? false,
      createdAt: now,
    })
    .returning()
    .get();
}

export type TransferInput = {
  from: AccountRef;
  to: AccountRef;
  amount: number;
  kind: TransferKind;
  idempotencyKey: string;
  reference?: { type: string; id: string | number };
  metadata?: Record<string, unknown>;
};

/**
 * Moves `amount` minor units between two accounts in the caller's transaction. A key that was
 * already used returns the first transfer and changes nothing; the same key with other terms is
 * a conflict. A non-negative account that would go below zero refuses with insufficient_funds.
 */
export function transfer(ctx: Pick<AppContext, "clock">, tx: Tx, t: TransferInput) {
  if (!Number.isSafeInteger(t.amount) || t.amount <= 0)
    throw new Error(`transfer amount must be a positive integer: ${t.amount}`);
  if (t.from.currency !== t.to.currency) throw new Error("transfer between currencies");
  const now = ctx.clock.now();
  const from = account(tx, t.from, now);
  const to = account(tx, t.to, now);
  const prior = tx
    .select()
    .from(ledgerTransfers)
    .where(eq(ledgerTransfers.idempotencyKey, t.idempotencyKey))
    .get();
  if (prior) {
    if (prior.debitAccountId !== from.id || prior.creditAccountId !== to.id || prior.amount !== t.amount) {
      throw conflict("ledger idempotency key reused with different terms", { key: t.idempotencyKey });
    }
    return { transfer: prior, applied: false };
  }
  if (!from.allowNegative && from.balance < t.amount) {
    throw new ApiError("insufficient_funds", "not enough funds", {
      available: from.balance,
      required: t.amount,
      currency: t.from.currency,
    });
  }
  tx.update(ledgerAccounts)
    .set({ balance: from.balance - t.amount })
    .where(eq(ledgerAccounts.id, from.id))
    .run();
  tx.update(ledgerAccounts)
    .set({ balance: to.balance + t.amount })
    .where(eq(ledgerAccounts.id, to.id))
    .run();
  const row = tx
    .insert(ledgerTransfers)
    .values({
      debitAccountId: from.id,
      creditAccountId: to.id,
      amount: t.amount,
      currency: t.from.currency,
      kind: t.kind,
      referenceType: t.reference?.type ?? null,
      referenceId: t.reference ? String(t.reference.id) : null,
      idempotencyKey: t.idempotencyKey,
      metadata: t.metadata ?? {},
      createdAt: now,
    })
    .returning()
    .get();
  return { transfer: row, applied: true };
}

export function balanceOf(db: Queryable, r: AccountRef): number {
  return accountOf(db, r)?.balance ?? 0;
}

/** The account's id and cached balance, or null when it has never been used. */
export function accountOf(db: Queryable, r: AccountRef): { id: number; balance: number } | null {
  return (
    db
      .select({ id: ledgerAccounts.id, balance: ledgerAccounts.balance })
      .from(ledgerAccounts)
      .where(refWhere(r))
      .get() ?? null
  );
}
