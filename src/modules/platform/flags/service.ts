import type { Database } from "bun:sqlite";
import type { AppContext } from "../../../context";
import { featureFlags, type Role } from "../../../db/schema";
import { evaluateFlag, type FlagRule } from "./evaluate";

/**
 * Flags the code itself reads, and their value while no row exists for them. An operator sees
 * them in the admin list and overrides one by saving it.
 */
export const FLAG_DEFAULTS: Record<string, boolean> = {
  rules_engine: true,
};

export type FlagRow = typeof featureFlags.$inferSelect;

type FlagCache = { rows: Map<string, FlagRow>; loadedAt: number };

// One cache per database: contexts sharing a database share it, and a test's :memory: db gets its own.
const caches = new WeakMap<Database, FlagCache>();

/**
 * Another process writing the same database (a replica node, the CLI) cannot clear this one's
 * cache: so it is reloaded this often too. Writes through this process clear it at once.
 */
export const FLAG_CACHE_TTL_MS = 5_000;

function flagRows(ctx: AppContext): Map<string, FlagRow> {
  const now = ctx.clock.now();
  const cached = caches.get(ctx.sqlite);
  if (cached && now - cached.loadedAt < FLAG_CACHE_TTL_MS && now >= cached.loadedAt) {
    return cached.rows;
  }
  const rows = new Map<string, FlagRow>();
  for (const row of ctx.db.select().from(featureFlags).all()) rows.set(row.key, row);
  caches.set(ctx.sqlite, { rows, loadedAt: now });
  return rows;
}

/** Drops the cached flags of this database: the next read loads them again. */
export function invalidateFlagCache(ctx: AppContext) {
  caches.delete(ctx.sqlite);
}

/** A saved flag, or null (a code flag with no row is not saved). */
export function findFlag(ctx: AppContext, key: string): FlagRow | null {
  return flagRows(ctx).get(key) ?? null;
}

/** Every saved flag, by key. */
export function allFlagRows(ctx: AppContext): FlagRow[] {
  return [...flagRows(ctx).values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Is the flag on for this caller? Cheap (an in-memory map lookup and one hash), so hot paths may
 * call it. A flag with no row answers its code default, or false when the code has none.
 */
export function isEnabled(ctx: AppContext, key: string, user: { id: number; role: Role } | null): boolean {
  const row = flagRows(ctx).get(key);
  if (!row) return FLAG_DEFAULTS[key] ?? false;
  return evaluateFlag(row as FlagRule, user).value;
}
