import type { Database } from "bun:sqlite";

/** A secondary index as the migrations created it: its exact `CREATE INDEX` text. */
export type IndexDef = { name: string; table: string; sql: string };

/** One table's indexes rebuilt (`done` of `total` tables); the first call, with done 0, announces the phase. */
export type IndexStep = { table: string; indexes: number; done: number; total: number; elapsedMs: number };

/**
 * The indexes of `tables` that can be dropped and re-created: those with a stored `CREATE INDEX`
 * (the automatic ones behind a PRIMARY KEY or UNIQUE column constraint have no sql and stay).
 * In schema order, so the rebuild follows the migrations.
 */
export function secondaryIndexes(sqlite: Database, tables: readonly string[]): IndexDef[] {
  return sqlite
    .query<IndexDef, string[]>(
      `SELECT name, tbl_name AS "table", sql FROM sqlite_master
       WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${tables.map(() => "?").join(", ")})
       ORDER BY rowid`,
    )
    .all(...tables);
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Drops the indexes, so the load writes the tables alone. Keeping them costs most of a large load:
 * every row lands at a random place in each of its table's indexes (an order row in 11 of them),
 * while `CREATE INDEX` afterwards sorts each one once and writes its pages full, in order.
 */
export function dropIndexes(sqlite: Database, defs: readonly IndexDef[]) {
  sqlite.transaction(() => {
    for (const d of defs) sqlite.exec(`DROP INDEX ${quoted(d.name)}`);
  })();
}

/**
 * Re-creates the indexes from their stored text, so the schema ends exactly as the migrations left
 * it; one transaction per table. A UNIQUE index refuses rows that break it here, as the insert
 * would have (the generator never relies on a conflict: it writes each key once).
 */
export function createIndexes(sqlite: Database, defs: readonly IndexDef[], onStep?: (s: IndexStep) => void) {
  const byTable = Map.groupBy(defs, (d) => d.table);
  const started = performance.now();
  const step = (table: string, indexes: number, done: number) =>
    onStep?.({ table, indexes, done, total: byTable.size, elapsedMs: performance.now() - started });
  step("", defs.length, 0);
  const get = (name: string) =>
    (sqlite.query(`PRAGMA ${name}`).get() as Record<string, number | string>)[name];
  const before = { cache_size: get("cache_size"), temp_store: get("temp_store"), threads: get("threads") };
  // SQLite's sorter: with a small cache it writes sorted runs to temporary files and merges them,
  // and with helper threads it sorts those runs on the second core. One sort in a 1 GB cache (or in
  // memory with temp_store=MEMORY) was 2.5 times slower: the `events` indexes at --scale 30 took
  // 6.9 s that way against 2.7 s this way (docs/demo-data.md). The temporary files go to TMPDIR.
  sqlite.exec("PRAGMA cache_size = -8192");
  sqlite.exec("PRAGMA temp_store = FILE");
  sqlite.exec("PRAGMA threads = 2");
  try {
    let done = 0;
    for (const [table, list] of byTable) {
      sqlite.transaction(() => {
        for (const d of list) sqlite.exec(d.sql);
      })();
      step(table, list.length, ++done);
    }
  } finally {
    sqlite.exec(`PRAGMA cache_size = ${before.cache_size}`);
    sqlite.exec(`PRAGMA temp_store = ${before.temp_store}`);
    sqlite.exec(`PRAGMA threads = ${before.threads}`);
  }
  return performance.now() - started;
}

type Pragmas = { foreign_keys: number; cache_size: number; synchronous: number; journal_mode: string };

/**
 * Settings for the load, on a database nobody else uses yet; returns what puts the previous ones
 * back (call it outside a transaction). Safe because a history that fails part-way is useless in
 * any case: the command then says to delete the database and start over.
 * - foreign keys off: rows are consistent by construction (and checked by the tests).
 * - a 1 GB page cache: a batch's pages stay in memory until its commit (see BATCH_ROWS), and
 *   `CREATE INDEX` sorts in memory up to a share of it.
 * - the rollback journal in memory instead of the WAL: each page is written once, to the database,
 *   instead of to the WAL and again by the checkpoint; a failed batch still rolls back.
 * - synchronous off: no fsync per commit. Durability of a half-built history is worth nothing, and
 *   the WAL checkpoint after the derived tables (synchronous back to its setting) syncs the file.
 */
export function enterBulkLoad(sqlite: Database): () => void {
  const get = <K extends keyof Pragmas>(name: K) =>
    sqlite.query<Record<K, Pragmas[K]>, []>(`PRAGMA ${name}`).get()![name];
  const before: Pragmas = {
    foreign_keys: get("foreign_keys"),
    cache_size: get("cache_size"),
    synchronous: get("synchronous"),
    journal_mode: get("journal_mode"),
  };
  sqlite.exec("PRAGMA foreign_keys = OFF");
  sqlite.exec("PRAGMA cache_size = -1048576");
  sqlite.exec("PRAGMA journal_mode = MEMORY");
  sqlite.exec("PRAGMA synchronous = OFF");
  return () => {
    sqlite.exec(`PRAGMA journal_mode = ${before.journal_mode}`);
    sqlite.exec(`PRAGMA synchronous = ${before.synchronous}`);
    sqlite.exec(`PRAGMA cache_size = ${before.cache_size}`);
    sqlite.exec(`PRAGMA foreign_keys = ${before.foreign_keys}`);
  };
}
