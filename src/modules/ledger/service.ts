import type { AppContext } from "../../context";
import type { Queryable, Tx } from "../../db/client";
import { prepare, preparedPer } from "../../db/prepared";
import type { ledgerAccounts, ledgerTransfers, TransferKind } from "../../db/schema";
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
/**
 * Where staff credits (goodwill, corrections) come from: goes negative by what was given out, so
 * the ledger still sums to 0 and the total given is one balance to read.
 */
export const platformAdjustments = (currency: string): AccountRef => ({
  ownerType: "platform",
  ownerId: "platform",
  kind: "adjustments",
  currency,
  allowNegative: true,
});
/** Where outside money enters: goes negative by what providers have paid in. */
export const providerClearing = (provider: string, currency: string): AccountRef => ({
  ownerType: "provider",
  ownerId: provider,
  kind: "clearing",
  currency,
  allowNegative: true,
});

type AccountRow = { id: number; balance: number; allow_negative: number };
type TransferRow = typeof ledgerTransfers.$inferSelect;
type RawTransfer = Omit<TransferRow, "metadata"> & { metadata: string };

// Every money move reads two accounts and writes three rows: prepared once per connection (DESIGN.md §1).
const stmts = preparedPer((db) => ({
  account: prepare<AccountRow, [string, string, string, string]>(
    db,
    "SELECT id, balance, allow_negative FROM ledger_accounts WHERE owner_type = ? AND owner_id = ? AND kind = ? AND currency = ?",
  ),
  openAccount: prepare<AccountRow, [string, string, string, string, number, number]>(
    db,
    `INSERT INTO ledger_accounts (owner_type, owner_id, kind, currency, balance, allow_negative, created_at)
     VALUES (?, ?, ?, ?, 0, ?, ?) RETURNING id, balance, allow_negative`,
  ),
  setBalance: prepare<never, [number, number]>(db, "UPDATE ledger_accounts SET balance = ? WHERE id = ?"),
  // A used key fails on ledger_transfers_key_uq (not ON CONFLICT DO NOTHING, which would burn an
  // AUTOINCREMENT id on every replay); only then is the first transfer read.
  insertTransfer: prepare<
    { id: number },
    [number, number, number, string, string, string | null, string | null, string, string, number]
  >(
    db,
    `INSERT INTO ledger_transfers (debit_account_id, credit_account_id, amount, currency, kind, reference_type,
       reference_id, idempotency_key, metadata, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  ),
  transferByKey: prepare<RawTransfer, [string]>(
    db,
    `SELECT id, debit_account_id AS debitAccountId, credit_account_id AS creditAccountId, amount, currency, kind,
       reference_type AS referenceType, reference_id AS referenceId, idempotency_key AS idempotencyKey, metadata,
       created_at AS createdAt
     FROM ledger_transfers WHERE idempotency_key = ?`,
  ),
}));

const findAccount = (db: Queryable, r: AccountRef) =>
  stmts(db).account.get(r.ownerType, r.ownerId, r.kind, r.currency);

function account(tx: Tx, r: AccountRef, now: number): AccountRow {
  return (
    findAccount(tx, r) ??
    stmts(tx).openAccount.get(r.ownerType, r.ownerId, r.kind, r.currency, r.allowNegative ? 1 : 0, now)!
  );
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
  const s = stmts(tx);
  let keyClash: unknown;
  if (from.allow_negative || from.balance >= t.amount) {
    // Claim the key first: no read before the write in the usual case of a new key.
    const metadata = JSON.stringify(t.metadata ?? {});
    const referenceType = t.reference?.type ?? null;
    const referenceId = t.reference ? String(t.reference.id) : null;
    let inserted: { id: number } | null;
    try {
      inserted = s.insertTransfer.get(
        from.id,
        to.id,
        t.amount,
        t.from.currency,
        t.kind,
        referenceType,
        referenceId,
        t.idempotencyKey,
        metadata,
        now,
      );
    } catch (e) {
      // The statement alone is undone; the caller's transaction goes on.
      if ((e as { code?: string }).code !== "SQLITE_CONSTRAINT_UNIQUE") throw e;
      keyClash = e;
      inserted = null;
    }
    if (inserted) {
      s.setBalance.run(from.balance - t.amount, from.id);
      s.setBalance.run(to.balance + t.amount, to.id);
      const row: TransferRow = {
        id: inserted.id,
        debitAccountId: from.id,
        creditAccountId: to.id,
        amount: t.amount,
        currency: t.from.currency,
        kind: t.kind,
        referenceType,
        referenceId,
        idempotencyKey: t.idempotencyKey,
        metadata: t.metadata ?? {},
        createdAt: now,
      };
      return { transfer: row, applied: true };
    }
  }
  // The key was used already (whatever the funds now), or the funds are short.
  const raw = s.transferByKey.get(t.idempotencyKey);
  if (raw) {
    if (raw.debitAccountId !== from.id || raw.creditAccountId !== to.id || raw.amount !== t.amount) {
      throw conflict("ledger idempotency key reused with different terms", { key: t.idempotencyKey });
    }
    const prior: TransferRow = { ...raw, metadata: JSON.parse(raw.metadata) as Record<string, unknown> };
    return { transfer: prior, applied: false };
  }
  if (keyClash) throw keyClash;
  throw new ApiError("insufficient_funds", "not enough funds", {
    available: from.balance,
    required: t.amount,
    currency: t.from.currency,
  });
}

export function balanceOf(db: Queryable, r: AccountRef): number {
  return accountOf(db, r)?.balance ?? 0;
}

/** The account's id and cached balance, or null when it has never been used. */
export function accountOf(db: Queryable, r: AccountRef): { id: number; balance: number } | null {
  const a = findAccount(db, r);
  return a ? { id: a.id, balance: a.balance } : null;
}
