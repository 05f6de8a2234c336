import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import { getTableColumns, type Table } from "drizzle-orm";
import type { Queryable } from "./client";

/**
 * The bun:sqlite connection under a Drizzle database or transaction. A transaction runs on its
 * database's one connection, so a statement prepared on it runs inside the caller's transaction.
 */
export function sqliteOf(q: Queryable): Database {
  const client = (q as unknown as { session?: { client?: Database } }).session?.client;
  if (!client || typeof client.prepare !== "function") {
    throw new Error("prepared statements need a bun:sqlite connection under the Drizzle handle");
  }
  return client;
}

/** Typed `db.prepare` for the builders passed to `preparedPer`. */
export const prepare = <R = unknown, P extends SQLQueryBindings[] = never[]>(db: Database, sql: string) =>
  db.prepare(sql) as unknown as Statement<R, P>;

/** `build(key)` once per key object, kept as long as the key lives (a connection, a Drizzle db). */
export function onePer<K extends object, S>(build: (key: K) => S): (key: K) => S {
  const cache = new WeakMap<K, S>();
  return (key) => {
    let s = cache.get(key);
    if (s === undefined) {
      s = build(key);
      cache.set(key, s);
    }
    return s;
  };
}

/**
 * Hot-path statements (DESIGN.md §1): `build` runs once per connection, its result is cached on
 * the bun:sqlite handle (tests open many :memory: databases; each gets its own statements).
 */
export function preparedPer<S>(build: (db: Database) => S): (q: Queryable) => S {
  const cached = onePer(build);
  return (q) => cached(sqliteOf(q));
}

/** Column types whose driver value is what Drizzle returns (no JSON, boolean or timestamp decoding). */
const PLAIN = new Set(["SQLiteInteger", "SQLiteText"]);

/**
 * `col AS key, …` for every column of `table`, so a raw row has the shape of `$inferSelect`.
 * Throws for a column Drizzle would decode (json, boolean, timestamp, bigint): such a table needs
 * its own mapping.
 */
export function selectList(table: Table): string {
  return Object.entries(getTableColumns(table))
    .map(([key, col]) => {
      if (!PLAIN.has(col.columnType)) {
        throw new Error(`selectList: column ${col.name} (${col.columnType}) needs decoding`);
      }
      return col.name === key ? `"${key}"` : `"${col.name}" AS "${key}"`;
    })
    .join(", ");
}

type Codec<T extends Table> = {
  /** `col AS key, …` of every column: a raw row has the keys of `$inferSelect`. */
  select: string;
  /** A raw row (from `select`, or `RETURNING <select>`) as Drizzle would return it. */
  decode(raw: Record<string, unknown>): T["$inferSelect"];
  /** `SET` of the given keys for a prepared UPDATE, and their values in the driver's form. */
  assignments(keys: string[]): string;
  encode(key: string, value: unknown): SQLQueryBindings;
};

/**
 * Raw-statement access to a table whose columns Drizzle decodes (json, boolean): the select list,
 * decoding of raw rows and encoding of values through the columns' own mappers, so a prepared
 * hot-path statement returns exactly what a Drizzle query would.
 */
export function tableCodec<T extends Table>(table: T): Codec<T> {
  const cols = Object.entries(getTableColumns(table));
  const byKey = new Map(cols);
  const decoded = cols.filter(([, c]) => !PLAIN.has(c.columnType));
  return {
    select: cols.map(([k, c]) => (c.name === k ? `"${k}"` : `"${c.name}" AS "${k}"`)).join(", "),
    decode(raw) {
      for (const [k, c] of decoded) if (raw[k] != null) raw[k] = c.mapFromDriverValue(raw[k]);
      return raw as T["$inferSelect"];
    },
    assignments: (keys) => keys.map((k) => `"${byKey.get(k)!.name}" = ?`).join(", "),
    encode(key, value) {
      if (value == null) return null;
      return byKey.get(key)!.mapToDriverValue(value) as SQLQueryBindings;
    },
  };
}
