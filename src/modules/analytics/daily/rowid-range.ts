import type { Database } from "bun:sqlite";
import { onePer, prepare } from "../../../db/prepared";

/**
 * `events` and `usage_events` are written on the hottest paths and have no index on created_at
 * (each index costs every write). Their ids do grow with created_at: one process writes them, each
 * row stamped with the clock as its transaction commits, and AUTOINCREMENT never reuses an id. So
 * the rows of a period are one id range, found by binary search over the rowid b-tree: about
 * log2(ids) point reads instead of a scan of the table.
 *
 * Should the clock ever step back (NTP), a few rows near midnight could sit on the wrong side of a
 * boundary; the day's queries also filter on created_at, so a row inside the range never counts
 * for the wrong day, and at worst a stray row just outside it is missed.
 */
export const ROWID_TABLES = ["events", "usage_events"] as const;
export type RowidTable = (typeof ROWID_TABLES)[number];

type Probe = { id: number; created_at: number };

/** The probes of one table; min() and max() of the rowid are one seek each. */
export const probeSql = (table: RowidTable) => ({
  first: `SELECT min(id) AS id FROM ${table}`,
  last: `SELECT max(id) AS id FROM ${table}`,
  // Ids can have gaps (a rolled-back insert burns its id): probe the first row at or after.
  atOrAfter: `SELECT id, created_at FROM ${table} WHERE id >= ? ORDER BY id LIMIT 1`,
});

const probesOf = (db: Database, table: RowidTable) => {
  const q = probeSql(table);
  return {
    first: prepare<{ id: number | null }>(db, q.first),
    last: prepare<{ id: number | null }>(db, q.last),
    atOrAfter: prepare<Probe, [number]>(db, q.atOrAfter),
  };
};

const statementsOf = onePer(
  (db: Database) =>
    Object.fromEntries(ROWID_TABLES.map((t) => [t, probesOf(db, t)])) as Record<
      RowidTable,
      ReturnType<typeof probesOf>
    >,
);

/** The smallest id from which on every row was created at or after `t` (one past the last id if none). */
export function firstIdFrom(db: Database, table: RowidTable, t: number): number {
  const s = statementsOf(db)[table];
  const first = s.first.get()!.id;
  if (first === null) return 1;
  // Invariant: rows below lo are older than t; rows from hi on are not.
  let lo = first;
  let hi = s.last.get()!.id! + 1;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const row = s.atOrAfter.get(mid)!;
    if (row.created_at < t) lo = row.id + 1;
    else hi = mid;
  }
  return lo;
}

/** The id range [from, to) of the rows created in [start, end). */
export const idRange = (db: Database, table: RowidTable, start: number, end: number) => ({
  from: firstIdFrom(db, table, start),
  to: firstIdFrom(db, table, end),
});
