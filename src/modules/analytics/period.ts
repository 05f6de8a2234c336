import { DAY } from "../../lib/time";

/**
 * The last `days` UTC dates, today included: [from, end) in epoch ms. A period figure counts what
 * happened from the start of its first date up to now.
 */
export type Period = { days: number; from: number; end: number };

export function periodOf(now: number, days: number): Period {
  const today = Math.floor(now / DAY) * DAY;
  const from = today - (days - 1) * DAY;
  return { days, from, end: today + DAY };
}

export const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Rows grouped by `d` (days since the period's first date) spread over every date, zeros between. */
export function dailySeries<K extends string>(
  p: Period,
  rows: { d: number; v: number }[],
  valueKey: K,
): ({ date: string } & Record<K, number>)[] {
  const values = new Array<number>(p.days).fill(0);
  for (const r of rows) if (r.d >= 0 && r.d < p.days) values[r.d]! += r.v;
  return values.map(
    (v, i) => ({ date: utcDate(p.from + i * DAY), [valueKey]: v }) as { date: string } & Record<K, number>,
  );
}

/** `part` of `whole` in percent with 2 decimals, half up (0 when there is no whole). */
export const percent = (part: number, whole: number) =>
  whole > 0 ? Math.round((part * 10_000) / whole) / 100 : 0;

/**
 * `sum / n` with 2 decimals, half up, or `empty` when there is nothing to average. Integer sums
 * divide exactly enough that a half is a half (no 1.005 -> 1.00 drift).
 */
export const mean2 = <E>(sum: number, n: number, empty: E) =>
  n > 0 ? Math.round((sum * 100) / n) / 100 : empty;

/** Days since `p.from` of a column holding epoch ms, as SQL (integer division). */
export const DAY_OF = (col: string) => `(${col} - ?1) / ${DAY}`;
