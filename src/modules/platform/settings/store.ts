import { eq } from "drizzle-orm";
import type { Db, Tx } from "../../../db/client";
import { settings } from "../../../db/schema";
import { ApiError } from "../../../lib/errors";
import { isSettingKey, SETTINGS, type SettingKey, type SettingValue } from "./registry";

/**
 * Typed settings kept in the database and cached in memory: reads are a Map lookup,
 * writes go through `write()` inside the caller's transaction and refresh the cache after commit.
 */
export class SettingsStore {
  private cache = new Map<string, unknown>();
  constructor(private readonly db: Db) {
    this.reload();
  }

  reload() {
    this.cache.clear();
    for (const row of this.db.select().from(settings).all()) {
      // A stored value the registry no longer accepts (older version, hand edit) reads as the default.
      if (isSettingKey(row.key) && SETTINGS[row.key].schema.safeParse(row.value).success)
        this.cache.set(row.key, row.value);
    }
  }

  get<K extends SettingKey>(key: K): SettingValue<K> {
    return (this.cache.has(key) ? this.cache.get(key) : SETTINGS[key].default) as SettingValue<K>;
  }

  all(): Record<SettingKey, unknown> {
    return Object.fromEntries(Object.keys(SETTINGS).map((k) => [k, this.get(k as SettingKey)])) as Record<
      SettingKey,
      unknown
    >;
  }

  /** Validates every value first, so one bad key changes nothing. */
  validate(values: Record<string, unknown>): Record<SettingKey, unknown> {
    const issues: { path: string; message: string }[] = [];
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) {
      if (!isSettingKey(k)) {
        issues.push({ path: k, message: "unknown setting" });
        continue;
      }
      const r = SETTINGS[k].schema.safeParse(v);
      if (r.success) out[k] = r.data;
      else issues.push({ path: k, message: r.error.issues[0]?.message ?? "invalid value" });
    }
    if (issues.length) throw new ApiError("validation_failed", "invalid settings", { issues });
    return out as Record<SettingKey, unknown>;
  }

  write(tx: Tx, values: Record<string, unknown>, now: number, actorId: number | null) {
    for (const [key, value] of Object.entries(values)) {
      tx.insert(settings)
        .values({ key, value, updatedAt: now, updatedBy: actorId })
        .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now, updatedBy: actorId } })
        .run();
    }
  }

  /** Test and CLI helper: set values directly (outside any request). */
  setNow(values: Partial<Record<SettingKey, unknown>>, now = Date.now()) {
    const valid = this.validate(values);
    this.db.transaction((tx) => this.write(tx, valid, now, null), { behavior: "immediate" });
    this.reload();
  }

  remove(tx: Tx, key: string) {
    tx.delete(settings).where(eq(settings.key, key)).run();
  }
}
