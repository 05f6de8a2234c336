import { createContext, databaseUrl } from "../boot";
import type { AppContext } from "../context";
import { openDatabase, sqlitePath } from "../db/client";
import { migrate } from "../db/migrate";
import type { Env } from "../env";

/** The database file as the user configured it, for messages. */
export const databaseLabel = (env: Env) => sqlitePath(databaseUrl(env));

/**
 * Applies pending migrations on a connection of its own, so the tags can be reported
 * (createContext migrates silently and then finds nothing left to do).
 */
export function migrateDatabase(env: Env): string[] {
  const { sqlite } = openDatabase(databaseUrl(env));
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
