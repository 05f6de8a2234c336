import type { Context } from "hono";
import { type CsvCell, csvResponse, metricRows } from "../../http/csv";
import type { AppEnv } from "../../http/types";
import { type Cached, jsonOf } from "./cache";

export type CsvTable = { filename: string; header: string[]; rows: CsvCell[][] };

/** Figures that are not a series, as `metric,value` rows. */
export const metricTable = (filename: string, value: object): CsvTable => ({
  filename,
  header: ["metric", "value"],
  rows: metricRows(value),
});

/** A series (or list) of flat objects as a table, one column per header key. */
export function seriesTable<T extends Record<string, CsvCell>>(
  filename: string,
  header: (keyof T & string)[],
  rows: T[],
): CsvTable {
  return { filename, header, rows: rows.map((r) => header.map((k) => r[k])) };
}

/**
 * Answers a cached figure as JSON, or as a CSV download with `?format=csv`; `X-Cache` says
 * whether it came from the cache.
 */
export function answer<T>(
  c: Context<AppEnv>,
  r: Cached<T>,
  format: "json" | "csv" | undefined,
  csv: (value: T) => CsvTable,
): Response {
  c.header("X-Cache", r.hit ? "hit" : "miss");
  if (format === "csv") {
    const t = csv(r.value);
    return csvResponse(c, t.filename, t.header, t.rows);
  }
  return c.body(jsonOf(r.entry), 200, { "content-type": "application/json" });
}
