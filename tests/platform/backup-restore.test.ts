import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createContext } from "../../src/boot";
import { openDatabase } from "../../src/db/client";
import { DataDirBusy, dataDirHolders, holdDataDir, locksDir } from "../../src/db/data-lock";
import { migrate } from "../../src/db/migrate";
import { MIGRATIONS } from "../../src/db/migrations.gen";
import { parseEnv } from "../../src/env";
import { backupDatabase } from "../../src/modules/platform/system/backup";
import { RestoreRefused, restoreDatabase } from "../../src/modules/platform/system/backup-restore";
import { runSouk } from "../helpers/cli";
import { tempDataDir } from "../helpers/server";

// A process that stays alive (a foreign live owner) and the pid of one that has exited (a stale one).
const alive = Bun.spawn(["sleep", "60"]);
const dead = Bun.spawn(["true"]);
await dead.exited;
afterAll(() => alive.kill());

/** A folder for backups, outside any data dir. */
const spare = () => mkdtempSync(join(tmpdir(), "souk-restore-"));

const NOW = Date.parse("2026-11-22T10:00:00.000Z");

/** A migrated data dir whose ledger holds `transfers` balanced transfers of 5 (and users to match). */
function liveDataDir(transfers = 1) {
  const dir = tempDataDir();
  const db = join(dir, "souk.db");
  // A bare connection, not createContext: its cached statements would keep the file open (and
  // locked) in this process after close(), and restore would rightly refuse.
  const { sqlite } = openDatabase(`file:${db}`);
  migrate(sqlite);
  addTransfers(sqlite, transfers);
  sqlite.close();
  return { dir, db };
}

function addTransfers(db: Database, n: number) {
  db.exec(`INSERT OR IGNORE INTO ledger_accounts (id, owner_type, owner_id, kind, currency, balance, allow_negative, created_at)
           VALUES (1, 'platform', 'p', 'adjustments', 'RUB', 0, 1, 0), (2, 'user', '1', 'available', 'RUB', 0, 0, 0)`);
  for (let i = 0; i < n; i++) {
    db.query(
      `INSERT INTO ledger_transfers (debit_account_id, credit_account_id, amount, currency, kind, idempotency_key, metadata, created_at)
       VALUES (1, 2, 5, 'RUB', 'adjustment', ?, '{}', 0)`,
    ).run(crypto.randomUUID());
    db.exec("UPDATE ledger_accounts SET balance = balance - 5 WHERE id = 1");
    db.exec("UPDATE ledger_accounts SET balance = balance + 5 WHERE id = 2");
  }
}

const transfers = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.query("SELECT count(*) AS n FROM ledger_transfers").get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** Commits 4 more transfers with checkpoints off, then dies by SIGKILL: they live only in the -wal. */
const CRASHING_WRITER = `
  const { Database } = require("bun:sqlite");
  const db = new Database(process.argv.at(-1));
  db.exec("PRAGMA wal_autocheckpoint = 0");
  for (let i = 0; i < 4; i++) {
    db.transaction(() => {
      db.query("INSERT INTO ledger_transfers (debit_account_id, credit_account_id, amount, currency, kind, idempotency_key, metadata, created_at) VALUES (1, 2, 5, 'RUB', 'adjustment', ?, '{}', 0)").run("crash-" + i);
      db.exec("UPDATE ledger_accounts SET balance = balance - 5 WHERE id = 1");
      db.exec("UPDATE ledger_accounts SET balance = balance + 5 WHERE id = 2");
    })();
  }
  process.kill(process.pid, "SIGKILL");
`;

const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** A verified backup of the data dir's database, then the same file changed by `edit` (if any). */
async function backupOf(live: { dir: string; db: string }, edit?: (db: Database) => void) {
  const path = join(spare(), "backup.db");
  await backupDatabase(live.db, path);
  if (edit) {
    const db = new Database(path);
    edit(db);
    db.close();
  }
  return path;
}

/** Restore must refuse and change nothing: same database bytes, nothing moved aside, no claim left. */
async function expectRefused(live: { dir: string; db: string }, file: string, message: string | RegExp) {
  const before = digest(live.db);
  const e = await restoreDatabase({ dbPath: live.db, dataDir: live.dir, file, now: NOW }).catch((x) => x);
  expect(e).toBeInstanceOf(RestoreRefused);
  if (typeof message === "string") expect(e.message).toContain(message);
  else expect(e.message).toMatch(message);
  expect(digest(live.db)).toBe(before);
  expect(readdirSync(live.dir).filter((f) => f.includes("restore"))).toEqual([]);
  expect(dataDirHolders(live.dir)).toEqual([]);
}

