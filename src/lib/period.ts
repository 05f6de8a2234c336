import { gte, lte, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { DAY } from "./time";

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** The first and last millisecond a `from`/`to` period covers; a bare `to` date covers that whole UTC day. */
export function periodOf(q: { from?: string; to?: string }): { from: number | null; to: number | null } {
  const from = q.from === undefined ? null : Date.parse(q.from);
  const to = q.to === undefined ? null : Date.parse(q.to) + (DATE_ONLY.test(q.to) ? DAY - 1 : 0);
  return { from, to };
}

/** The period as conditions on a time column (ms), for a list's filters. */
export function periodConditions(col: SQLiteColumn, q: { from?: string; to?: string }): SQL[] {
  const { from, to } = periodOf(q);
  return [...(from === null ? [] : [gte(col, from)]), ...(to === null ? [] : [lte(col, to)])];
}
