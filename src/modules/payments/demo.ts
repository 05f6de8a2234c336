import { randomBytes } from "node:crypto";
import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import { packages, purchases } from "../../db/schema";
import { ApiError, notFound } from "../../lib/errors";
import {
  DEMO_CHECKOUT_ID,
  demoEnabled,
  demoWebhookSecret,
  InvalidDemoSignature,
  signDemoPayload,
  verifyDemoSignature,
} from "../../providers/demo";
import { failPurchase, findPurchase, type PurchaseRow, succeedPurchase } from "./service";
import { purchaseFor, result, type WebhookOutcome } from "./webhooks";

/** The demo provider's webhook event (all of it is read: it is ours). */
export const DemoEvent = z.strictObject({
  id: z.string().min(1).max(64),
  type: z.enum(["payment.succeeded", "payment.declined"]),
  checkout_id: z.string().regex(DEMO_CHECKOUT_ID),
  purchase_id: z.number().int().positive(),
  amount: z.number().int().min(0),
  currency: z.string().min(1).max(8),
  created: z.number().int(),
});
export type DemoEvent = z.infer<typeof DemoEvent>;

/**
 * The demo webhook, processed like Stripe's: signature first (400 invalid_signature when missing,
 * forged or outside 300 s either way), then the body (400), then the same crediting verbs
 * (succeedPurchase / failPurchase), so a replay credits once. 404 while DEMO_PAYMENTS is off.
 */
export function handleDemoWebhook(
  ctx: AppContext,
  rawBody: string,
  signature: string | undefined,
): WebhookOutcome {
  if (!demoEnabled(ctx)) throw notFound("demo payments webhook (DEMO_PAYMENTS is off)");
  try {
    verifyDemoSignature(ctx, rawBody, signature);
  } catch (e) {
    if (!(e instanceof InvalidDemoSignature)) throw e;
    ctx.logger.warn({ reason: e.message }, "demo webhook refused");
    throw new ApiError("invalid_signature", "invalid Demo-Signature");
  }
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new ApiError("invalid_json", "the demo event is not JSON");
  }
  const parsed = DemoEvent.safeParse(body);
  if (!parsed.success) {
    throw new ApiError("validation_failed", "the demo event does not have the expected shape", {
      issues: parsed.error.issues.map((i) => ({
        path: ["body", ...i.path.map(String)].join("."),
        message: i.message,
      })),
    });
  }
  const e = parsed.data;
  const p = purchaseFor(ctx, "demo", e.purchase_id, e.checkout_id);
  if (!p) return result("ignored");
  if (e.type === "payment.succeeded") {
    const r = succeedPurchase(ctx, p.id, {
      amount: e.amount,
      currency: e.currency,
      providerRef: e.checkout_id,
    });
    return result(r.outcome, p);
  }
  const r = failPurchase(ctx, p.id, { reason: "demo: declined on the pay page", providerRef: e.checkout_id });
  return result(r.outcome, p);
}

/** The purchase behind a demo checkout id; 404 when there is none or demo payments are off. */
export function demoCheckout(ctx: AppContext, checkoutId: string): { purchase: PurchaseRow; title: string } {
  if (!demoEnabled(ctx)) throw notFound("demo checkout");
  const p = ctx.db
    .select()
    .from(purchases)
    .where(and(eq(purchases.provider, "demo"), eq(purchases.providerRef, checkoutId)))
    .get();
  if (!p) throw notFound("demo checkout");
  const pkg =
    p.packageId === null ? null : ctx.db.select().from(packages).where(eq(packages.id, p.packageId)).get();
  return { purchase: p, title: pkg ? pkg.name : "Wallet top-up" };
}

/**
 * "Pay" or "Decline" on the pay page: the demo provider signs the event it would send and hands it
 * to the webhook handler, so the page credits exactly as a delivered webhook does.
 */
export function completeDemoCheckout(ctx: AppContext, checkoutId: string, action: "pay" | "decline") {
  const { purchase, title } = demoCheckout(ctx, checkoutId);
  const created = Math.floor(ctx.clock.now() / 1000);
  const event: DemoEvent = {
    id: `evt_demo_${randomBytes(12).toString("hex")}`,
    type: action === "pay" ? "payment.succeeded" : "payment.declined",
    checkout_id: checkoutId,
    purchase_id: purchase.id,
    amount: purchase.amount,
    currency: purchase.currency,
    created,
  };
  const raw = JSON.stringify(event);
  const outcome = handleDemoWebhook(ctx, raw, signDemoPayload(demoWebhookSecret(ctx), raw, created));
  return { outcome, purchase: findPurchase(ctx, purchase.id) ?? purchase, title };
}
