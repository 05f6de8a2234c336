import { createContext, databaseUrl, replicaOptions } from "../boot";
import type { AppContext } from "../context";
import { isLibsqlUrl, openDatabase, sqlitePath } from "../db/client";
import { migrate } from "../db/migrate";
import type { Env } from "../env";
import { UsageError } from "./command";

/** The database file as the user configured it, for messages. */
export const databaseLabel = (env: Env) =>
  isLibsqlUrl(databaseUrl(env))
    ? `${databaseUrl(env)} (replica ${sqlitePath(databaseUrl(env), replicaOptions(env))})`
    : sqlitePath(databaseUrl(env));

/**
 * The database file a file command (backup, restore) works on; refused with a usage error on
 * libSQL (the data lives in sqld) and on :memory: (no file).
 */
export function localDatabaseFile(env: Env, command: string, purpose: string): string {
  if (isLibsqlUrl(databaseUrl(env))) {
    throw new UsageError(
      "DATABASE_URL is a libSQL server: its data lives in sqld, back that up instead",
      command,
    );
  }
  const db = sqlitePath(databaseUrl(env));
  if (db === ":memory:")
    throw new UsageError(`DATABASE_URL is :memory:: there is no file to ${purpose}`, command);
  return db;
}

/**
 * Applies pending migrations on a connection of its own, so the tags can be reported
 * (createContext migrates silently and then finds nothing left to do).
 */
export function migrateDatabase(env: Env): string[] {
  // An edge node takes the schema from its primary (see createContext).
  if (env.PRIMARY_URL) return [];
  const { sqlite } = openDatabase(databaseUrl(env), replicaOptions(env));
  try {
    return migrate(sqlite).applied;
  } finally {
    sqlite.close();
  }
}

/** The application context for a command, after saying which migrations it applied, if any. */
export function openContext(env: Env): AppContext {
  const applied = migrateDatabase(env);
  if (applied.length) console.log(`migrated ${databaseLabel(env)}: applied ${applied.join(", ")}`);
  return createContext(env);
}
