import { z } from "@hono/zod-openapi";

/**
 * Currencies the ledger keeps: ISO 4217 codes as the runtime's ICU data lists them
 * (`Intl.supportedValuesOf("currency")`), plus USDT, which is no ISO code but a ledger currency
 * of the payment gateway (its amounts are integer minor units like every other).
 */
export const LEDGER_ONLY_CURRENCIES = ["USDT"] as const;

const KNOWN = new Set<string>([...Intl.supportedValuesOf("currency"), ...LEDGER_ONLY_CURRENCIES]);

export const isCurrency = (code: string) => KNOWN.has(code);

/** One currency field for every request: upper case as sent (a lower-case code is refused, not guessed). */
export const Currency = z
  .string()
  .refine(isCurrency, "must be an ISO 4217 code in capitals (like RUB), or USDT")
  .openapi({ example: "RUB", description: "ISO 4217 code in capitals (or USDT)" });
