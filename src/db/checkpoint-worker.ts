/**
 * The WAL checkpointer's thread (started by ./checkpointer.ts): its own connection to the
 * database file and a PASSIVE checkpoint every `intervalMs`. PASSIVE never takes the writer lock,
 * so the main thread's writes go on while pages are copied into the database file and fsynced here.
 *
 * Under writes that never pause, a PASSIVE checkpoint always ends a few frames behind, and SQLite
 * starts the WAL over only once every frame has been copied, so the file would grow without bound.
 * Past `restartFrames` frames the worker asks the main thread to run the RESTART checkpoint itself
 * and pauses until it has. Run here, each RESTART held the main thread's writes up for 30-35 ms,
 * about once a second at 1,700 pay-ins/s; run on the main connection between two tasks it has no
 * other connection's reads to wait for and stops the event loop only to copy what the PASSIVE runs
 * left and sync (4-27 ms measured): 1,960 instead of 1,712 pay-ins/s, p99 45 instead of 54 ms
 * (docs/benchmarks.md).
 */
import { Database } from "bun:sqlite";

declare const self: Worker;

export type CheckpointerConfig = { path: string; intervalMs: number; restartFrames: number };
/** The main thread's answer to `restart`: it ran the RESTART, the worker goes on. */
export type CheckpointerReply = { type: "restarted" };
/** What the worker reports: that it runs, that the WAL needs a RESTART, a fatal error (the main thread takes over). */
export type CheckpointerMessage =
  | { type: "ready" }
  | { type: "restart"; frames: number }
  | { type: "failed"; message: string };

type CheckpointRow = { busy: number; log: number; checkpointed: number };

const send = (m: CheckpointerMessage) => self.postMessage(m);

let waiting = false;

self.onmessage = (e: MessageEvent<CheckpointerConfig | CheckpointerReply>) => {
  if ("type" in e.data) {
    waiting = false;
    return;
  }
  const { path, intervalMs, restartFrames } = e.data;
  try {
    const db = new Database(path, { readwrite: true, create: false });
    db.exec("PRAGMA busy_timeout = 5000");
    const passive = db.prepare<CheckpointRow, []>("PRAGMA wal_checkpoint(PASSIVE)");
    const tick = () => {
      // While the main thread restarts the WAL this connection stays out of its way.
      if (waiting) return;
      try {
        const r = passive.get()!;
        if (r.log < restartFrames) return;
        waiting = true;
        send({ type: "restart", frames: r.log });
      } catch (err) {
        // SQLITE_BUSY past busy_timeout is a skipped tick; anything else ends the worker.
        if ((err as { code?: string }).code === "SQLITE_BUSY") return;
        clearInterval(timer);
        db.close();
        send({ type: "failed", message: (err as Error).message });
      }
    };
    const timer = setInterval(tick, intervalMs);
    send({ type: "ready" });
  } catch (err) {
    send({ type: "failed", message: (err as Error).message });
  }
};
