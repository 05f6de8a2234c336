/**
 * The insert thread of `seed --scale` (started by writer.ts): its own connection to the database
 * file, the load settings of bulk-load.ts, and an Inserter fed with the generator's messages in
 * the order it sent them. Each handled message is counted in the shared `ctrl` array, which the
 * generator reads to stay at most a few messages ahead.
 */
import { Database } from "bun:sqlite";
import {
  FAILED,
  HANDLED,
  Inserter,
  type InsertMessage,
  type InsertThreadEnd,
  type InsertThreadReport,
  type InsertThreadStart,
} from "./inserter";

declare const self: Worker;

let db: Database | null = null;
let inserter: Inserter | null = null;
let ctrl: Int32Array | null = null;
let failed = false;

const send = (r: InsertThreadReport) => self.postMessage(r);

function fail(err: unknown) {
  failed = true;
  try {
    inserter?.rollback();
  } catch {}
  db?.close();
  db = null;
  if (ctrl) {
    Atomics.store(ctrl, FAILED, 1);
    Atomics.notify(ctrl, HANDLED);
  }
  send({ kind: "failed", message: (err as Error).message });
}

self.onmessage = (e: MessageEvent<InsertThreadStart | InsertThreadEnd | InsertMessage>) => {
  const m = e.data;
  if (failed) return;
  try {
    if (m.kind === "start") {
      ctrl = m.ctrl;
      db = new Database(m.path, { readwrite: true, create: false });
      db.exec("PRAGMA busy_timeout = 10000");
      db.exec("PRAGMA foreign_keys = OFF");
      db.exec("PRAGMA cache_size = -1048576");
      db.exec("PRAGMA journal_mode = MEMORY");
      db.exec("PRAGMA synchronous = OFF");
      inserter = new Inserter(db);
      send({ kind: "ready" });
      return;
    }
    if (m.kind === "end" || m.kind === "abort") {
      if (m.kind === "end") inserter!.commit();
      else inserter!.rollback();
      db!.close();
      db = null;
      send({ kind: "done" });
      return;
    }
    inserter!.handle(m);
    Atomics.add(ctrl!, HANDLED, 1);
    Atomics.notify(ctrl!, HANDLED);
  } catch (err) {
    fail(err);
  }
};
