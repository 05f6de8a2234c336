import { Cron } from "croner";
import type { AppContext } from "../../../context";
import { DAY } from "../../../lib/time";

export type Schedule = {
  name: string;
  /** Cron pattern (seconds optional), evaluated in UTC. */
  pattern: string;
  description: string;
  run(ctx: AppContext): unknown;
};

/** Platform housekeeping; other modules add their own schedules to the registry in modules/index.ts. */
export const PLATFORM_SCHEDULES: Schedule[] = [
  {
    name: "wal-checkpoint",
    pattern: "*/5 * * * *",
    description: "Truncate the WAL so it cannot grow without bound under constant reads",
    run: (ctx) => {
      // Litestream holds a read lock to keep the frames it has not copied: a TRUNCATE would wait
      // out busy_timeout (5 s) on the request thread and fail. On libSQL, sqld owns the WAL.
      if (ctx.env.LITESTREAM) return { skipped: "Litestream owns checkpoints" };
      if (ctx.replica) return { skipped: "the libSQL server owns checkpoints" };
      return ctx.sqlite.query("PRAGMA wal_checkpoint(TRUNCATE)").get();
    },
  },
  {
    name: "jobs-cleanup",
    pattern: "17 * * * *",
    description:
      "Delete finished jobs (7 d), failed jobs (30 d), idempotency keys (24 h), dead refresh tokens",
    run: (ctx) => {
      const now = ctx.clock.now();
      const q = (sql: string, ...args: number[]) => ctx.sqlite.query(sql).run(...args).changes;
      return {
        jobs_done: q("DELETE FROM jobs WHERE status = 'done' AND updated_at < ?", now - 7 * DAY),
        jobs_failed: q("DELETE FROM jobs WHERE status = 'failed' AND updated_at < ?", now - 30 * DAY),
        idempotency_keys: q("DELETE FROM idempotency_keys WHERE created_at < ?", now - DAY),
        refresh_tokens: q("DELETE FROM refresh_tokens WHERE expires_at < ?", now - DAY),
      };
    },
  },
];

/** Runs the registry in-process with croner; `protect` skips a tick while the previous one still runs. */
export class Scheduler {
  private crons: Cron[] = [];
  constructor(private readonly schedules: Schedule[]) {}

  start(ctx: AppContext) {
    for (const s of this.schedules) {
      this.crons.push(
        new Cron(s.pattern, { name: s.name, protect: true, timezone: "UTC" }, async () => {
          try {
            await s.run(ctx);
          } catch (err) {
            ctx.logger.error({ err, schedule: s.name }, "schedule failed");
          }
        }),
      );
    }
  }

  stop() {
    for (const c of this.crons) c.stop();
    this.crons = [];
  }

  list() {
    return this.schedules.map((s) => ({ name: s.name, pattern: s.pattern, description: s.description }));
  }

  find(name: string) {
    return this.schedules.find((s) => s.name === name);
  }
}
