import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * The backups souk writes itself (admin route, schedule) live in DATA_DIR/backups and are named
 * `souk-<UTC time>.db`, e.g. `souk-20261122T030000Z.db` (`-2`, `-3`… when one exists already in
 * that second). Retention only ever looks at files named so: anything else in the folder is left alone.
 */
export const backupsDir = (dataDir: string) => join(dataDir, "backups");

const NAME_RE = /^souk-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-(\d+))?\.db$/;

export type BackupFile = { file: string; path: string; bytes: number; createdAt: number; seq: number };

/** `20261122T030000Z`: the UTC second, in a form that sorts and fits a file name. */
export const compactUtc = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replaceAll(/[-:]/g, "");

/** A name for a new backup at `now` that no file in the folder has yet. */
export function newBackupPath(dir: string, now: number): string {
  const stamp = compactUtc(now);
  for (let n = 1; ; n++) {
    const path = join(dir, `souk-${stamp}${n === 1 ? "" : `-${n}`}.db`);
    if (!existsSync(path)) return path;
  }
}

function parse(file: string): { createdAt: number; seq: number } | null {
  const m = NAME_RE.exec(file);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, seq] = m;
  const createdAt = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!);
  return Number.isNaN(createdAt) ? null : { createdAt, seq: seq ? +seq : 1 };
}

/** souk's backups in the folder, newest first (by the time in their names). */
export function listBackups(dir: string): BackupFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const out: BackupFile[] = [];
  for (const file of names) {
    const t = parse(file);
    if (!t) continue;
    const path = join(dir, file);
    try {
      const st = statSync(path);
      if (st.isFile()) out.push({ file, path, bytes: st.size, ...t });
    } catch {
      // deleted meanwhile
    }
  }
  return out.sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq);
}

/** Deletes souk's backups beyond the newest `keep`; returns the names deleted. */
export function pruneBackups(dir: string, keep: number): string[] {
  const old = listBackups(dir).slice(Math.max(0, keep));
  for (const b of old) rmSync(b.path, { force: true });
  return old.map((b) => b.file);
}
