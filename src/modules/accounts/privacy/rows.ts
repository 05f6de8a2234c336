import type { Database, SQLQueryBindings } from "bun:sqlite";
import { getTableColumns, getTableName, type Table } from "drizzle-orm";
import { iso } from "../../../lib/time";

/** Rows read per query: a large history is read page by page, never all at once. */
export const PAGE_SIZE = 500;

export type Row = Record<string, unknown>;

/** How a table's raw rows become export JSON: some columns left out, the rest decoded. */
export type TableView = {
  name: string;
  /** `"col", …` of the columns kept. */
  select: string;
  decode(raw: Row): Row;
};

// Timestamps are stored as epoch milliseconds; the API speaks ISO-8601.
const isTime = (column: string) => column.endsWith("_at") || column === "deadline";

/**
 * A view of `table` by its Drizzle columns: booleans and JSON decoded as Drizzle would, times as
 * ISO strings, snake_case names as in the database. `omit` drops columns (secrets, internals);
 * `pick` keeps only the named ones.
 */
export function viewOf(table: Table, o: { omit?: string[]; pick?: string[] } = {}): TableView {
  const cols = Object.values(getTableColumns(table)).filter(
    (c) => !o.omit?.includes(c.name) && (!o.pick || o.pick.includes(c.name)),
  );
  return {
    name: getTableName(table),
    select: cols.map((c) => `"${c.name}"`).join(", "),
    decode(raw) {
      const out: Row = {};
      for (const c of cols) {
        const v = raw[c.name];
        if (v == null) out[c.name] = null;
        else if (c.columnType === "SQLiteBoolean") out[c.name] = v === 1 || v === true;
        else if (c.columnType === "SQLiteTextJson") out[c.name] = JSON.parse(String(v));
        else if (typeof v === "number" && isTime(c.name)) out[c.name] = iso(v);
        else out[c.name] = v;
      }
      return out;
    },
  };
}

export type Scanned = Row & { __k: number; __s: (string | number)[] };

/**
 * The rows of `view` matching `where`, fetched PAGE_SIZE at a time with a keyset on `order` (the
 * columns an index returns after its equality prefix, such as `created_at` of `(user_id,
 * created_at)`) then rowid, so each page is a range of that index, not a sort of every match.
 * Without `order` the key is the rowid alone: a filter with no index then walks the table once
 * in all, not once per page. Each page is a finished statement: nothing stays open while the
 * consumer awaits between rows.
 */
export function* scan(
  db: Database,
  view: TableView,
  where: string,
  params: SQLQueryBindings[],
  order: string[] = [],
): Generator<Scanned> {
  const keyCols = [...order.map((c) => `"${c}"`), "rowid"];
  const keys = keyCols.map((c, i) => `${c} AS "__s${i}"`).join(", ");
  const base = `SELECT rowid AS "__k", ${keys}, ${view.select} FROM "${view.name}" WHERE (${where})`;
  const tail = ` ORDER BY ${keyCols.join(", ")} LIMIT ${PAGE_SIZE}`;
  const first = base + tail;
  const next = `${base} AND (${keyCols.join(", ")}) > (${keyCols.map(() => "?").join(", ")})${tail}`;
  let after: SQLQueryBindings[] | null = null;
  for (;;) {
    const rows: Row[] = db
      .query<Row, SQLQueryBindings[]>(after ? next : first)
      .all(...params, ...(after ?? []));
    for (const r of rows) {
      const s = keyCols.map((_, i) => r[`__s${i}`] as string | number);
      yield Object.assign(view.decode(r), { __k: r.__k as number, __s: s });
    }
    if (rows.length < PAGE_SIZE) return;
    const last: Row = rows[rows.length - 1]!;
    after = keyCols.map((_, i) => last[`__s${i}`] as SQLQueryBindings);
  }
}

function compareKeys(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
}

/**
 * Scans of one table in the same key order merged into one, each read through its own index
 * (a transfer's debit and credit side; an index's status prefix one status at a time). A row
 * found by two scans comes once.
 */
export function* merge(...sources: Generator<Scanned>[]): Generator<Scanned> {
  const heads = sources.map((g) => g.next());
  for (;;) {
    let min = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (h.done) continue;
      if (min === -1 || compareKeys(h.value.__s, (heads[min]!.value as Scanned).__s) < 0) min = i;
    }
    if (min === -1) return;
    const row = heads[min]!.value as Scanned;
    yield row;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (!h.done && compareKeys(h.value.__s, row.__s) === 0) heads[i] = sources[i]!.next();
    }
  }
}

/** The row without its scan keys. */
export function plain(r: Row): Row {
  const { __k: _, __s: __, ...rest } = r;
  return rest;
}
