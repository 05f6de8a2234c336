import { Database } from "bun:sqlite";
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import type { LibsqlConnection, ReplicaInfo } from "./libsql/connection";
import * as schema from "./schema";

export type Db = ReturnType<typeof drizzle<typeof schema>>;
/** The transaction handle passed to synchronous write verbs. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Anything that can run a query: the database or an open transaction. */
export type Queryable = Db | Tx;

export type DbHandle = { db: Db; sqlite: Database; close(): void; replica?: ReplicaInfo };

/** Where an embedded libSQL replica keeps its local copy, and how it reaches sqld. */
export type ReplicaOptions = {
  path: string;
  authToken?: string;
  syncPeriodMs?: number;
  /** An edge node: reads only, through bun:sqlite (see openDatabase). */
  readOnly?: boolean;
};

/** A libSQL server (sqld) URL: the database is an embedded replica of it. */
export const isLibsqlUrl = (url: string) => /^(libsql|https?):\/\//.test(url);

/** Resolves DATABASE_URL to a bun:sqlite path (for a libSQL URL: the local replica file). */
export function sqlitePath(url: string, replica?: ReplicaOptions): string {
  if (url === ":memory:" || url === "file::memory:") return ":memory:";
  if (url.startsWith("file:")) return url.slice("file:".length);
  if (isLibsqlUrl(url)) return replica?.path ?? url;
  return url;
}

export function openDatabase(url: string, replica?: ReplicaOptions): DbHandle {
  if (isLibsqlUrl(url)) {
    if (!replica) throw new Error(`a libSQL database (${url}) needs a local replica file`);
    mkdirSync(dirname(replica.path), { recursive: true, mode: 0o700 });
    // Loaded only in libSQL mode: a one-file souk never loads libsql's native module.
    const { LibsqlConnection: Connection } = require("./libsql/connection") as {
      LibsqlConnection: typeof LibsqlConnection;
    };
    const conn = new Connection(replica.path, { syncUrl: url, ...replica });
    // The replica is empty until its first sync; the primary owns WAL, checkpoints and pragmas.
    conn.replica.sync();
    if (replica.readOnly) {
      // An edge node reads the replica file through bun:sqlite, read-only: the frames libsql
      // syncs in are committed WAL frames any SQLite reader sees (measured: reads stay monotonic
      // under a sync every millisecond), its cached statements cost ~2 µs a run against ~18 µs
      // for libsql's (which must prepare afresh, see LibsqlStatement), and a write there fails
      // at once instead of blocking on the server. libsql keeps the file in sync.
      const sqlite = new Database(replica.path, { readonly: true, strict: true });
      sqlite.exec("PRAGMA busy_timeout = 5000");
      const db = drizzle({ client: sqlite, schema });
      const close = () => {
        sqlite.close();
        conn.close();
      };
      return { db, sqlite, close, replica: conn.replica };
    }
    const sqlite = conn.asBunDatabase();
    const db = drizzle({ client: sqlite, schema });
    return { db, sqlite, close: () => conn.close(), replica: conn.replica };
  }
  const path = sqlitePath(url);
  if (path !== ":memory:" && !existsSync(path)) {
    // Owner-only from the first byte: SQLite gives the -wal and -shm files the database's mode.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, "a", 0o600));
  }
  const sqlite = new Database(path, { create: true, strict: true });
  // First: switching to WAL reads the file, and another process closing its last connection holds
  // the file exclusively while it checkpoints; without a timeout that is "database is locked".
  sqlite.exec("PRAGMA busy_timeout = 5000");
  // WAL + synchronous=NORMAL (the default FULL is ~50x slower for writes).
  sqlite.exec("PRAGMA journal_mode = WAL");
  sqlite.exec("PRAGMA synchronous = NORMAL");
  sqlite.exec("PRAGMA foreign_keys = ON");
  sqlite.exec("PRAGMA temp_store = MEMORY");
  const db = drizzle({ client: sqlite, schema });
  return { db, sqlite, close: () => sqlite.close() };
}
