/** Figures and times as the console shows them, the same on every screen. */

/** An API instant as `2026-12-02 13:22` (UTC, as the API keeps it); `empty` when there is none. */
export const when = (iso: string | null | undefined, empty = "—") =>
  iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : empty;

/** The same, saying UTC, where no column header says it: `2026-12-02 13:22 UTC`. */
export const whenUtc = (iso: string | null | undefined) => (iso ? `${when(iso)} UTC` : "—");

/** A `datetime-local` value (read as UTC) to the ISO instant the API takes, or undefined when empty. */
export const isoFromLocal = (v: string) => (v ? `${v.length === 16 ? `${v}:00` : v}.000Z` : undefined);

const moneyFormats = new Map<string, { format: Intl.NumberFormat; digits: number } | null>();

/**
 * Minor units (kopecks, cents; none for JPY) in the currency's own notation; a code Intl does not
 * know (USDT) as plain figures; a dash for no amount.
 */
export function money(minor: number | null | undefined, currency: string): string {
  if (minor == null) return "—";
  let f = moneyFormats.get(currency);
  if (f === undefined) {
    try {
      const format = new Intl.NumberFormat("en", { style: "currency", currency });
      f = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    } catch {
      f = null;
    }
    moneyFormats.set(currency, f);
  }
  return f ? f.format.format(minor / 10 ** f.digits) : `${(minor / 100).toFixed(2)} ${currency}`;
}

/** Seconds as minutes, with the odd seconds when there are any. */
export function minutes(seconds: number): string {
  const m = Math.trunc(seconds / 60);
  const s = Math.abs(seconds % 60);
  return s ? `${m} min ${s} s` : `${m} min`;
}

/** `customer_confirmed` → `customer confirmed`. */
export const words = (s: string) => s.replaceAll("_", " ");
