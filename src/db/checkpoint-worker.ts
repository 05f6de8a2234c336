/**
 * The WAL checkpointer's thread (started by ./checkpointer.ts): its own connection to the
 * database file and a PASSIVE checkpoint every `intervalMs`. PASSIVE never takes the writer lock,
 * so the main thread's writes go on while pages are copied into the database file and fsynced here.
 *
 * Under writes that never pause, a PASSIVE checkpoint always ends a few frames behind, and SQLite
 * starts the WAL over only once every frame has been copied, so the file would grow without bound.
 * Past `restartFrames` frames a tick runs one RESTART checkpoint instead: it makes the writer wait
 * while it copies the rest, and the next write starts the WAL from its beginning.
 */
import { Database } from "bun:sqlite";

declare const self: Worker;

export type CheckpointerConfig = { path: string; intervalMs: number; restartFrames: number };
/** What the worker reports: that it runs, each RESTART, a fatal error (the main thread takes over). */
export type CheckpointerMessage =
  | { type: "ready" }
  | { type: "restart"; frames: number; ms: number }
  | { type: "failed"; message: string };

type CheckpointRow = { busy: number; log: number; checkpointed: number };

const send = (m: CheckpointerMessage) => self.postMessage(m);

self.onmessage = (e: MessageEvent<CheckpointerConfig>) => {
  const { path, intervalMs, restartFrames } = e.data;
  try {
    const db = new Database(path, { readwrite: true, create: false });
    db.exec("PRAGMA busy_timeout = 5000");
    const passive = db.prepare<CheckpointRow, []>("PRAGMA wal_checkpoint(PASSIVE)");
    const restart = db.prepare<CheckpointRow, []>("PRAGMA wal_checkpoint(RESTART)");
    const tick = () => {
      try {
        const r = passive.get()!;
        if (r.log < restartFrames) return;
        const t0 = performance.now();
        restart.get();
        send({ type: "restart", frames: r.log, ms: Math.round(performance.now() - t0) });
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
