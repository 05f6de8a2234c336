import type { AppContext } from "../../context";
import { ESCROW_STATUSES } from "../marketplace/orders/access";

export type InvariantCheck = {
  name: string;
  ok: boolean;
  /** `violations` counts the offending rows; `rows` lists the first ones. */
  details: { violations: number; rows: Record<string, unknown>[] };
};
export type InvariantReport = { ok: boolean; checks: InvariantCheck[] };

/** At most this many offending rows are listed per check (the count covers them all). */
const MAX_ROWS = 20;

const inList = (n: number) => Array.from({ length: n }, () => "?").join(", ");

/**
 * Each check is one query returning the rows that break it. The escrow and minute checks read the
 * marketplace's and billing's tables directly: a read-only audit across modules, never a write.
 */
const CHECKS: { name: string; sql: string; params?: string[] }[] = [
  {
    // Double entry: every transfer debits one account and credits another by the same amount.
    name: "ledger_sums_to_zero",
    sql: `SELECT currency, SUM(balance) AS sum FROM ledger_accounts
          GROUP BY currency HAVING SUM(balance) != 0 ORDER BY currency`,
  },
  {
    // User accounts never go below zero, whatever their flag; nor does any account without the flag.
    name: "no_negative_accounts",
    sql: `SELECT id, owner_type, owner_id, kind, currency, balance FROM ledger_accounts
          WHERE balance < 0 AND (owner_type = 'user' OR allow_negative = 0) ORDER BY id`,
  },
  {
    name: "balances_match_transfers",
    sql: `WITH moves AS (
            SELECT credit_account_id AS id, amount AS delta FROM ledger_transfers
            UNION ALL SELECT debit_account_id, -amount FROM ledger_transfers),
          sums AS (SELECT id, SUM(delta) AS total FROM moves GROUP BY id)
          SELECT a.id, a.owner_type, a.owner_id, a.kind, a.currency, a.balance,
                 COALESCE(s.total, 0) AS from_transfers
          FROM ledger_accounts a LEFT JOIN sums s ON s.id = a.id
          WHERE a.balance != COALESCE(s.total, 0) ORDER BY a.id`,
  },
  {
    // Only escrow moves money into a user's held account (marketplace escrow.ts): held is exactly
    // what the client's wallet-paid orders in escrow statuses hold, per currency.
    name: "held_equals_escrow",
    sql: `WITH escrow AS (
            SELECT CAST(client_id AS TEXT) AS owner_id, currency, SUM(escrow_amount) AS escrow
            FROM orders WHERE escrow_amount > 0 AND status IN (${inList(ESCROW_STATUSES.length)})
            GROUP BY client_id, currency),
          held AS (
            SELECT owner_id, currency, balance AS held FROM ledger_accounts
            WHERE owner_type = 'user' AND kind = 'held')
          SELECT CAST(owner_id AS INTEGER) AS user_id, currency, held, escrow FROM (
            SELECT h.owner_id, h.currency, h.held, COALESCE(e.escrow, 0) AS escrow
            FROM held h LEFT JOIN escrow e ON e.owner_id = h.owner_id AND e.currency = h.currency
            UNION ALL
            SELECT e.owner_id, e.currency, 0, e.escrow FROM escrow e
            WHERE NOT EXISTS (SELECT 1 FROM held h WHERE h.owner_id = e.owner_id AND h.currency = e.currency))
          WHERE held != escrow ORDER BY user_id, currency`,
    params: [...ESCROW_STATUSES],
  },
  {
    // Escrow outside those statuses would be money held for an order nobody can settle.
    name: "escrow_only_in_escrow_statuses",
    sql: `SELECT id AS order_id, status, escrow_amount FROM orders
          WHERE escrow_amount > 0 AND status NOT IN (${inList(ESCROW_STATUSES.length)}) ORDER BY id`,
    params: [...ESCROW_STATUSES],
  },
  {
    // Usage allocations are debited from their grant; admin removals and refunds take seconds
    // without an allocation, so remaining + allocated may be below the total, never above it.
    name: "grants_match_allocations",
    sql: `SELECT g.id AS grant_id, g.user_id, g.status, g.total_seconds, g.remaining_seconds,
                 COALESCE(a.seconds, 0) AS allocated_seconds
          FROM grants g
          LEFT JOIN (SELECT grant_id, SUM(seconds) AS seconds FROM usage_allocations GROUP BY grant_id) a
            ON a.grant_id = g.id
          WHERE g.remaining_seconds + COALESCE(a.seconds, 0) > g.total_seconds
             OR (g.status IN ('exhausted', 'revoked') AND g.remaining_seconds != 0)
          ORDER BY g.id`,
  },
];

/**
 * Audits the money and minute invariants over the whole database, in one read transaction (a
 * consistent snapshot): the ledger sums to zero per currency, no user account is negative,
 * cached balances equal their transfers, each user's held balance equals the escrow of their
 * orders, and grants agree with their usage allocations. Changes nothing.
 */
export function checkInvariants(ctx: Pick<AppContext, "sqlite">): InvariantReport {
  const run = ctx.sqlite.transaction(() =>
    CHECKS.map(({ name, sql, params }): InvariantCheck => {
      const rows = ctx.sqlite.query(sql).all(...(params ?? [])) as Record<string, unknown>[];
      return {
        name,
        ok: rows.length === 0,
        details: { violations: rows.length, rows: rows.slice(0, MAX_ROWS) },
      };
    }),
  );
  const checks = run.deferred();
  return { ok: checks.every((c) => c.ok), checks };
}
