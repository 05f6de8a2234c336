import type { Logger } from "pino";
import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import type { jobs } from "../../../db/schema";
import { write } from "../../../db/write";
import { type CriticalErrorInput, reportCriticalError, storeCriticalError } from "../critical-errors/service";
import { jobFailures } from "../system/metrics";

export type JobHandler = (ctx: AppContext, payload: Record<string, unknown>) => Promise<void>;
/**
 * Work kept in its own table rather than as `jobs` rows (webhook deliveries): run by the worker
 * before it claims jobs, it starts up to `max` items of what is due and answers how many, and
 * whether more is due at once (a full batch). Work that goes on after it returns (requests in
 * flight) is handed to `JobQueue.track`.
 */
export type JobPump = (ctx: AppContext, max: number) => Promise<{ done: number; more: boolean }>;

/** Thrown by a handler when retrying cannot help (e.g. the chat blocked the bot). */
export class PermanentJobError extends Error {}

type JobRow = typeof jobs.$inferSelect;
type Claimed = Pick<JobRow, "id" | "type" | "payload" | "attempts" | "maxAttempts">;

// Enqueued inside emitting transactions (notifications, webhook fan-out): prepared once per connection.
const insertJob = preparedPer((db) =>
  prepare<unknown, [string, string, number, number, string | null, number]>(
    db,
    `INSERT INTO jobs (type, payload, status, attempts, max_attempts, run_at, dedupe_key, created_at, updated_at)
     VALUES (?1, ?2, 'queued', 0, ?3, ?4, ?5, ?6, ?6) ON CONFLICT DO NOTHING`,
  ),
);

type ClaimedRow = { id: number; type: string; payload: string; attempts: number; max_attempts: number };
// The worker runs these for every job: prepared once per connection.
const stmts = preparedPer((db) => ({
  // A read first: a poll that finds nothing due takes no write lock.
  firstDue: prepare<{ id: number }, [number]>(
    db,
    "SELECT id FROM jobs WHERE status = 'queued' AND run_at <= ? ORDER BY run_at, id LIMIT 1",
  ),
  claim: prepare<ClaimedRow, [number, number]>(
    db,
    `UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_at = ?1, updated_at = ?1
     WHERE id = ?2 AND status = 'queued' RETURNING id, type, payload, attempts, max_attempts`,
  ),
  done: prepare<unknown, [number, number]>(
    db,
    "UPDATE jobs SET status = 'done', locked_at = NULL, last_error = NULL, updated_at = ?1 WHERE id = ?2",
  ),
  failed: prepare<unknown, [string, number, string, number, number]>(
    db,
    "UPDATE jobs SET status = ?1, run_at = ?2, locked_at = NULL, last_error = ?3, updated_at = ?4 WHERE id = ?5",
  ),
}));

/**
 * Durable queue in the `jobs` table, run in-process. Enqueue happens inside the caller's
 * transaction (the job exists iff the change committed); the worker claims the first due job, runs
 * it outside any transaction, and records its success or schedules its retry with exponential
 * backoff (MAX_ORDER_RETRIES / RETRY_BACKOFF_FACTOR). Jobs are few (Telegram and email
 * messages, gateway retries): the high-volume work, webhook deliveries, is a pump over its own table.
 */
export class JobQueue {
  /** Worker passes (wake-ups that found work or not), for tests. */
  readonly stats = { passes: 0 };
  private handlers = new Map<string, JobHandler>();
  private pumps: JobPump[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the pending timer fires (performance.now()). */
  private timerDue = 0;
  private running: Promise<unknown> | null = null;
  /** Pumps' work still going on after the pass that started it. */
  private inFlight = new Set<Promise<unknown>>();
  /** A job was enqueued while the worker ran: look again soon after it finishes, not at the next poll. */
  private kicked = false;
  private stopped = true;
  private ctx: AppContext | null = null;

  /**
   * `kickDelayMs`: how long the worker waits after a wake-up before it runs. Work that comes in
   * within that window is done in one pass, so a burst of webhook deliveries goes out in a few
   * batches instead of one batch per request that caused them (docs/platform.md, "Performance").
   */
  constructor(
    private readonly logger: Logger,
    private readonly pollMs = 500,
    private readonly kickDelayMs = 25,
  ) {}

  register(type: string, handler: JobHandler) {
    this.handlers.set(type, handler);
  }

  addPump(pump: JobPump) {
    this.pumps.push(pump);
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
    this.wake();
  }

  start(ctx: AppContext) {
    this.ctx = ctx;
    this.stopped = false;
    // One process owns the queue: anything "running" at boot was cut off by a crash.
    ctx.sqlite.query("UPDATE jobs SET status = 'queued', locked_at = NULL WHERE status = 'running'").run();
    this.schedule(0);
  }

  /** Stops polling and waits for the jobs in hand to finish. */
  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await Promise.all(this.inFlight);
  }

