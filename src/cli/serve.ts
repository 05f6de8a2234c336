import { createApp } from "../app";
import { startCheckpointer } from "../db/checkpointer";
import { holdDataDirForServe } from "../db/data-lock";
import { serverBodyCeiling } from "../http/body-limit";
import { SCHEDULES } from "../modules";
import { needsBootstrap } from "../modules/accounts/service";
import { flushSentry, warmSentry } from "../modules/platform/critical-errors/sentry";
import { Scheduler } from "../modules/platform/jobs/cron";
import { closeAllStreams } from "../modules/platform/notifications/hub";
import { useSender } from "../modules/platform/webhooks/send";
import { startSendThread } from "../modules/platform/webhooks/send-thread";
import { listenUrl, serveBanner } from "./banner";
import { cliEnv, defineCommand } from "./command";
import { databaseLabel, openContext } from "./context";

export const serve = defineCommand({
  name: "serve",
  usage: "",
  description: [
    "Migrates the database, then serves the API on HOST:PORT (default 0.0.0.0:3000) with the",
    "interactive reference at /docs, the cron schedules and the job worker (CRON_ENABLED).",
    "SIGTERM or SIGINT stops it gracefully: requests in flight and the running job finish.",
    "Settings come from environment variables (PORT, HOST, DATA_DIR, …): see the README.",
  ].join("\n"),
  options: {},
  async run(_v, entry) {
    const t0 = performance.now();
    const e = cliEnv();
    const ctx = openContext(e);
    // Claims DATA_DIR so `souk restore` refuses while this server runs (refused during a restore).
    const dataLock = holdDataDirForServe(e.DATA_DIR, ctx.logger);
    const app = createApp(ctx);
    const server = Bun.serve({
      port: e.PORT,
      hostname: e.HOST,
      fetch: app.fetch,
      maxRequestBodySize: serverBodyCeiling(e),
    });
    // After listen, so the worker thread's start-up is not in the cold start.
    // Litestream copies WAL frames before they are checkpointed and holds a read lock to keep them:
    // a second checkpointer (ours) would race it, so with LITESTREAM it owns checkpoints alone.
    // On libSQL the server (sqld) owns the WAL: the local file is a replica.
    const checkpointer =
      e.LITESTREAM || ctx.replica
        ? null
        : startCheckpointer(ctx.sqlite, ctx.logger, { workerUrl: entry.workerUrl });
    const scheduler = new Scheduler(SCHEDULES);
    // Webhook deliveries' HTTP requests run on their own thread (the job worker sends them).
    // An edge node serves reads only: schedules and jobs run on the primary node.
    const background = e.CRON_ENABLED && !e.PRIMARY_URL;
    const sender = background ? startSendThread(entry.webhookWorkerUrl, ctx.logger) : null;
    useSender(ctx, sender?.send ?? null);
    // With SENTRY_DSN, the SDK loads now rather than with the first critical error.
    warmSentry(e, ctx.logger);
    if (background) {
      ctx.jobs.start(ctx);
      scheduler.start(ctx);
    }
    ctx.logger.info(
      { port: server.port, host: e.HOST, boot_ms: Math.round(performance.now() - t0) },
      "souk listening",
    );
    if (e.LOG_LEVEL !== "silent") {
      const banner = serveBanner({
        url: listenUrl(e.HOST, server.port as number),
        host: e.HOST,
        database: databaseLabel(e),
        needsBootstrap: needsBootstrap(ctx),
        invocation: entry.invocation,
      });
      console.log(banner);
    }

    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      ctx.logger.info({ signal }, "shutting down");
      scheduler.stop();
      // Open notification streams never finish on their own: end them (and any opened while the
      // server drains), or stop() waits forever.
      closeAllStreams({ refuseNew: true });
      await server.stop(); // stop accepting; in-flight requests finish
      await ctx.jobs.stop(); // the running job finishes
      sender?.stop();
      checkpointer?.stop();
      if (!e.LITESTREAM && !ctx.replica) ctx.sqlite.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      ctx.sqlite.close();
      dataLock.release();
      await flushSentry(2000); // reports still in flight
      process.exit(0);
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
    return "running";
  },
});
