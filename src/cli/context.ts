import { createContext, databaseUrl, replicaOptions } from "../boot";
import type { AppContext } from "../context";
import { isLibsqlUrl, openDatabase, sqlitePath } from "../db/client";
import { migrate } from "../db/migrate";
import type { Env } from "../env";

/** The database file as the user configured it, for messages. */
export const databaseLabel = (env: Env) =>
  isLibsqlUrl(databaseUrl(env))
    ? `${databaseUrl(env)} (replica ${sqlitePath(databaseUrl(env), replicaOptions(env))})`
    : sqlitePath(databaseUrl(env));

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