  /**
   * Work a pump started and did not wait for (a batch of webhook requests): the worker goes on
   * with other work meanwhile; `drain` and `stop` wait for it. The promise must not reject.
   */
  track(work: Promise<unknown>) {
    const p = work.finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Something is due (a job, or a pump's work): run the worker after the kick delay. */
  wake() {
    if (this.stopped) return;
    if (this.running) this.kicked = true;
    // Called for every job enqueued: a timer due soon enough already covers this one.
    else if (!this.timer || this.timerDue > performance.now() + this.kickDelayMs)
      this.schedule(this.kickDelayMs);
  }

  private schedule(ms: number) {
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = performance.now() + ms;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped || this.running || !this.ctx) return;
      const ctx = this.ctx;
      this.stats.passes++;
      this.running = this.drain(ctx, 1000, true)
        // A database error (disk full, locked) must not become an unhandled rejection that kills the process.
        .catch((err) => this.logger.error({ err }, "job worker failed; retrying at the next poll"))
        .finally(() => {
          this.running = null;
          const kicked = this.kicked;
          this.kicked = false;
          if (!this.stopped) this.schedule(kicked ? this.kickDelayMs : this.pollMs);
        });
    }, ms);
  }

  /**
   * Runs the pumps and due jobs until nothing is left (or `limit` items ran), then waits for the
   * pumps' tracked work. Tests call it directly instead of starting the worker. The worker does
   * not wait for tracked work, and goes round again only while there is more at once (a full
   * batch, or jobs): what came in meanwhile waits for the next wake-up with the rest of its burst,
   * rather than going out as a batch of one or two.
   */
  async drain(ctx: AppContext, limit = 1000, worker = false): Promise<number> {
    let n = 0;
    for (;;) {
      while (n < limit && !(worker && this.stopped)) {
        const before = n;
        let more = false;
        for (const pump of this.pumps) {
          if (n >= limit) break;
          const r = await pump(ctx, limit - n);
          n += r.done;
          more ||= r.more;
        }
        const ran = n < limit && (await this.runJob(ctx));
        if (ran) n++;
        if (worker ? !more && !ran : n === before) break;
      }
      // The worker goes on while requests are out; a caller's drain returns when they are done.
      if (worker || this.inFlight.size === 0) return n;
      await Promise.all(this.inFlight);
      if (n >= limit) return n;
    }
  }

  /** Claims the first due job and runs it; false when none is due. */
  private async runJob(ctx: AppContext): Promise<boolean> {
    const s = stmts(ctx.db);
    const now = ctx.clock.now();
    const first = s.firstDue.get(now);
    const row = first && s.claim.get(now, first.id);
    if (!row) return false;
    const job: Claimed = {
      id: row.id,
      type: row.type,
      payload: JSON.parse(row.payload),
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
    };
    let error: unknown = null;
    try {
      const handler = this.handlers.get(job.type);
      if (!handler) throw new PermanentJobError(`no handler for job type ${job.type}`);
      await handler(ctx, job.payload as Record<string, unknown>);
    } catch (err) {
      error = err ?? new Error("job failed");
    }
    // A job that failed for good is stored with its outcome and sent to Sentry once that commits.
    let dead: { input: CriticalErrorInput; id: number | null } | null;
    try {
      dead = write(ctx, (tx, now) => {
        if (error === null) s.done.run(now, job.id);
        else if (this.recordFailure(ctx, job, error, now)) {
          const input = deadJob(job, error);
          return { input, id: storeCriticalError(ctx, tx, now, input) };
        }
        return null;
      });
    } catch (err) {
      // The outcome could not be written (disk full, locked): put the job back rather than leave it running until a restart.
      this.logger.error({ err, job_id: job.id }, "could not record a job's outcome; requeued");
      try {
        const at = ctx.clock.now();
        s.failed.run("queued", at + backoffMs(ctx, job.attempts), String(err), at, job.id);
      } catch {}
      return true;
    }
    if (dead) reportCriticalError(ctx, dead.input, dead.id);
    return true;
  }

  /** Records a failed attempt; true when the job has failed for good. */
  private recordFailure(ctx: AppContext, job: Claimed, err: unknown, now: number): boolean {
    const message = err instanceof Error ? err.message : String(err);
    const permanent = err instanceof PermanentJobError || job.attempts >= job.maxAttempts;
    stmts(ctx.db).failed.run(
      permanent ? "failed" : "queued",
      permanent ? now : now + backoffMs(ctx, job.attempts),
      message.slice(0, 1000),
      now,
      job.id,
    );
    jobFailures.inc();
    this.logger.warn(
      { job_id: job.id, type: job.type, attempt: job.attempts, permanent, err: message },
      "job failed",
    );
    return permanent;
  }
}

function deadJob(job: Claimed, err: unknown): CriticalErrorInput {
  return {
    kind: "job",
    error: err,
    jobId: job.id,
    jobType: job.type,
    details: {
      attempts: job.attempts,
      max_attempts: job.maxAttempts,
      permanent_error: err instanceof PermanentJobError,
    },
  };
}

// However the settings are tuned, a retry waits at most a day: a job should fail, not sleep forever.
const MAX_BACKOFF_MS = 24 * 3600 * 1000;

/** base * factor^(attempt-1): 5 s, 10 s, 20 s, … with the defaults, capped at a day. */
export function backoffMs(ctx: Pick<AppContext, "settings">, attempt: number): number {
  const base = ctx.settings.get("RETRY_BASE_DELAY_SECONDS") * 1000;
  const factor = ctx.settings.get("RETRY_BACKOFF_FACTOR");
  return Math.min(MAX_BACKOFF_MS, Math.round(base * factor ** Math.max(0, attempt - 1)));
}
