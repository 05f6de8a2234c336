import { BlockList, isIP } from "node:net";
import { z } from "@hono/zod-openapi";
import type { AppContext } from "../../context";
import { ApiError, notFound } from "../../lib/errors";
import { InvalidStripeSignature, verifyStripeWebhook } from "../../providers/stripe";
import { decimalToMinor, getPayment, YooKassaError, yookassaEnabled } from "../../providers/yookassa";
import {
  type ExternalProvider,
  failPurchase,
  findPurchase,
  type PurchaseRow,
  succeedPurchase,
} from "./service";

export type WebhookOutcome = {
  received: true;
  outcome: "succeeded" | "already_processed" | "failed" | "pending" | "ignored";
  purchase_id?: number;
};

export const result = (
  outcome: WebhookOutcome["outcome"],
  purchase?: PurchaseRow | null,
): WebhookOutcome => ({
  received: true,
  outcome,
  ...(purchase ? { purchase_id: purchase.id } : {}),
});

export const asPurchaseId = (v: unknown): number | null => {
  const n =
    typeof v === "string" && /^\d{1,15}$/.test(v) ? Number(v) : typeof v === "number" ? v : Number.NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
};

/** The purchase a provider object names, if it exists and was paid through that provider. */
export function purchaseFor(ctx: AppContext, provider: ExternalProvider, id: number | null, ref: string) {
  const p = id === null ? null : findPurchase(ctx, id);
  if (!p || p.provider !== provider) {
    ctx.logger.warn(
      { provider, purchase_id: id, provider_ref: ref },
      "webhook names no purchase of this provider",
    );
    return null;
  }
  return p;
}

/** What souk reads of a Stripe event; the rest passes through unread. */
const StripeEvent = z.object({
  type: z.string().min(1),
  data: z.object({ object: z.looseObject({}) }),
});

/** What souk reads of a Checkout Session. */
const CheckoutSession = z.looseObject({
  id: z.string().min(1),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  client_reference_id: z.string().nullish(),
  payment_status: z.string().nullish(),
  amount_total: z.number().int().nullish(),
  currency: z.string().nullish(),
});

/** A signed body that is not a Stripe event of the expected shape: 400, nothing changes. */
function parsed<T extends z.ZodType>(schema: T, value: unknown, at: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ApiError("validation_failed", "the Stripe event does not have the expected shape", {
    issues: r.error.issues.map((i) => ({ path: [at, ...i.path.map(String)].join("."), message: i.message })),
  });
}

/** The purchase a Checkout Session belongs to (by our metadata, else client_reference_id). */
function sessionPurchase(ctx: AppContext, object: unknown) {
  const s = parsed(CheckoutSession, object, "body.data.object");
  return {
    s,
    p: purchaseFor(ctx, "stripe", asPurchaseId(s.metadata?.purchase_id ?? s.client_reference_id), s.id),
  };
}

/**
 * Stripe: the signature over the raw body is checked first (400 invalid_signature when missing,
 * forged, or signed more than 300 s before or after the injected clock); a signed body that is
 * not JSON or not an event is 400 too; then only Checkout Session events act.
 */
export async function handleStripeWebhook(
  ctx: AppContext,
  rawBody: string,
  signature: string | undefined,
): Promise<WebhookOutcome> {
  let body: unknown;
  try {
    body = await verifyStripeWebhook(ctx, rawBody, signature);
  } catch (e) {
    if (e instanceof SyntaxError) throw new ApiError("invalid_json", "the Stripe event is not JSON");
    if (!(e instanceof InvalidStripeSignature)) throw e;
    ctx.logger.warn({ reason: e.message }, "stripe webhook refused");
    throw new ApiError("invalid_signature", "invalid Stripe-Signature");
  }
  const event = parsed(StripeEvent, body, "body");
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded": {
      const { s, p } = sessionPurchase(ctx, event.data.object);
      if (!p) return result("ignored");
      // "unpaid" means a delayed method (bank debit): async_payment_succeeded follows.
      if (s.payment_status !== "paid") return result("pending", p);
      const r = succeedPurchase(ctx, p.id, {
        amount: s.amount_total ?? null,
        currency: s.currency ?? "",
        providerRef: s.id,
      });
      return result(r.outcome, p);
    }
    case "checkout.session.expired":
    case "checkout.session.async_payment_failed": {
      const { s, p } = sessionPurchase(ctx, event.data.object);
      if (!p) return result("ignored");
      const why =
        event.type === "checkout.session.expired" ? "checkout session expired" : "async payment failed";
      return result(failPurchase(ctx, p.id, { reason: `stripe: ${why}`, providerRef: s.id }).outcome, p);
    }
    default:
      return result("ignored");
  }
}

/**
 * YooKassa notifications are unsigned, so the body is only a hint: the payment is re-fetched
 * from the API and only that answer counts. An unreachable API is 502 so YooKassa retries.
 */
export async function handleYookassaNotification(
  ctx: AppContext,
  paymentId: string,
): Promise<WebhookOutcome> {
  if (!yookassaEnabled(ctx)) throw notFound("yookassa webhook (YooKassa is not configured)");
  let payment: Awaited<ReturnType<typeof getPayment>>;
  try {
    payment = await getPayment(ctx, paymentId);
  } catch (e) {
    if (!(e instanceof YooKassaError)) throw e;
    ctx.logger.error({ payment_id: paymentId, err: e.message }, "yookassa payment re-fetch failed");
    throw new ApiError("provider_unavailable", "cannot confirm the payment with YooKassa now; retry later", {
      provider: "yookassa",
    });
  }
  if (!payment) {
    ctx.logger.warn({ payment_id: paymentId }, "yookassa notification for an unknown payment");
    return result("ignored");
  }
  const p = purchaseFor(ctx, "yookassa", asPurchaseId(payment.metadata?.purchase_id), payment.id);
  if (!p) return result("ignored");
  switch (payment.status) {
    case "succeeded": {
      if (payment.paid === false) return result("pending", p);
      const r = succeedPurchase(ctx, p.id, {
        amount: decimalToMinor(payment.amount.value, payment.amount.currency),
        currency: payment.amount.currency,
        providerRef: payment.id,
      });
      return result(r.outcome, p);
    }
    case "canceled": {
      const why = payment.cancellation_details?.reason ?? "unknown reason";
      return result(
        failPurchase(ctx, p.id, { reason: `yookassa: canceled (${why})`, providerRef: payment.id }).outcome,
        p,
      );
    }
    default:
      // pending, waiting_for_capture: nothing to do until it settles.
      return result("pending", p);
  }
}

let cachedList: { key: string; list: BlockList } | null = null;

/** Entries are addresses or CIDR blocks, IPv4 or IPv6; a malformed entry matches nothing. */
export function ipAllowed(allowlist: readonly string[], ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  const key = allowlist.join(",");
  if (cachedList?.key !== key) {
    const list = new BlockList();
    for (const raw of allowlist) {
      const [addr, bits] = raw.trim().split("/");
      const fam = isIP(addr ?? "");
      if (fam === 0) continue;
      const type = fam === 4 ? "ipv4" : "ipv6";
      const prefix = bits === undefined ? null : /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
      if (prefix === null) list.addAddress(addr!, type);
      else if (Number.isInteger(prefix) && prefix >= 0 && prefix <= (fam === 4 ? 32 : 128))
        list.addSubnet(addr!, prefix, type);
    }
    cachedList = { key, list };
  }
  return cachedList.list.check(ip, family === 4 ? "ipv4" : "ipv6");
}
