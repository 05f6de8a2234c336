/** Display helpers shared by the minutes and platform screens. */

/** A list page of the API: `{ count, next, previous, results }`. */
export type ListPage<T> = { count: number; next: string | null; previous: string | null; results: T[] };

/** Minor units (kopecks, cents) in the currency's own notation; unknown codes (USDT) as plain figures. */
export function money(minor: number, currency: string): string {
  try {
    const f = new Intl.NumberFormat("en", { style: "currency", currency });
    const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
    return f.format(minor / 10 ** digits);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

/** Seconds as minutes, with the odd seconds when there are any. */
export function minutes(seconds: number): string {
  const m = Math.trunc(seconds / 60);
  const s = Math.abs(seconds % 60);
  return s ? `${m} min ${s} s` : `${m} min`;
}

/** An ISO instant as `2026-12-02 13:22` (UTC, as the API keeps it). */
export const when = (iso: string | null | undefined) =>
  iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : "";

/** A `datetime-local` value (read as UTC) to the ISO instant the API takes, or undefined when empty. */
export const isoFromLocal = (v: string) => (v ? `${v.length === 16 ? `${v}:00` : v}.000Z` : undefined);

/** A whole number typed in a field: the number, or the text as typed so the API can say what is wrong. */
export function numberOrText(v: string): number | string | undefined {
  const t = v.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}
