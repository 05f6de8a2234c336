import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { type Checkpointer, startCheckpointer } from "../../src/db/checkpointer";
import { openDatabase } from "../../src/db/client";

type Line = { level: string; msg: string; obj: Record<string, unknown> };

function recorder() {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (obj: Record<string, unknown>, msg: string): void => {
      lines.push({ level, msg, obj });
    };
  const logger = { info: at("info"), warn: at("warn"), debug: at("debug") } as unknown as Logger;
  return { lines, logger };
}

async function until(what: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(5);
  }
}

const dirs: string[] = [];
const running: Checkpointer[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fileDb() {
  const dir = mkdtempSync(join(tmpdir(), "souk-ckpt-"));
  dirs.push(dir);
  const path = join(dir, "t.db");
  const h = openDatabase(`file:${path}`);
  h.sqlite.exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
  const insert = h.sqlite.prepare<never, [Uint8Array]>("INSERT INTO blobs (b) VALUES (?)");
  // ~1 page per row: each commit appends a couple of WAL frames.
  const writeRows = (n: number) => {
    for (let i = 0; i < n; i++) insert.run(new Uint8Array(3000));
  };
  const autocheckpoint = () =>
    h.sqlite.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get()!.wal_autocheckpoint;
  return { ...h, path, writeRows, autocheckpoint };
}

describe("WAL checkpointer", () => {
  test("turns the automatic checkpoint off and copies the WAL into the database file off-thread", async () => {
    const db = fileDb();
    const { lines, logger } = recorder();
    const c = startCheckpointer(db.sqlite, logger, { intervalMs: 10 })!;
    running.push(c);
    await until(() => lines.some((l) => l.msg === "WAL checkpointer running"));
    expect(db.autocheckpoint()).toBe(0);
    const before = statSync(db.path).size;
    db.writeRows(500); // ~2 MB into the WAL; with autocheckpoint 0 only the worker copies it over
    await until(() => statSync(db.path).size > before + 1_000_000);
    expect(lines.filter((l) => l.level === "warn")).toEqual([]);
  });

  test("past restartFrames it starts the WAL over, so the file stays bounded under constant writes", async () => {
    const db = fileDb();
    const { lines, logger } = recorder();
    running.push(startCheckpointer(db.sqlite, logger, { intervalMs: 5, restartFrames: 200 })!);
    await until(() => lines.some((l) => l.msg === "WAL checkpointer running"));
    for (let round = 0; round < 40 && !lines.some((l) => l.msg === "WAL restarted"); round++) {
      db.writeRows(50);
      await Bun.sleep(5);
    }
    const restart = lines.find((l) => l.msg === "WAL restarted");
    expect(restart?.obj.frames).toBeGreaterThanOrEqual(200);
    running.pop()!.stop();
    db.writeRows(10); // the first write after a restart starts the WAL from its beginning
    const wal = db.sqlite.query<{ log: number }, []>("PRAGMA wal_checkpoint(PASSIVE)").get()!;
    expect(wal.log).toBeLessThan(200);
  });

  test("a worker that cannot start hands checkpoints back to SQLite and says so", async () => {
    const db = fileDb();
    const { lines, logger } = recorder();
    running.push(
      startCheckpointer(db.sqlite, logger, { workerUrl: join(tmpdir(), "no-such-checkpoint-worker.ts") })!,
    );
    await until(() => lines.some((l) => l.level === "warn"));
    expect(lines.find((l) => l.level === "warn")?.msg).toMatch(/automatic checkpoints are back on/);
    expect(db.autocheckpoint()).toBe(1000);
  });

  test("stop() restores the automatic checkpoint; a :memory: database gets none", async () => {
    const db = fileDb();
    const { logger } = recorder();
    const c = startCheckpointer(db.sqlite, logger)!;
    expect(db.autocheckpoint()).toBe(0);
    c.stop();
    expect(db.autocheckpoint()).toBe(1000);
    c.stop(); // twice is harmless
    expect(startCheckpointer(openDatabase(":memory:").sqlite, logger)).toBeNull();
  });
});