describe("souk restore", () => {
  test("puts the backup in place, keeps the old database (with its -wal) aside, and the server serves it", async () => {
    const live = liveDataDir(3);
    const file = await backupOf(live);
    // Later commits left in the -wal by a server that was killed: restore must keep them aside.
    const writer = Bun.spawn([process.execPath, "-e", CRASHING_WRITER, live.db]);
    expect(await writer.exited).not.toBe(0);
    expect(statSync(`${live.db}-wal`).size).toBeGreaterThan(0);
    const r = await runSouk(["restore", file], live.dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`restored ${live.db} from ${file}`);
    expect(r.stdout).toContain("integrity ok, ledger balanced");
    expect(r.stdout).toContain(`kept as ${live.db}.before-restore-`);
    expect(transfers(live.db)).toBe(3);
    const aside = readdirSync(live.dir).filter((f) => f.startsWith("souk.db.before-restore-"));
    expect(aside.some((f) => /^souk\.db\.before-restore-\d{8}T\d{6}Z$/.test(f))).toBe(true);
    const asideDb = join(live.dir, aside.find((f) => !f.includes("-wal") && !f.includes("-shm"))!);
    expect(transfers(asideDb)).toBe(7);
    // The restored file opens as souk's database again.
    const check = await runSouk(["check"], live.dir);
    expect(check.stdout).toContain("all checks passed");
    expect(check.code).toBe(0);
  }, 30_000);

  test("an older backup is migrated forward on its way in", async () => {
    const live = liveDataDir();
    const old = join(spare(), "old.db");
    const db = new Database(old);
    db.exec(
      "CREATE TABLE __migrations (tag TEXT PRIMARY KEY, hash TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    const last = MIGRATIONS.at(-1)!;
    for (const m of MIGRATIONS.slice(0, -1)) {
      for (const stmt of m.sql.split("--> statement-breakpoint")) if (stmt.trim()) db.exec(stmt);
      const hash = createHash("sha256").update(m.sql).digest("hex");
      db.query("INSERT INTO __migrations VALUES (?, ?, 0)").run(m.tag, hash);
    }
    db.close();
    const r = await restoreDatabase({ dbPath: live.db, dataDir: live.dir, file: old, now: NOW });
    expect(r.applied).toEqual([last.tag]);
    const restored = new Database(live.db, { readonly: true });
    expect(restored.query("SELECT count(*) AS n FROM __migrations").get()).toEqual({ n: MIGRATIONS.length });
    restored.close();
    // Restoring twice in a second keeps both earlier databases.
    await restoreDatabase({ dbPath: live.db, dataDir: live.dir, file: old, now: NOW });
    expect(existsSync(`${live.db}.before-restore-20261122T100000Z`)).toBe(true);
    expect(existsSync(`${live.db}.before-restore-20261122T100000Z-2`)).toBe(true);
  });

  test("into an empty data dir: nothing to move aside", async () => {
    const live = liveDataDir(2);
    const file = await backupOf(live);
    const fresh = tempDataDir();
    const r = await restoreDatabase({ dbPath: join(fresh, "souk.db"), dataDir: fresh, file, now: NOW });
    expect(r.aside).toEqual([]);
    expect(transfers(join(fresh, "souk.db"))).toBe(2);
  });
});

describe("souk restore refuses, exits 1 and changes nothing", () => {
  test("while a live server holds the data dir (its claim in DATA_DIR/locks)", async () => {
    const live = liveDataDir();
    const file = await backupOf(live);
    mkdirSync(locksDir(live.dir), { recursive: true });
    const claim = join(locksDir(live.dir), `serve.${alive.pid}.abcdef.lock`);
    writeFileSync(claim, `${alive.pid}:abcdef\n`);
    const before = digest(live.db);
    const r = await runSouk(["restore", file], live.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `refused: ${live.dir} is in use by serve (pid ${alive.pid}): stop souk before restoring`,
    );
    expect(r.stderr).toContain("Nothing was changed.");
    expect(digest(live.db)).toBe(before);
    expect(existsSync(claim)).toBe(true);
  }, 30_000);

  test("a stale claim (its process is gone) does not stop it, and is cleared", async () => {
    const live = liveDataDir();
    const file = await backupOf(live);
    mkdirSync(locksDir(live.dir), { recursive: true });
    const claim = join(locksDir(live.dir), `serve.${dead.pid}.abcdef.lock`);
    writeFileSync(claim, `${dead.pid}:abcdef\n`);
    await restoreDatabase({ dbPath: live.db, dataDir: live.dir, file, now: NOW });
    expect(existsSync(claim)).toBe(false);
  });

  test("while another process has the database open, even with no claim (a server from another container)", async () => {
    const live = liveDataDir();
    const file = await backupOf(live);
    const other = openDatabase(`file:${live.db}`).sqlite;
    other.query("SELECT 1 FROM users").all();
    try {
      await expectRefused(live, file, "is open in another process");
    } finally {
      other.close();
    }
  });

  test("a file that is not SQLite, through the CLI", async () => {
    const live = liveDataDir();
    const garbage = join(spare(), "garbage.db");
    writeFileSync(garbage, "PK\u0003\u0004 this is a zip, not a database".repeat(100));
    const r = await runSouk(["restore", garbage], live.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`refused: ${garbage} is not an SQLite database`);
  }, 30_000);

  test("a missing file, and no file named (usage: exit 2)", async () => {
    const live = liveDataDir();
    await expectRefused(live, join(live.dir, "nope.db"), "no such file");
    const r = await runSouk(["restore"], live.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("name the backup to restore");
  }, 30_000);

  test("a damaged file (a page overwritten)", async () => {
    const live = liveDataDir(50);
    const file = await backupOf(live);
    const db = new Database(file, { readonly: true });
    const root = (
      db.query("SELECT rootpage FROM sqlite_schema WHERE name = 'ledger_transfers_key_uq'").get() as any
    ).rootpage as number;
    const pageSize = (db.query("PRAGMA page_size").get() as any).page_size as number;
    db.close();
    const bytes = new Uint8Array(await Bun.file(file).arrayBuffer());
    bytes.fill(0x5a, (root - 1) * pageSize, root * pageSize);
    await Bun.write(file, bytes);
    // Whichever read meets the bad page first says so: the migrations check or integrity_check.
    await expectRefused(live, file, /integrity_check failed|database disk image is malformed/);
  });

  test("a ledger that does not balance (a row written by hand)", async () => {
    const live = liveDataDir(2);
    const file = await backupOf(live, (db) =>
      db.exec("UPDATE ledger_accounts SET balance = balance + 1 WHERE id = 2"),
    );
    await expectRefused(live, file, "the ledger does not balance: ledger_sums_to_zero");
  });

  test("a backup from a newer souk (a migration this one does not know)", async () => {
    const live = liveDataDir();
    const file = await backupOf(live, (db) =>
      db.exec("INSERT INTO __migrations VALUES ('9999_from_the_future', 'x', 0)"),
    );
    await expectRefused(
      live,
      file,
      "written by a newer souk (migrations unknown to this one: 9999_from_the_future)",
    );
  });

  test("an SQLite file that is not souk's", async () => {
    const live = liveDataDir();
    const other = join(spare(), "other.db");
    const db = new Database(other);
    db.exec("CREATE TABLE notes (body TEXT)");
    db.close();
    await expectRefused(live, other, "is not a souk database (it has no __migrations table)");
  });

  test("a live database (a -wal beside it) rather than a backup", async () => {
    const live = liveDataDir();
    const other = tempDataDir();
    const copy = createContext(parseEnv({ DATA_DIR: other, LOG_LEVEL: "silent", CRON_ENABLED: "false" }));
    try {
      await expectRefused(live, join(other, "souk.db"), "-wal exists");
    } finally {
      copy.sqlite.close();
    }
  });

  test("the database itself", async () => {
    const live = liveDataDir();
    await expectRefused(live, live.db, "is the database itself");
  });
});

describe("data-dir claims", () => {
  const claim = (dir: string, kind: string, pid: number) => {
    mkdirSync(locksDir(dir), { recursive: true });
    const file = join(locksDir(dir), `${kind}.${pid}.abcdef.lock`);
    writeFileSync(file, `${pid}:abcdef\n`);
    return file;
  };

  test("servers share the data dir; a restore needs it alone; each removes only its own claim", () => {
    const dir = tempDataDir();
    claim(dir, "serve", alive.pid);
    const mine = holdDataDir(dir, "serve");
    expect(dataDirHolders(dir).map((h) => h.kind)).toEqual(["serve", "serve"]);
    expect(() => holdDataDir(dir, "restore")).toThrow(DataDirBusy);
    mine.release();
    expect(dataDirHolders(dir).map((h) => h.pid)).toEqual([alive.pid]);
  });

  test("a server does not start while a restore runs", () => {
    const dir = tempDataDir();
    claim(dir, "restore", alive.pid);
    expect(() => holdDataDir(dir, "serve")).toThrow(`being restored by restore (pid ${alive.pid})`);
    // Its own claim was taken back.
    expect(dataDirHolders(dir)).toHaveLength(1);
  });

  test("claims of processes that are gone are removed when seen", () => {
    const dir = tempDataDir();
    const stale = claim(dir, "restore", dead.pid);
    const mine = holdDataDir(dir, "restore");
    expect(existsSync(stale)).toBe(false);
    mine.release();
    expect(readdirSync(locksDir(dir))).toEqual([]);
  });
});

describe("backup and restore need a database file", () => {
  test("on libSQL (the data lives in sqld) or :memory:, both refuse with a usage error and write nothing", async () => {
    const dir = tempDataDir();
    const libsql = { DATABASE_URL: "http://127.0.0.1:9", JWT_SECRET: "s".repeat(32) };
    for (const command of ["backup", "restore"]) {
      const onLibsql = await runSouk([command, join(dir, "x.db")], dir, libsql);
      expect(onLibsql.code).toBe(2);
      expect(onLibsql.stderr).toContain("its data lives in sqld");
      const inMemory = await runSouk([command, join(dir, "x.db")], dir, { DATABASE_URL: ":memory:" });
      expect(inMemory.code).toBe(2);
      expect(inMemory.stderr).toContain("DATABASE_URL is :memory:");
    }
    expect(existsSync(join(dir, "x.db"))).toBe(false);
  });
});
