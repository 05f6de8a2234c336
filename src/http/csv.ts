import { stringify } from "csv-stringify/sync";
import type { Context } from "hono";
import { z } from "../lib/openapi";

/** `?format=` of every analytics and metrics endpoint; anything else is a 400 like any bad query. */
export const FormatQuery = z.object({
  format: z
    .enum(["json", "csv"])
    .optional()
    .openapi({ description: "`csv` for a download (header row first)" }),
});

export type CsvCell = string | number | boolean | null | undefined;

/**
 * Text a spreadsheet would run as a formula (a title like `=HYPERLINK(…)`) gets a leading
 * apostrophe, as OWASP advises for CSV exports; numbers, negative ones included, stay numbers.
 */
const inert = (v: CsvCell): CsvCell => (typeof v === "string" && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

/**
 * A CSV download: a header row, then the rows, written by csv-stringify so that names with
 * commas, quotes and line breaks round-trip. Nulls become empty cells; formulas are made inert.
 */
export function csvResponse(c: Context, filename: string, header: string[], rows: CsvCell[][]): Response {
  const body = stringify([header, ...rows.map((r) => r.map((v) => (v == null ? "" : inert(v))))], {
    record_delimiter: "\r\n",
  });
  return c.body(body, 200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="${filename.replace(/[^\w.-]/g, "_")}"`,
  });
}

/**
 * A `metric,value` table for figures that are not a series: nested keys joined with dots, list
 * items numbered from 1 (`top_mentors.1.sessions`).
 */
export function metricRows(value: unknown, prefix = ""): CsvCell[][] {
  if (value === null || typeof value !== "object") return [[prefix, value as CsvCell]];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i + 1), v] as const)
    : Object.entries(value);
  return entries.flatMap(([k, v]) => metricRows(v, prefix ? `${prefix}.${k}` : k));
}

/** OpenAPI content for a route that answers JSON or, with `?format=csv`, a CSV file. */
export const jsonOrCsv = <T extends z.ZodType>(schema: T, description = "OK") => ({
  description,
  content: {
    "application/json": { schema },
    "text/csv": { schema: z.string().openapi({ description: "with `?format=csv`" }) },
  },
});
