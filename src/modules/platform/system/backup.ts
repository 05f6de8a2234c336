import { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { checkInvariants } from "../../ledger/check";

/**
 * Online backups of the SQLite database: `VACUUM INTO` a temporary file beside the target, check
 * the copy, then rename it to the target, so a file at the target's name is always complete and
 * checked. The copy is read on a connection of its own, opened read-only on the live file: one
 * read transaction, so it is a consistent snapshot while the server writes, and it never takes the
 * write lock.
 */

export type BackupReport = {
  path: string;
  bytes: number;
  ms: number;
  integrity: "ok";
  ledger: "balanced";
  tables: number;
  rows: number;
};

/** What is wrong with a database file: it is not SQLite, fails integrity_check, or its ledger does not balance. */
export type VerifyFailure = "not_sqlite" | "integrity" | "ledger";

export class BackupError extends Error {
  constructor(
    readonly reason: VerifyFailure | "exists" | "source",
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Lets a server answer other requests between the steps (each step itself is synchronous). */
const yieldToOthers = () => new Promise<void>((r) => setImmediate(r));

/** The ledger checks a backup must pass: balances sum to zero per currency and equal their transfers. */
const LEDGER_CHECKS = ["ledger_sums_to_zero", "balances_match_transfers"];
/** integrity_check lists at most this many problems. */
const MAX_PROBLEMS = 20;

const SQLITE_HEADER = "SQLite format 3\0";

/** Whether the file starts with SQLite's 16-byte header. */
export function hasSqliteHeader(path: string): boolean {
  try {
    const head = Buffer.alloc(16);
    const fd = openSync(path, "r");
    try {
      return readSync(fd, head, 0, 16, 0) === 16 && head.toString("latin1") === SQLITE_HEADER;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

export type Verification = { tables: number; rows: number };

/**
 * Checks a database on an open connection: `PRAGMA integrity_check` answers `ok`, and the ledger
 * balances (the ledger checks of `souk check`). Counts the tables and their rows on the way.
 * Throws BackupError naming what failed.
 */
export async function verifyConnection(db: Database): Promise<Verification> {
  const problems = db
    .query<{ integrity_check: string }, []>(`PRAGMA integrity_check(${MAX_PROBLEMS})`)
    .all()
    .map((r) => r.integrity_check);
  if (problems.length !== 1 || problems[0] !== "ok") {
    throw new BackupError("integrity", `integrity_check failed: ${problems[0]}`, { problems });
  }
  await yieldToOthers();
  const report = checkInvariants({ sqlite: db });
  const failed = report.checks.filter((c) => LEDGER_CHECKS.includes(c.name) && !c.ok);
  if (failed.length) {
    throw new BackupError(
      "ledger",
      `the ledger does not balance: ${failed.map((c) => `${c.name} (${c.details.violations} violations)`).join(", ")}`,
      { checks: failed.map((c) => ({ name: c.name, ...c.details })) },
    );
  }
  await yieldToOthers();
  const tables = db
    .query<{ name: string }, []>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all();
  let rows = 0;
  for (const t of tables) {
    rows += db
      .query<{ n: number }, []>(`SELECT count(*) AS n FROM "${t.name.replaceAll('"', '""')}"`)
      .get()!.n;
  }
  return { tables: tables.length, rows };
}

/** Opens a database file read-only and verifies it (see verifyConnection). */
export async function verifyFile(path: string): Promise<Verification> {
  if (!hasSqliteHeader(path)) throw new BackupError("not_sqlite", `${path} is not an SQLite database`);
  let db: Database;
  try {
    db = new Database(path, { readonly: true });
  } catch (e) {
    throw new BackupError("not_sqlite", `${path} cannot be opened: ${(e as Error).message}`);
  }
  try {
    return await verifyConnection(db);
  } catch (e) {
    if (e instanceof BackupError) throw e;
    // A damaged file often fails a query before integrity_check can say so.
    throw new BackupError("integrity", `${path} cannot be read: ${(e as Error).message}`);
  } finally {
    db.close();
  }
}

/** Flushes a file (or a directory entry) to disk. */
function fsyncPath(path: string) {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Backs the live database up into `target` (which must not exist) and verifies the copy. `live`
 * is the database file, or the server's connection: its file is opened again read-only for the
 * copy, and a `:memory:` database (tests) is copied on the connection itself. A copy that fails
 * its checks is deleted.
 */
export async function backupDatabase(live: Database | string, target: string): Promise<BackupReport> {
  const started = performance.now();
  const path = resolve(target);
  if (existsSync(path)) throw new BackupError("exists", `${path} already exists: choose another name`);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.partial-${randomBytes(4).toString("hex")}`);
  // Owner-only from the first byte: a backup holds password hashes and sealed secrets.
  // VACUUM INTO accepts an empty file.
  closeSync(openSync(tmp, "wx", 0o600));
  try {
    const file = typeof live === "string" ? live : live.filename;
    let source: Database | null = null;
    try {
      source =
        typeof live !== "string" && (!file || file === ":memory:")
          ? live
          : new Database(file, { readonly: true });
      if (source !== live) source.exec("PRAGMA busy_timeout = 5000");
      source.query("VACUUM INTO ?").run(tmp);
    } catch (e) {
      throw new BackupError("source", `could not copy ${file}: ${(e as Error).message}`);
    } finally {
      if (source && source !== live) source.close();
    }
    await yieldToOthers();
    const v = await verifyFile(tmp);
    fsyncPath(tmp);
    renameSync(tmp, path);
    fsyncPath(dir);
    return {
      path,
      bytes: statSync(path).size,
      ms: Math.round(performance.now() - started),
      integrity: "ok",
      ledger: "balanced",
      ...v,
    };
  } finally {
    rmSync(tmp, { force: true });
  }
}
