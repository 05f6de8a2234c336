import type { Database } from "bun:sqlite";
import type { AppContext } from "../../context";
import { onePer } from "../../db/prepared";
import { HOUR, MINUTE } from "../../lib/time";

/** How long each analytics figure is served from memory before it is computed again. */
export const TTL_MS = {
  platform: 5 * MINUTE,
  growth: HOUR,
  sessions: 10 * MINUTE,
  courses: 10 * MINUTE,
  revenue: 10 * MINUTE,
  engagement: 5 * MINUTE,
} as const;
export type Figure = keyof typeof TTL_MS;

type Entry = { value: unknown; expiresAt: number; json?: string };

/** Per figure: engagement keeps one entry per user, so the map is bounded (oldest entry goes first). */
export const MAX_ENTRIES_PER_FIGURE = 10_000;

/** Computed analytics answers by figure and key (the query that produced them). */
export class FigureCache {
  private readonly figures = new Map<Figure, Map<string, Entry>>();

  get(figure: Figure, key: string, now: number): Entry | undefined {
    const entries = this.figures.get(figure);
    const e = entries?.get(key);
    if (!e) return undefined;
    if (e.expiresAt > now) return e;
    entries!.delete(key);
    return undefined;
  }

  set(figure: Figure, key: string, value: unknown, now: number): Entry {
    let entries = this.figures.get(figure);
    if (!entries) {
      entries = new Map();
      this.figures.set(figure, entries);
    }
    entries.delete(key);
    if (entries.size >= MAX_ENTRIES_PER_FIGURE) entries.delete(entries.keys().next().value!);
    const e: Entry = { value, expiresAt: now + TTL_MS[figure] };
    entries.set(key, e);
    return e;
  }

  /** Forgets one key of a figure, or every key of it. */
  drop(figure: Figure, key?: string) {
    if (key === undefined) this.figures.delete(figure);
    else this.figures.get(figure)?.delete(key);
  }

  size(figure: Figure) {
    return this.figures.get(figure)?.size ?? 0;
  }
}

/** One cache per database connection: tests open many apps, each with its own figures. */
export const cacheOf = onePer((_sqlite: Database) => new FigureCache());

export type Cached<T> = { value: T; hit: boolean; entry: Entry };

/**
 * The cached answer for `key`, or `compute()` stored under it. Compute and store run with no
 * await in between, and invalidation runs inside the synchronous write transactions, so an answer
 * computed before a change can never be stored after that change has cleared it.
 */
export function cached<T>(ctx: AppContext, figure: Figure, key: string, compute: () => T): Cached<T> {
  const cache = cacheOf(ctx.sqlite);
  const now = ctx.clock.now();
  const found = cache.get(figure, key, now);
  if (found) return { value: found.value as T, hit: true, entry: found };
  const value = compute();
  return { value, hit: false, entry: cache.set(figure, key, value, now) };
}

/** The entry's JSON, serialised once: a hit answers without walking the figures again. */
export function jsonOf(entry: Entry): string {
  entry.json ??= JSON.stringify(entry.value);
  return entry.json;
}
