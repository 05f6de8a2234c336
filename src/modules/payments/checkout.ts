import type { AppContext } from "../../context";
import { ApiError } from "../../lib/errors";
import { demoPayPageUrl, newDemoCheckoutId } from "../../providers/demo";
import { createCheckoutSession } from "../../providers/stripe";
import { createPayment } from "../../providers/yookassa";
import { attachCheckout, failPurchase, type PurchaseRow } from "./service";

/** One interface over the external providers: open a payment page for a pending purchase. */
type Checkout = { ref: string; url: string };

const publicUrl = (ctx: AppContext, path: string, purchaseId: number) =>
  `${ctx.env.PUBLIC_URL.replace(/\/$/, "")}${path}?purchase_id=${purchaseId}`;

// Unique per purchase and per database (the creation time tells a re-created database apart).
const idempotencyKey = (p: PurchaseRow) => `souk-purchase-${p.id}-${p.createdAt}`;

async function openCheckout(ctx: AppContext, p: PurchaseRow, title: string): Promise<Checkout> {
  if (p.provider === "stripe") {
    const s = await createCheckoutSession(ctx, {
      purchaseId: p.id,
      amount: p.amount,
      currency: p.currency,
      name: title,
      successUrl: publicUrl(ctx, "/payments/success", p.id),
      cancelUrl: publicUrl(ctx, "/payments/cancel", p.id),
      idempotencyKey: idempotencyKey(p),
    });
    if (!s.url) throw new Error(`stripe session ${s.id} has no url`);
    return { ref: s.id, url: s.url };
  }
  if (p.provider === "yookassa") {
    const pay = await createPayment(ctx, {
      amount: p.amount,
      currency: p.currency,
      description: `${title} (#${p.id})`,
      returnUrl: publicUrl(ctx, "/payments/return", p.id),
      metadata: { purchase_id: String(p.id) },
      idempotenceKey: idempotencyKey(p),
    });
    const url = pay.confirmation?.confirmation_url;
    if (!url) throw new Error(`yookassa payment ${pay.id} has no confirmation_url`);
    return { ref: pay.id, url };
  }
  if (p.provider === "demo") {
    // The pay page is souk's own: nothing to call, only an id for its URL.
    const ref = newDemoCheckoutId();
    return { ref, url: demoPayPageUrl(ctx, ref) };
  }
  throw new Error(`no checkout for provider ${p.provider}`);
}

/**
 * Runs outside any transaction (network). On success the purchase keeps the provider's id and
 * the payment page; on any failure it is marked failed (its promo given back) and the caller
 * gets 502 provider_unavailable.
 */
export async function startCheckout(ctx: AppContext, p: PurchaseRow, title: string): Promise<PurchaseRow> {
  let checkout: Checkout;
  try {
    checkout = await openCheckout(ctx, p, title);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    ctx.logger.error(
      { purchase_id: p.id, provider: p.provider, err: message },
      "payment provider call failed",
    );
    // The user sees the purchase: the provider's own message (which may describe our credentials)
    // stays in the log.
    failPurchase(ctx, p.id, { reason: `provider_unavailable: ${p.provider} could not be reached` });
    throw new ApiError("provider_unavailable", `${p.provider} is unavailable, try again later`, {
      provider: p.provider,
      purchase_id: p.id,
    });
  }
  return attachCheckout(ctx, p.id, checkout.ref, checkout.url);
}
