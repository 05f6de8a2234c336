import type { Logger } from "pino";
import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import type { jobs } from "../../../db/schema";
import { jobFailures } from "../system/metrics";

export type JobHandler = (ctx: AppContext, payload: Record<string, unknown>) => Promise<void>;

/** Thrown by a handler when retrying cannot help (e.g. the chat blocked the bot). */
export class PermanentJobError extends Error {}

type JobRow = typeof jobs.$inferSelect;

// Enqueued inside emitting transactions (notifications, webhook fan-out): prepared once per connection.
const insertJob = preparedPer((db) =>
  prepare<unknown, [string, string, number, number, string | null, number]>(
    db,
    `INSERT INTO jobs (type, payload, status, attempts, max_attempts, run_at, dedupe_key, created_at, updated_at)
     VALUES (?1, ?2, 'queued', 0, ?3, ?4, ?5, ?6, ?6) ON CONFLICT DO NOTHING`,
  ),
);

/**
 * Durable queue in the `jobs` table, run in-process. Enqueue happens inside the caller's
 * transaction (the job exists iff the change committed); the worker claims one due job at a
 * time, runs it outside any transaction, and records success or schedules a retry with
 * exponential backoff from the MAX_ORDER_RETRIES / RETRY_BACKOFF_FACTOR settings.
 */
export class JobQueue {
  private handlers = new Map<string, JobHandler>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;
  private ctx: AppContext | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly pollMs = 500,
  ) {}

  register(type: string, handler: JobHandler) {
    this.handlers.set(type, handler);
  }

  enqueue(
    ctx: Pick<AppContext, "clock" | "settings">,
    tx: Tx,
    job: { type: string; payload: Record<string, unknown>; runAt?: number; dedupeKey?: string },
  ) {
    const now = ctx.clock.now();
    insertJob(tx).run(
      job.type,
      JSON.stringify(job.payload),
      ctx.settings.get("MAX_ORDER_RETRIES") + 1,
      job.runAt ?? now,
      job.dedupeKey ?? null,
      now,
    );
    this.kick();
  }

  start(ctx: AppContext) {
    this.ctx = ctx;
    this.stopped = false;
    // One process owns the queue: anything "running" at boot was cut off by a crash.
    ctx.sqlite.query("UPDATE jobs SET status = 'queued', locked_at = NULL WHERE status = 'running'").run();
    this.schedule(0);
  }

  /** Stops polling and waits for the job in hand to finish. */
  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private kick() {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  private schedule(ms: number) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped || this.running || !this.ctx) return;
      const ctx = this.ctx;
      this.running = this.drain(ctx, 1000, true)
        // A database error (disk full, locked) must not become an unhandled rejection that kills the process.
        .catch((err) => this.logger.error({ err }, "job worker failed; retrying at the next poll"))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.schedule(this.pollMs);
        });
    }, ms);
  }

  /** Runs due jobs until none is left. Tests call it directly instead of starting the worker. */
  async drain(ctx: AppContext, limit = 1000, worker = false): Promise<number> {
    let n = 0;
    while (n < limit && !(worker && this.stopped)) {
      const job = this.claim(ctx);
      if (!job) break;
      await this.runOne(ctx, job);
      n++;
    }
    return n;
  }

  private claim(ctx: AppContext): JobRow | null {
    const now = ctx.clock.now();
    return (
      ctx.sqlite
        .query<Record<string, unknown>, [number, number]>(
          `UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_at = ?1, updated_at = ?1
         WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= ?2 ORDER BY run_at, id LIMIT 1)
         RETURNING id, type, payload, attempts, max_attempts`,
        )
        .all(now, now)
        .map(
          (r) =>
            ({
              id: r.id,
              type: r.type,
              payload: JSON.parse(String(r.payload)),
              attempts: r.attempts,
              maxAttempts: r.max_attempts,
            }) as JobRow,
        )[0] ?? null
    );
  }

  private async runOne(ctx: AppContext, job: JobRow) {
    const handler = this.handlers.get(job.type);
    try {
      if (!handler) throw new PermanentJobError(`no handler for job type ${job.type}`);
      await handler(ctx, job.payload);
      ctx.sqlite
        .query(
          "UPDATE jobs SET status = 'done', locked_at = NULL, last_error = NULL, updated_at = ? WHERE id = ?",
        )
        .run(ctx.clock.now(), job.id);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const permanent = err instanceof PermanentJobError || job.attempts >= job.maxAttempts;
      const now = ctx.clock.now();
      const delayMs = backoffMs(ctx, job.attempts);
      ctx.sqlite
        .query(
          `UPDATE jobs SET status = ?, run_at = ?, locked_at = NULL, last_error = ?, updated_at = ? WHERE id = ?`,
        )
        .run(
          permanent ? "failed" : "queued",
          permanent ? now : now + delayMs,
          message.slice(0, 1000),
          now,
          job.id,
        );
      jobFailures.inc();
      this.logger.warn(
        { job_id: job.id, type: job.type, attempt: job.attempts, permanent, err: message },
        "job failed",
      );
    }
  }
}

// However the settings are tuned, a retry waits at most a day: a job should fail, not sleep forever.
const MAX_BACKOFF_MS = 24 * 3600 * 1000;

/** base * factor^(attempt-1): 5 s, 10 s, 20 s, … with the defaults, capped at a day. */
export function backoffMs(ctx: Pick<AppContext, "settings">, attempt: number): number {
  const base = ctx.settings.get("RETRY_BASE_DELAY_SECONDS") * 1000;
  const factor = ctx.settings.get("RETRY_BACKOFF_FACTOR");
  return Math.min(MAX_BACKOFF_MS, Math.round(base * factor ** Math.max(0, attempt - 1)));
}
