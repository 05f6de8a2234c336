import { createRoute } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { can } from "../../../http/auth";
import type { AppEnv } from "../../../http/types";
import { ApiError, forbidden } from "../../../lib/errors";
import { createRouter, errors, json, jsonBody, secured } from "../../../lib/openapi";
import { actorOf } from "../../accounts/admin-routes";
import { GW } from "../permissions";
import { CurrencyParam, RateBody, RateSchema, RatesSchema } from "./schemas";
import { listRates, setRate } from "./service";

// Every signed-in user holds `me:read`; a merchant's integration key may hold only its gateway scope.
const READ_ANY = ["me:read", GW.merchantOrders] as const;
const readRates = createMiddleware<AppEnv>(async (c, next) => {
  const p = c.get("principal");
  if (!p) throw c.get("authError") ?? new ApiError("unauthenticated", "authentication required");
  if (!READ_ANY.some((perm) => can(p, perm))) throw forbidden(`missing permission ${READ_ANY.join(" or ")}`);
  await next();
});

/** Exchange rates of the gateway: fiat minor units per 1 USDT, fixed on each order when it is created. */
export const rateRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/gateway/rates",
      tags: ["gateway"],
      summary: "The gateway's exchange rates (fiat minor units per 1 USDT), by currency",
      security: [{ bearerAuth: [] }],
      middleware: [readRates],
      description:
        "Requires permission `me:read` (every signed-in user) or `gateway:merchant:orders` (a merchant's API key). A rate of 9550 for RUB is 95.50 RUB per USDT; an order converts `amount_crypto = floor(amount * 1000000 / rate)` micro-USDT.",
      responses: { 200: json(RatesSchema), ...errors(401, 403) },
    }),
    (c) => c.json({ results: listRates(c.get("ctx").db) }, 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/admin/gateway/rates/{currency}",
      tags: ["admin: gateway"],
      summary:
        "Set a currency's exchange rate (audited); orders already created keep the rate they were given",
      ...secured(GW.adminRates),
      request: { params: CurrencyParam, ...jsonBody(RateBody) },
      responses: { 200: json(RateSchema), ...errors(401, 403) },
    }),
    (c) =>
      c.json(setRate(c.get("ctx"), actorOf(c), c.req.valid("param").currency, c.req.valid("json").rate), 200),
  );
