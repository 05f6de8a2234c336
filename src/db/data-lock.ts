import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { isAbandoned, PROCESS_OWNER } from "../http/process-owner";

/**
 * Who holds the data directory: one file per process under DATA_DIR/locks, named for its kind and
 * holding its PROCESS_OWNER. Several `serve` processes may share a data directory (they share the
 * database); a `restore` needs it alone. One file per process, never one shared file, so a server
 * that stops removes its own claim without racing another that starts.
 *
 * A claim whose process is gone (crash, kill -9, a container restarted with the same pid) is stale:
 * isAbandoned tells it from a live one, and it is removed when seen. The pid check works within one
 * pid namespace: a restore run from another container than the server's cannot see the server's pid.
 */
export type DataLockKind = "serve" | "restore";
export type DataLockHolder = { kind: DataLockKind; owner: string; pid: number; file: string };
export type DataLock = { file: string; release(): void };

export const locksDir = (dataDir: string) => join(dataDir, "locks");

export class DataDirBusy extends Error {
  constructor(
    message: string,
    readonly holders: DataLockHolder[],
  ) {
    super(message);
  }
}

const FILE_RE = /^(serve|restore)\.(\d+)\.([0-9a-f]+)\.lock$/;

/** The live holders of the data directory; stale claims are deleted on the way. */
export function dataDirHolders(dataDir: string): DataLockHolder[] {
  const dir = locksDir(dataDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const live: DataLockHolder[] = [];
  for (const name of names) {
    const m = FILE_RE.exec(name);
    if (!m) continue;
    const file = join(dir, name);
    let owner: string;
    try {
      owner = readFileSync(file, "utf8").trim();
    } catch {
      continue; // released meanwhile
    }
    if (owner !== PROCESS_OWNER && isAbandoned(owner)) {
      rmSync(file, { force: true });
      continue;
    }
    live.push({ kind: m[1] as DataLockKind, owner, pid: Number(m[2]), file });
  }
  return live;
}

const describe = (h: DataLockHolder) => `${h.kind} (pid ${h.pid})`;

/**
 * Claims the data directory for this process. The claim is written first and the others read
 * after, so of two processes that start at once at least one sees the other (both may refuse).
 * `serve` refuses only while a restore runs; `restore` refuses while anyone else holds it.
 */
export function holdDataDir(dataDir: string, kind: DataLockKind): DataLock {
  const dir = locksDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const [pid, nonce] = PROCESS_OWNER.split(":");
  const file = join(dir, `${kind}.${pid}.${nonce}.lock`);
  writeFileSync(file, `${PROCESS_OWNER}\n`, { mode: 0o600, flag: "wx" });
  const release = () => rmSync(file, { force: true });
  const others = dataDirHolders(dataDir).filter((h) => h.file !== file);
  const blocking = kind === "restore" ? others : others.filter((h) => h.kind === "restore");
  if (blocking.length) {
    release();
    const who = blocking.map(describe).join(", ");
    throw new DataDirBusy(
      kind === "restore"
        ? `${dataDir} is in use by ${who}: stop souk before restoring`
        : `${dataDir} is being restored by ${who}: start souk when the restore has finished`,
      blocking,
    );
  }
  return { file, release };
}

/**
 * serve's claim. A restore under way stops the start (DataDirBusy); a data directory souk cannot
 * write to (a read-only mount with DATABASE_URL elsewhere) only costs the protection, with a warning.
 */
export function holdDataDirForServe(dataDir: string, logger: Logger): DataLock {
  try {
    return holdDataDir(dataDir, "serve");
  } catch (e) {
    if (e instanceof DataDirBusy) throw e;
    logger.warn(
      { err: e, dir: locksDir(dataDir) },
      "could not claim the data directory; restore cannot see this server",
    );
    return { file: "", release() {} };
  }
}
