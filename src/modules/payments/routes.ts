import { createRoute } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { principalOf } from "../../http/auth";
import { clientIpOf } from "../../http/client-ip";
import type { AppEnv } from "../../http/types";
import { forbidden } from "../../lib/errors";
import { createRouter, errors, IdParam, json, jsonBody, secured, z } from "../../lib/openapi";
import { page, pageSchema } from "../../lib/pagination";
import { startCheckout } from "./checkout";
import { refundPurchase } from "./refunds";
import {
  PurchaseBody,
  PurchaseListQuery,
  PurchaseSchema,
  RefundBody,
  RefundResult,
  TopupBody,
  WebhookResult,
  YooKassaNotification,
} from "./schemas";
import {
  getOwnPurchase,
  listOwnPurchases,
  openPackagePurchase,
  openTopup,
  serializePurchase,
} from "./service";
import { handleStripeWebhook, handleYookassaNotification, ipAllowed } from "./webhooks";

export const REFUND_PERMISSION = "purchases:refund";

/** 403 unless the `yookassa_ip_allowlist` setting is empty or lists the client IP. */
const yookassaSource = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const allowlist = c.get("ctx").settings.get("yookassa_ip_allowlist");
    if (allowlist.length && !ipAllowed(allowlist, clientIpOf(c))) {
      c.get("ctx").logger.warn({ ip: clientIpOf(c) }, "yookassa notification from an address not allowed");
      throw forbidden("this address may not send YooKassa notifications");
    }
    await next();
  });

/** Purchases, wallet top-ups and provider webhooks. */
export const paymentRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/purchases",
      tags: ["purchases"],
      summary: "Buy a minute package with stripe, yookassa or the wallet",
      description:
        "Requires permission `purchases:write`. Stripe and YooKassa answer `pending` with a `confirmation_url` to send the user to; the webhook completes the purchase. The wallet (and a 100% promo) pays at once.",
      security: [{ bearerAuth: [] }],
      middleware: secured("purchases:write").middleware,
      request: jsonBody(PurchaseBody),
      responses: { 201: json(PurchaseSchema, "Created"), ...errors(401, 402, 403, 404, 409, 502) },
    }),
    async (c) => {
      const ctx = c.get("ctx");
      const b = c.req.valid("json");
      const { purchase, title } = openPackagePurchase(ctx, principalOf(c).user.id, {
        packageId: b.package_id,
        provider: b.provider,
        promoCode: b.promo_code,
      });
      const final = purchase.status === "pending" ? await startCheckout(ctx, purchase, title) : purchase;
      return c.json(serializePurchase(final), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/purchases",
      tags: ["purchases"],
      summary: "The caller's purchases and top-ups, newest first",
      ...secured("purchases:read"),
      request: { query: PurchaseListQuery },
      responses: { 200: json(pageSchema(PurchaseSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, rows } = listOwnPurchases(c.get("ctx"), principalOf(c).user.id, q);
      return c.json(page(c.req.url, q, total, rows.map(serializePurchase)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/purchases/{id}",
      tags: ["purchases"],
      summary: "One of the caller's purchases (anyone else's is 404)",
      ...secured("purchases:read"),
      request: { params: IdParam },
      responses: { 200: json(PurchaseSchema), ...errors(401, 403, 404) },
    }),
    (c) =>
      c.json(
        serializePurchase(getOwnPurchase(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id)),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/wallet/topups",
      tags: ["wallet"],
      summary: "Top up the wallet through stripe or yookassa",
      description:
        "Requires permission `wallet:write`. Answers like a purchase (kind `topup`); the provider's confirmed payment credits the wallet.",
      security: [{ bearerAuth: [] }],
      middleware: secured("wallet:write").middleware,
      request: jsonBody(TopupBody),
      responses: { 201: json(PurchaseSchema, "Created"), ...errors(401, 403, 409, 502) },
    }),
    async (c) => {
      const ctx = c.get("ctx");
      const b = c.req.valid("json");
      const topup = openTopup(ctx, principalOf(c).user.id, b);
      return c.json(serializePurchase(await startCheckout(ctx, topup, "Wallet top-up")), 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/payments/webhooks/stripe",
      tags: ["webhooks"],
      summary: "Stripe events (Stripe-Signature over the raw body, 300 s tolerance)",
      description:
        "`checkout.session.completed` (paid, matching amount and currency) succeeds the purchase once, however often it is delivered; `checkout.session.expired` fails it; other events are acknowledged and ignored.",
      // The body is deliberately not declared: a validator would parse it before the signature
      // over the raw bytes is checked.
      request: { headers: z.object({ "stripe-signature": z.string().optional() }) },
      responses: { 200: json(WebhookResult), ...errors() },
    }),
    async (c) => {
      // The raw bytes are what was signed: read them, never a re-serialized object.
      const raw = await c.req.text();
      return c.json(await handleStripeWebhook(c.get("ctx"), raw, c.req.header("stripe-signature")), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/payments/webhooks/yookassa",
      tags: ["webhooks"],
      summary: "YooKassa notifications (re-fetched from the API before anything is credited)",
      description:
        "The body is never trusted: souk reads GET /v3/payments/{object.id} and acts on that. 403 when `yookassa_ip_allowlist` is set and the source is not in it; 502 when the YooKassa API cannot be reached (YooKassa retries).",
      middleware: [yookassaSource()],
      request: jsonBody(YooKassaNotification),
      responses: { 200: json(WebhookResult), ...errors(403, 404, 502) },
    }),
    async (c) => c.json(await handleYookassaNotification(c.get("ctx"), c.req.valid("json").object.id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/purchases/{id}/refund",
      tags: ["admin"],
      summary: "Refund a package purchase to the user's wallet, in full or pro-rated to the unspent seconds",
      ...secured(REFUND_PERMISSION),
      request: { params: IdParam, ...jsonBody(RefundBody) },
      responses: { 200: json(RefundResult), ...errors(401, 402, 403, 404, 409) },
    }),
    (c) => {
      const b = c.req.valid("json");
      const { purchase, refund } = refundPurchase(c.get("ctx"), c.req.valid("param").id, {
        reason: b.reason,
        prorate: b.prorate,
        actorId: principalOf(c).user.id,
        ip: clientIpOf(c),
        requestId: c.get("requestId"),
      });
      return c.json({ ...serializePurchase(purchase), refund }, 200);
    },
  );
