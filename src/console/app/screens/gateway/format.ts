/** The gateway's own figures: USDT from micro-units, commissions in basis points. */

const usdtFormat = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 6 });

/** USDT micro-units (6 decimals). */
export const usdt = (micro: number) => `${usdtFormat.format(micro / 1_000_000)} USDT`;

/** Basis points as a percentage: 300 → 3%. */
export const bps = (n: number) => `${(n / 100).toLocaleString("en", { maximumFractionDigits: 2 })}%`;
