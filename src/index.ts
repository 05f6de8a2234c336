#!/usr/bin/env bun
import { parseArgs } from "node:util";
import { createApp } from "./app";
import { createContext } from "./boot";
import { startCheckpointer } from "./db/checkpointer";
import { loadEnv } from "./env";
import { SCHEDULES } from "./modules";
import { register } from "./modules/accounts/service";
import { Scheduler } from "./modules/platform/cron";

const USAGE = `usage: souk [serve|migrate|seed --demo|create-admin --email E --password P [--username U]|healthcheck]`;

function env() {
  try {
    return loadEnv();
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
}

async function serve() {
  const t0 = performance.now();
  const e = env();
  const ctx = createContext(e);
  const app = createApp(ctx);
  const server = Bun.serve({
    port: e.PORT,
    hostname: e.HOST,
    fetch: app.fetch,
    maxRequestBodySize: e.BODY_LIMIT_BYTES * 2,
  });
  // After listen, so the worker thread's start-up is not in the cold start. The URL is resolved
  // here, against the entry point: see startCheckpointer on the compiled binary.
  const checkpointer = startCheckpointer(ctx.sqlite, ctx.logger, {
    workerUrl: new URL("./db/checkpoint-worker.ts", import.meta.url).href,
  });
  const scheduler = new Scheduler(SCHEDULES);
  if (e.CRON_ENABLED) {
    ctx.jobs.start(ctx);
    scheduler.start(ctx);
  }
  ctx.logger.info(
    { port: server.port, host: e.HOST, boot_ms: Math.round(performance.now() - t0) },
    "souk listening",
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.logger.info({ signal }, "shutting down");
    scheduler.stop();
    await server.stop(); // stop accepting; in-flight requests finish
    await ctx.jobs.stop(); // the running job finishes
    checkpointer?.stop();
    ctx.sqlite.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    ctx.sqlite.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

async function main(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      demo: { type: "boolean" },
      email: { type: "string" },
      password: { type: "string" },
      username: { type: "string" },
      url: { type: "string" },
    },
  });
  const cmd = positionals[0] ?? "serve";
  switch (cmd) {
    case "serve":
      return serve();
    case "migrate": {
      const ctx = createContext(env());
      console.log("database migrated");
      ctx.sqlite.close();
      return;
    }
    case "seed": {
      if (!values.demo) throw new Error("seed needs --demo");
      // Loaded on demand: faker and the seed code cost ~100 ms of every `serve` cold start otherwise.
      const { seedDemo } = await import("./seed");
      const ctx = createContext(env());
      console.log(JSON.stringify(await seedDemo(ctx)));
      ctx.sqlite.close();
      return;
    }
    case "create-admin": {
      if (!values.email || !values.password) throw new Error(USAGE);
      const ctx = createContext(env());
      const r = await register(
        ctx,
        { email: values.email.toLowerCase(), password: values.password, username: values.username },
        "admin",
      );
      console.log(`admin created: id=${r.user.id} email=${r.user.email}`);
      ctx.sqlite.close();
      return;
    }
    case "healthcheck": {
      // For the container HEALTHCHECK: the slim image has no curl.
      const e = env();
      const res = await fetch(values.url ?? `http://127.0.0.1:${e.PORT}/healthz`).catch(() => null);
      process.exit(res?.ok ? 0 : 1);
      return;
    }
    default:
      throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
