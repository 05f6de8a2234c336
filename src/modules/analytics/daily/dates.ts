import { DAY } from "../../../lib/time";

/** Calendar days as `YYYY-MM-DD` strings, always UTC: a metrics day starts and ends at UTC midnight. */

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Midnight UTC of a `YYYY-MM-DD` date, or null when the string is not a real calendar date. */
export function parseDate(s: string): number | null {
  if (!DATE_RE.test(s)) return null;
  const ms = Date.parse(`${s}T00:00:00.000Z`);
  // Date.parse rolls 2026-02-30 over to March; the round trip catches it.
  return Number.isNaN(ms) || dateOf(ms) !== s ? null : ms;
}

export const isDate = (s: string) => parseDate(s) !== null;

/** The UTC date of an instant. */
export const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** [start, end) of a date in epoch milliseconds. */
export function dayBounds(date: string): { start: number; end: number } {
  const start = parseDate(date);
  if (start === null) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  return { start, end: start + DAY };
}

export const addDays = (date: string, days: number) => dateOf(dayBounds(date).start + days * DAY);

/** Days from `from` to `to`, both counted (1 for the same date). */
export const daysBetween = (from: string, to: string) =>
  Math.round((dayBounds(to).start - dayBounds(from).start) / DAY) + 1;

/** Every date from `from` to `to`, oldest first. */
export function datesFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}
