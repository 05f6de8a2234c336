import type { Database } from "bun:sqlite";
import type { Logger } from "pino";
import type { CheckpointerConfig, CheckpointerMessage, CheckpointerReply } from "./checkpoint-worker";

/** SQLite's own default, restored whenever the worker is not running. */
const AUTO_CHECKPOINT_PAGES = 1000;
/** 16,384 frames of 4 KiB: a 64 MiB WAL before the worker forces it to start over. */
const RESTART_FRAMES = 16 * 1024;
/** When the WAL starts over, its file is cut back to this size (SQLite otherwise keeps its high-water mark). */
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

export type Checkpointer = { stop(): void };

/**
 * Moves WAL checkpoints off the request thread (serve only; a `:memory:` database has no WAL).
 *
 * Why: SQLite's automatic checkpoint runs inside whichever commit pushes the WAL past 1000 pages,
 * copying them into the database file and fsyncing it, and every request waiting on the one
 * JS thread waits with it: that was most of the p99 of POST /usage/record (12.3-12.7 ms against
 * 7.5-8.1 ms with this worker, docs/benchmarks.md). With the automatic checkpoint off, a worker
 * thread with its own connection checkpoints every `intervalMs` (see checkpoint-worker.ts). If
 * the worker fails, the automatic checkpoint comes back, so the WAL stays bounded either way.
 *
 * `workerUrl`: inside the compiled binary every module's `import.meta.url` is the binary itself,
 * so the entry point (src/index.ts) passes the worker's URL resolved against its own location;
 * the default is right when running from source.
 */
export function startCheckpointer(
  sqlite: Database,
  logger: Logger,
  opts: { intervalMs?: number; restartFrames?: number; workerUrl?: string | URL } = {},
): Checkpointer | null {
  const path = sqlite.filename;
  if (!path || path === ":memory:") return null;
  const intervalMs = opts.intervalMs ?? 25;
  const worker = new Worker(opts.workerUrl ?? new URL("./checkpoint-worker.ts", import.meta.url), {
    smol: true,
  });
  let running = true;
  const restart = sqlite.prepare("PRAGMA wal_checkpoint(RESTART)");
  const end = () => {
    running = false;
    worker.terminate();
    sqlite.exec(`PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
  };
  const fallBack = (reason: string) => {
    if (!running) return;
    end();
    logger.warn({ reason }, "WAL checkpointer stopped; automatic checkpoints are back on");
  };
  worker.onmessage = (e: MessageEvent<CheckpointerMessage>) => {
    const m = e.data;
    if (m.type === "ready") logger.info({ interval_ms: intervalMs }, "WAL checkpointer running");
    else if (m.type === "restart") {
      // Between two tasks: no transaction or read of this connection is open (writes are
      // synchronous), so the RESTART copies what the worker's PASSIVE runs left and returns.
      const t0 = performance.now();
      try {
        restart.get();
      } catch (err) {
        logger.warn({ err }, "WAL restart failed; the worker asks again");
      }
      logger.debug({ frames: m.frames, ms: Math.round(performance.now() - t0) }, "WAL restarted");
      if (running) worker.postMessage({ type: "restarted" } satisfies CheckpointerReply);
    } else fallBack(m.message);
  };
  worker.addEventListener("error", (e) => fallBack(e.message));
  worker.addEventListener("close", () => fallBack("worker exited"));
  sqlite.exec("PRAGMA wal_autocheckpoint = 0");
  sqlite.exec(`PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
  worker.postMessage({
    path,
    intervalMs,
    restartFrames: opts.restartFrames ?? RESTART_FRAMES,
  } satisfies CheckpointerConfig);
  worker.unref();
  return {
    stop() {
      if (running) end();
    },
  };
}
