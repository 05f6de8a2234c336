/** Figures as people read them: fiat in its currency, USDT from micro-units, times in UTC. */

const fiatFormats = new Map<string, { format: Intl.NumberFormat; digits: number }>();

/** Minor units in their currency's own decimals (kopecks, cents; none for JPY). */
export function fiat(minor: number, currency: string): string {
  let f = fiatFormats.get(currency);
  if (!f) {
    const format = new Intl.NumberFormat("en", { style: "currency", currency });
    f = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    fiatFormats.set(currency, f);
  }
  return f.format.format(minor / 10 ** f.digits);
}

const usdtFormat = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 6 });

/** USDT micro-units (6 decimals). */
export const usdt = (micro: number) => `${usdtFormat.format(micro / 1_000_000)} USDT`;

/** Basis points as a percentage: 300 → 3%. */
export const bps = (n: number) => `${(n / 100).toLocaleString("en", { maximumFractionDigits: 2 })}%`;

/** `2026-12-02 07:27` (UTC), or a dash. */
export const when = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 16).replace("T", " ")}` : "—");

/** `customer_confirmed` → `customer confirmed`. */
export const words = (s: string) => s.replaceAll("_", " ");

/** The query part of the hash (`#/gateway/orders?status=review`): deep links into a filtered list. */
export function hashQuery(): URLSearchParams {
  const i = location.hash.indexOf("?");
  return new URLSearchParams(i < 0 ? "" : location.hash.slice(i + 1));
}

/**
 * Keeps the filters in the address (to share or reload) without a navigation; never once the
 * address has moved on to another screen, which it would otherwise undo.
 */
export function replaceHashQuery(path: string, query: Record<string, string | number | undefined>) {
  if (location.hash.split("?")[0] !== `#${path}`) return;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  history.replaceState(null, "", `#${path}${s ? `?${s}` : ""}`);
}
