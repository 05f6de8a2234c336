import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import { onePer } from "../../db/prepared";

/**
 * Prepared statements of the minute hot paths (balance, usage, holds), compiled once per
 * connection: unprepared query building costs several times more on point reads (DESIGN.md §1).
 */
function build(db: Database) {
  const q = <R = Record<string, number>, P extends SQLQueryBindings[] = never[]>(sql: string) =>
    db.prepare(sql) as unknown as Statement<R, P>;
  return {
    spendable: q<{ s: number }, [number, number]>(
      "SELECT COALESCE(SUM(remaining_seconds), 0) AS s FROM grants WHERE user_id = ? AND status = 'active' AND expires_at > ?",
    ),
    held: q<{ s: number }, [number, number]>(
      "SELECT COALESCE(SUM(remaining_seconds), 0) AS s FROM holds WHERE user_id = ? AND status = 'open' AND expires_at > ?",
    ),
    activeGrants: q<
      {
        id: number;
        package_id: number | null;
        remaining_seconds: number;
        total_seconds: number;
        purchased_at: number;
        expires_at: number;
      },
      [number, number]
    >(
      `SELECT id, package_id, remaining_seconds, total_seconds, purchased_at, expires_at FROM grants
       WHERE user_id = ? AND status = 'active' AND expires_at > ? ORDER BY expires_at, purchased_at, id`,
    ),
    // The spend order: the grant that expires first is spent first (DESIGN.md §5).
    fifo: q<{ id: number; remaining_seconds: number }, [number, number]>(
      `SELECT id, remaining_seconds FROM grants
       WHERE user_id = ? AND status = 'active' AND expires_at > ? AND remaining_seconds > 0
       ORDER BY expires_at, purchased_at, id`,
    ),
    debitGrant: q<never, [number, number]>(
      `UPDATE grants SET remaining_seconds = remaining_seconds - ?1,
         status = CASE WHEN remaining_seconds - ?1 = 0 THEN 'exhausted' ELSE status END
       WHERE id = ?2`,
    ),
    wallet: q<{ kind: string; balance: number }, [string, string]>(
      "SELECT kind, balance FROM ledger_accounts WHERE owner_type = 'user' AND owner_id = ? AND currency = ?",
    ),
    findUsage: q<
      {
        id: number;
        usage_id: string;
        seconds: number;
        billed_seconds: number;
        service: string | null;
        occurred_at: number | null;
        hold_id: number | null;
        remaining_after: number;
      },
      [number, string]
    >(
      `SELECT id, usage_id, seconds, billed_seconds, service, occurred_at, hold_id, remaining_after
       FROM usage_events WHERE user_id = ? AND usage_id = ?`,
    ),
    allocations: q<{ grant_id: number; seconds: number }, [number]>(
      "SELECT grant_id, seconds FROM usage_allocations WHERE usage_event_id = ? ORDER BY rowid",
    ),
    insertUsage: q<
      { id: number },
      [number, string, number, number, string | null, number | null, number | null, number, number]
    >(
      `INSERT INTO usage_events (user_id, usage_id, seconds, billed_seconds, service, occurred_at, hold_id, remaining_after, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    ),
    insertAllocation: q<never, [number, number, number]>(
      "INSERT INTO usage_allocations (usage_event_id, grant_id, seconds) VALUES (?, ?, ?)",
    ),
    hold: q<
      {
        id: number;
        user_id: number;
        seconds: number;
        remaining_seconds: number;
        status: string;
        expires_at: number;
        created_at: number;
      },
      [number]
    >(
      "SELECT id, user_id, seconds, remaining_seconds, status, expires_at, created_at FROM holds WHERE id = ?",
    ),
    debitHold: q<never, [number, number]>(
      "UPDATE holds SET remaining_seconds = remaining_seconds - ? WHERE id = ?",
    ),
    insertEvent: q<{ id: number }, [string, number, string, string, string, number]>(
      "INSERT INTO events (type, actor_id, subject_type, subject_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    ),
  };
}

export type Statements = ReturnType<typeof build>;
export const statements: (db: Database) => Statements = onePer(build);
