import type { Database } from "bun:sqlite";
import type { AppContext } from "../../../context";
import { featureFlags, type Role } from "../../../db/schema";
import { isoOrNull } from "../../../lib/time";
import { evaluateFlag, type FlagReason, type FlagUser } from "./evaluate";
import type { FlagView } from "./schemas";

/**
 * Flags the code itself reads, and their value while no row exists for them. An operator sees
 * them in the admin list and overrides one by saving it.
 */
export const FLAG_DEFAULTS: Record<string, boolean> = {
  rules_engine: true,
};

/** What each built-in flag switches, for the admin list. */
export const FLAG_DESCRIPTIONS: Record<string, string> = {
  rules_engine: "Run the automation rules after each platform event",
};

export type FlagRow = typeof featureFlags.$inferSelect;

type CachedFlag = FlagRow & { userSet: ReadonlySet<number> };
type FlagCache = { rows: Map<string, CachedFlag>; loadedAt: number };

// One cache per database: contexts sharing a database share it, and a test's :memory: db gets its own.
const caches = new WeakMap<Database, FlagCache>();

/**
 * Another process writing the same database (a replica node, the CLI) cannot clear this one's
 * cache: so it is reloaded this often too. Writes through this process clear it at once.
 */
export const FLAG_CACHE_TTL_MS = 5_000;

function flagRows(ctx: AppContext): Map<string, CachedFlag> {
  const now = ctx.clock.now();
  const cached = caches.get(ctx.sqlite);
  if (cached && now - cached.loadedAt < FLAG_CACHE_TTL_MS && now >= cached.loadedAt) {
    return cached.rows;
  }
  const rows = new Map<string, CachedFlag>();
  for (const row of ctx.db.select().from(featureFlags).all()) {
    rows.set(row.key, { ...row, userSet: new Set(row.userIds) });
  }
  caches.set(ctx.sqlite, { rows, loadedAt: now });
  return rows;
}

/** Drops the cached flags of this database: the next read loads them again. */
export function invalidateFlagCache(ctx: AppContext) {
  caches.delete(ctx.sqlite);
}

/** A saved flag, or null (a built-in flag with no row is not saved). */
export function findFlag(ctx: AppContext, key: string): FlagRow | null {
  return flagRows(ctx).get(key) ?? null;
}

/** Every flag key a caller can be answered for: the saved ones and the built-in ones, sorted. */
export function flagKeys(ctx: AppContext): string[] {
  const keys = new Set([...flagRows(ctx).keys(), ...Object.keys(FLAG_DEFAULTS)]);
  return [...keys].sort();
}

/**
 * A flag's value and why, or null when souk knows no flag by that key. A built-in flag with no row
 * answers its code default.
 */
export function resolveFlag(
  ctx: AppContext,
  key: string,
  user: FlagUser | null,
): { value: boolean; reason: FlagReason } | null {
  const row = flagRows(ctx).get(key);
  if (row) return evaluateFlag(row, user);
  const builtIn = FLAG_DEFAULTS[key];
  return builtIn === undefined ? null : { value: builtIn, reason: "STATIC" };
}

/**
 * Is the flag on for this caller? Cheap (an in-memory map lookup and one hash), so hot paths may
 * call it. A flag with no row answers its code default, or false when the code has none.
 */
export function isEnabled(ctx: AppContext, key: string, user: { id: number; role: Role } | null): boolean {
  const row = flagRows(ctx).get(key);
  if (!row) return FLAG_DEFAULTS[key] ?? false;
  return evaluateFlag(row, user).value;
}

/** Every flag's value for one caller (anonymous: null). */
export function callerFlags(ctx: AppContext, user: FlagUser | null): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const key of flagKeys(ctx)) out[key] = resolveFlag(ctx, key, user)!.value;
  return out;
}

/** The admin view of a flag: its row, or a built-in flag's default; null when neither exists. */
export function flagView(ctx: AppContext, key: string): FlagView | null {
  const row = flagRows(ctx).get(key);
  return row ? viewOf(row) : builtInView(key);
}

/** A built-in flag as listed while no row overrides it; null for any other key. */
export function builtInView(key: string): FlagView | null {
  const builtIn = FLAG_DEFAULTS[key];
  if (builtIn === undefined) return null;
  return {
    key,
    description: FLAG_DESCRIPTIONS[key] ?? "",
    enabled: builtIn,
    rollout_percent: 100,
    roles: [],
    user_ids: [],
    built_in: true,
    default: builtIn,
    saved: false,
    created_at: null,
    updated_at: null,
    updated_by: null,
  };
}

export function viewOf(row: FlagRow, builtIn = FLAG_DEFAULTS[row.key]): FlagView {
  return {
    key: row.key,
    description: row.description,
    enabled: row.enabled,
    rollout_percent: row.rolloutPercent,
    roles: row.roles,
    user_ids: row.userIds,
    built_in: builtIn !== undefined,
    default: builtIn ?? null,
    saved: true,
    created_at: isoOrNull(row.createdAt),
    updated_at: isoOrNull(row.updatedAt),
    updated_by: row.updatedBy,
  };
}

/** Every flag for the admin list, by key. */
export function listFlagViews(ctx: AppContext): FlagView[] {
  return flagKeys(ctx).map((key) => flagView(ctx, key)!);
}
