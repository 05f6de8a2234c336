import { z } from "@hono/zod-openapi";
import { isCurrency } from "../../../lib/currency";

/** A fiat currency of the gateway: three capital letters of ISO 4217 (USDT is the ledger's own). */
export const FiatCurrency = z
  .string()
  .regex(/^[A-Z]{3}$/, "three capital letters (ISO 4217, like RUB)")
  .refine(isCurrency, "not an ISO 4217 currency code")
  .openapi({ example: "RUB", description: "ISO 4217 code in capitals" });

export const CurrencyParam = z.object({
  currency: FiatCurrency.openapi({ param: { name: "currency", in: "path" }, example: "RUB" }),
});

export const RateBody = z
  .strictObject({
    rate: z
      .number()
      .int("whole fiat minor units")
      .positive()
      .max(Number.MAX_SAFE_INTEGER)
      .openapi({ example: 9550, description: "Fiat minor units per 1 USDT (9550 = 95.50 RUB)" }),
  })
  .openapi("GatewayRateBody");

export const RateSchema = z
  .object({
    currency: z.string().openapi({ example: "RUB" }),
    rate: z.number().int().openapi({ example: 9550, description: "Fiat minor units per 1 USDT" }),
    updated_at: z.string(),
  })
  .openapi("GatewayRate");

export const RatesSchema = z.object({ results: z.array(RateSchema) }).openapi("GatewayRates");
