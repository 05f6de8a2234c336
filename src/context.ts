import type { Database } from "bun:sqlite";
import type { Logger } from "pino";
import type { Db } from "./db/client";
import type { ReplicaInfo } from "./db/libsql/connection";
import type { Env } from "./env";
import type { Clock } from "./lib/time";
import type { JobQueue } from "./modules/platform/jobs/queue";
import type { SettingsStore } from "./modules/platform/settings/store";

/** Everything a service verb may touch. Tests build their own with a :memory: db and a manual clock. */
export type AppContext = {
  env: Env;
  db: Db;
  sqlite: Database;
  clock: Clock;
  logger: Logger;
  settings: SettingsStore;
  jobs: JobQueue;
  jwtSecret: string;
  /** Outgoing HTTP (providers); injectable so tests can observe or fail calls. */
  fetch: typeof fetch;
  /** The addresses of a host name, for the webhooks' SSRF guard; DNS unless a test answers instead. */
  lookupHost?: (host: string) => Promise<string[]>;
  /** With a libSQL DATABASE_URL: the embedded replica's sync controls. */
  replica?: ReplicaInfo;
};
