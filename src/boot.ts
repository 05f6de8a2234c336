import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import type { AppContext } from "./context";
import { openDatabase, type ReplicaOptions } from "./db/client";
import { migrate } from "./db/migrate";
import type { Env } from "./env";
import { randomToken } from "./lib/crypto";
import { systemClock } from "./lib/time";
import { JOB_HANDLERS, JOB_PUMPS } from "./modules";
import { bindEventContext } from "./modules/platform/events/service";
import { JobQueue } from "./modules/platform/jobs/queue";
import { SettingsStore } from "./modules/platform/settings/store";
import { warnDemoPayments } from "./providers/demo";

/** JWT_SECRET from the environment, else one generated on first start and kept in DATA_DIR. */
export function jwtSecretFor(env: Env): string {
  if (env.JWT_SECRET) return env.JWT_SECRET;
  const file = join(env.DATA_DIR, "jwt_secret");
  if (existsSync(file)) {
    const kept = readFileSync(file, "utf8").trim();
    // An empty or short file (a crash mid-write, a bad hand edit) must not become the signing key.
    if (kept.length < 32) {
      throw new Error(
        `invalid configuration: ${file} holds no usable JWT secret (under 32 characters); delete it to generate a new one`,
      );
    }
    return kept;
  }
  mkdirSync(env.DATA_DIR, { recursive: true, mode: 0o700 });
  const secret = randomToken(48);
  try {
    // "wx": two processes starting on a fresh DATA_DIR must agree on one secret, so the loser reads the winner's.
    writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return jwtSecretFor(env);
    throw e;
  }
  chmodSync(file, 0o600);
  return secret;
}

export function databaseUrl(env: Env): string {
  return env.DATABASE_URL ?? `file:${join(env.DATA_DIR, "souk.db")}`;
}

/** With a libSQL DATABASE_URL: the embedded replica's file in DATA_DIR and how it syncs. */
export function replicaOptions(env: Env): ReplicaOptions {
  return {
    path: join(env.DATA_DIR, "replica.db"),
    authToken: env.LIBSQL_AUTH_TOKEN ?? env.DATABASE_AUTH_TOKEN,
    syncPeriodMs: env.LIBSQL_SYNC_INTERVAL_MS,
    readOnly: Boolean(env.PRIMARY_URL),
  };
}

/** Opens and migrates the database and wires the context. Nothing is started (no worker, no cron). */
export function createContext(
  env: Env,
  opts: Partial<Pick<AppContext, "clock" | "fetch" | "jwtSecret" | "lookupHost">> = {},
): AppContext {
  const logger = pino({ level: env.LOG_LEVEL, base: undefined });
  warnDemoPayments(env, logger);
  const { db, sqlite, replica } = openDatabase(databaseUrl(env), replicaOptions(env));
  // Edge nodes never write: the primary node migrates, its replicas receive the schema by sync.
  if (!env.PRIMARY_URL) migrate(sqlite);
  const jobs = new JobQueue(logger);
  for (const [type, handler] of Object.entries(JOB_HANDLERS)) jobs.register(type, handler);
  for (const pump of JOB_PUMPS) jobs.addPump(pump);
  const ctx: AppContext = {
    env,
    db,
    sqlite,
    clock: opts.clock ?? systemClock,
    logger,
    settings: new SettingsStore(db),
    jobs,
    jwtSecret: opts.jwtSecret ?? jwtSecretFor(env),
    fetch: opts.fetch ?? fetch,
    lookupHost: opts.lookupHost,
    replica,
  };
  bindEventContext(ctx);
  return ctx;
}
