import { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { DataDirBusy, holdDataDir } from "../../../db/data-lock";
import { migrate } from "../../../db/migrate";
import { MIGRATIONS } from "../../../db/migrations.gen";
import { BackupError, hasSqliteHeader, verifyConnection } from "./backup";
import { compactUtc } from "./backup-files";

/** A restore that did not happen, and why; nothing was changed. */
export class RestoreRefused extends Error {}

export type RestoreReport = {
  database: string;
  from: string;
  /** The files of the database that was there before, moved aside (never deleted). */
  aside: string[];
  /** Migrations applied to the backup because it was older than this souk. */
  applied: string[];
  bytes: number;
  tables: number;
  rows: number;
  ms: number;
};

const SUFFIXES = ["", "-wal", "-shm"] as const;

/**
 * Whether another process has the database open: a connection in WAL mode holds a shared lock on
 * the file for as long as it is open, so an exclusive lock is refused even while the server idles.
 */
function openElsewhere(dbPath: string): boolean {
  if (!existsSync(dbPath)) return false;
  let db: Database | null = null;
  try {
    db = new Database(dbPath);
    db.exec("PRAGMA busy_timeout = 0");
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    db.exec("ROLLBACK");
    return false;
  } catch (e) {
    // Busy or locked means someone else; a damaged file is what the restore is for.
    return /locked|busy/i.test((e as Error).message);
  } finally {
    db?.close();
  }
}

/**
 * The checks of a file before it may become the database: a souk database whose migrations this
 * souk knows (a backup from a newer version is refused), migrated forward if it is older, then
 * integrity_check and the ledger (see verifyConnection). Runs on a copy, never on the file given.
 */
async function prepare(staging: string, from: string) {
  const db = new Database(staging);
  try {
    let done: { tag: string }[];
    try {
      const table = db
        .query("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '__migrations'")
        .get();
      if (!table) throw new RestoreRefused(`${from} is not a souk database (it has no __migrations table)`);
      done = db.query<{ tag: string }, []>("SELECT tag FROM __migrations ORDER BY tag").all();
    } catch (e) {
      if (e instanceof RestoreRefused) throw e;
      throw new RestoreRefused(`${from} cannot be read: ${(e as Error).message}`);
    }
    const known = new Set(MIGRATIONS.map((m) => m.tag));
    const newer = done.map((r) => r.tag).filter((t) => !known.has(t));
    if (newer.length) {
      throw new RestoreRefused(
        `${from} was written by a newer souk (migrations unknown to this one: ${newer.join(", ")}): restore it with that version or later`,
      );
    }
    let applied: string[];
    try {
      applied = migrate(db).applied;
    } catch (e) {
      throw new RestoreRefused(`${from} could not be migrated: ${(e as Error).message}`);
    }
    try {
      return { applied, ...(await verifyConnection(db)) };
    } catch (e) {
      if (e instanceof BackupError) throw new RestoreRefused(`${from}: ${e.message}`);
      throw new RestoreRefused(`${from} cannot be read: ${(e as Error).message}`);
    }
  } finally {
    db.close();
  }
}

function fsyncDir(dir: string) {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the database at `dbPath` with the backup `file`. Refuses (RestoreRefused, nothing
 * changed) while a server holds the data directory or has the database open, or when the file is
 * not a sound souk database this version can run (see prepare). The checks and migrations run on
 * a copy beside the database; only then is the old database, with its -wal and -shm, moved aside
 * to `<db>.before-restore-<UTC time>` and the copy renamed into place.
 */
export async function restoreDatabase(opts: {
  dbPath: string;
  dataDir: string;
  file: string;
  now: number;
}): Promise<RestoreReport> {
  const started = performance.now();
  const from = resolve(opts.file);
  const dbPath = resolve(opts.dbPath);
  if (!existsSync(from) || !statSync(from).isFile()) throw new RestoreRefused(`${from}: no such file`);
  if (from === dbPath) throw new RestoreRefused(`${from} is the database itself`);
  if (!hasSqliteHeader(from)) throw new RestoreRefused(`${from} is not an SQLite database`);
  if (existsSync(`${from}-wal`)) {
    throw new RestoreRefused(
      `${from}-wal exists: ${basename(from)} is a live database or a copy of one, not a backup (make one with souk backup)`,
    );
  }
  let lock: ReturnType<typeof holdDataDir>;
  try {
    lock = holdDataDir(opts.dataDir, "restore");
  } catch (e) {
    if (e instanceof DataDirBusy) throw new RestoreRefused(e.message);
    throw e;
  }
  const dir = dirname(dbPath);
  const staging = join(dir, `.${basename(dbPath)}.restore-${randomBytes(4).toString("hex")}`);
  try {
    if (openElsewhere(dbPath)) {
      throw new RestoreRefused(
        `${dbPath} is open in another process (a souk server?): stop it before restoring`,
      );
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    copyFileSync(from, staging);
    chmodSync(staging, 0o600);
    const checked = await prepare(staging, from);
    // Moved aside together: the -wal holds commits the main file may lack.
    const stamp = compactUtc(opts.now);
    let aside = `${dbPath}.before-restore-${stamp}`;
    for (let n = 2; SUFFIXES.some((s) => existsSync(aside + s)); n++)
      aside = `${dbPath}.before-restore-${stamp}-${n}`;
    const moved: string[] = [];
    try {
      for (const s of SUFFIXES) {
        if (!existsSync(dbPath + s)) continue;
        renameSync(dbPath + s, aside + s);
        moved.push(aside + s);
      }
      renameSync(staging, dbPath);
    } catch (e) {
      // Put back whatever was moved: the old database stays as it was.
      for (const s of SUFFIXES)
        if (existsSync(aside + s) && !existsSync(dbPath + s)) renameSync(aside + s, dbPath + s);
      throw e;
    }
    fsyncDir(dir);
    return {
      database: dbPath,
      from,
      aside: moved,
      applied: checked.applied,
      bytes: statSync(dbPath).size,
      tables: checked.tables,
      rows: checked.rows,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    rmSync(staging, { force: true });
    rmSync(`${staging}-journal`, { force: true });
    lock.release();
  }
}
