import { createRoute } from "@hono/zod-openapi";
import { createRouter, errors, json, z } from "../../lib/openapi";
import { DEMO_CHECKOUT_ID, DEMO_SIGNATURE_HEADER } from "../../providers/demo";
import { completeDemoCheckout, demoCheckout, handleDemoWebhook } from "./demo";
import { payPage, resultPage } from "./demo-page";
import { PurchaseSchema, WebhookResult } from "./schemas";
import { serializePurchase } from "./service";

const tags = ["demo payments"];
const OFF = "Only where DEMO_PAYMENTS=true (404 otherwise); never in production.";

const CheckoutParam = z.object({
  checkout_id: z
    .string()
    .regex(DEMO_CHECKOUT_ID, "a demo checkout id")
    .openapi({
      param: { name: "checkout_id", in: "path" },
      example: "demo_0123456789abcdef0123456789abcdef",
    }),
});

const ActionBody = z
  .strictObject({ action: z.enum(["pay", "decline"]).default("pay") })
  .openapi("DemoPayAction");

const html = (description: string) => ({ description, content: { "text/html": { schema: z.string() } } });

/** The demo provider: its pay page (served by souk) and its signed webhook. */
export const demoPaymentRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/payments/demo/{checkout_id}",
      tags,
      summary: "The demo pay page (the confirmation_url of a demo purchase)",
      description: `A page with "Pay" and "Decline" buttons for a pending demo purchase. ${OFF}`,
      request: { params: CheckoutParam },
      responses: { 200: html("The pay page"), ...errors(404) },
    }),
    (c) => {
      const { purchase, title } = demoCheckout(c.get("ctx"), c.req.valid("param").checkout_id);
      return c.html(payPage(purchase, title), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/payments/demo/{checkout_id}",
      tags,
      summary: "Pay or decline a demo purchase (what the page's buttons send)",
      description: `\`action\` is \`pay\` (the default) or \`decline\`. The demo provider signs its webhook event and it is processed exactly as \`POST /payments/webhooks/demo\`: paying twice credits once. A form post answers HTML, anything else JSON. ${OFF}`,
      request: {
        params: CheckoutParam,
        body: {
          required: false,
          content: {
            "application/json": { schema: ActionBody },
            "application/x-www-form-urlencoded": { schema: ActionBody },
          },
        },
      },
      responses: {
        200: {
          description: "The outcome and the purchase after it (HTML for a form post)",
          content: {
            "application/json": {
              schema: z.object({ outcome: WebhookResult.shape.outcome, purchase: PurchaseSchema }),
            },
            "text/html": { schema: z.string() },
          },
        },
        ...errors(404),
      },
    }),
    async (c) => {
      const ctx = c.get("ctx");
      const isForm = /^application\/x-www-form-urlencoded/i.test(c.req.header("content-type") ?? "");
      const body = isForm ? c.req.valid("form") : c.req.valid("json");
      const action = body.action ?? "pay";
      const done = completeDemoCheckout(ctx, c.req.valid("param").checkout_id, action);
      if (isForm) return c.html(resultPage(done.purchase, done.title, done.outcome.outcome), 200);
      return c.json({ outcome: done.outcome.outcome, purchase: serializePurchase(done.purchase) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/payments/webhooks/demo",
      tags: ["webhooks"],
      summary: "Demo provider events (Demo-Signature over the raw body, 300 s tolerance)",
      description: `\`Demo-Signature: t=<unix seconds>,v1=hex(HMAC_SHA256(secret, t + "." + raw_body))\`, the secret being hex(HMAC_SHA256(JWT secret, "souk demo payments webhook v1")). \`payment.succeeded\` with the purchase's amount and currency succeeds it once, however often it is delivered; \`payment.declined\` fails it. ${OFF}`,
      // Not declared: a validator would parse the body before the signature over its raw bytes is checked.
      request: { headers: z.object({ [DEMO_SIGNATURE_HEADER]: z.string().optional() }) },
      responses: { 200: json(WebhookResult), ...errors(404) },
    }),
    async (c) => {
      const raw = await c.req.text();
      return c.json(handleDemoWebhook(c.get("ctx"), raw, c.req.header(DEMO_SIGNATURE_HEADER)), 200);
    },
  );
