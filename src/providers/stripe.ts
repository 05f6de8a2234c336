import Stripe from "stripe";
import type { AppContext } from "../context";

/** Stripe is on when a secret key is configured. */
export const stripeEnabled = (ctx: Pick<AppContext, "env">) => Boolean(ctx.env.STRIPE_SECRET_KEY);

/** Signature tolerance of webhooks in seconds (DESIGN.md §5). */
export const STRIPE_WEBHOOK_TOLERANCE_S = 300;

// One SDK client per context: the SDK keeps its own settings (host, retries, telemetry).
const clients = new WeakMap<object, Stripe>();

/** The official SDK pointed at STRIPE_API_BASE (a fake on loopback in tests), using ctx.fetch. */
export function stripeClient(ctx: Pick<AppContext, "env" | "fetch">): Stripe {
  const cached = clients.get(ctx);
  if (cached) return cached;
  const key = ctx.env.STRIPE_SECRET_KEY;
  if (!key) throw new Error("STRIPE_SECRET_KEY is not set");
  const base = new URL(ctx.env.STRIPE_API_BASE);
  const protocol = base.protocol === "http:" ? "http" : "https";
  const client = new Stripe(key, {
    host: base.hostname,
    port: base.port || (protocol === "http" ? 80 : 443),
    protocol,
    httpClient: Stripe.createFetchHttpClient(ctx.fetch),
    maxNetworkRetries: 1,
    timeout: 15_000,
    telemetry: false,
  });
  clients.set(ctx, client);
  return client;
}

export type CheckoutInput = {
  purchaseId: number;
  /** Minor units. */
  amount: number;
  /** ISO 4217, any case. */
  currency: string;
  name: string;
  successUrl: string;
  cancelUrl: string;
  /** Makes a retried create return the same session. */
  idempotencyKey: string;
};

export type CheckoutSession = { id: string; url: string | null };

/** POST /v1/checkout/sessions (mode payment, one line item with inline price data). */
export async function createCheckoutSession(
  ctx: Pick<AppContext, "env" | "fetch">,
  input: CheckoutInput,
): Promise<CheckoutSession> {
  const session = await stripeClient(ctx).checkout.sessions.create(
    {
      mode: "payment",
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: input.currency.toLowerCase(),
            unit_amount: input.amount,
            product_data: { name: input.name },
          },
        },
      ],
      client_reference_id: String(input.purchaseId),
      metadata: { purchase_id: String(input.purchaseId) },
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
    },
    { idempotencyKey: input.idempotencyKey },
  );
  return { id: session.id, url: session.url ?? null };
}

export class InvalidStripeSignature extends Error {}

/** The signing time `t=` of a Stripe-Signature header, read as the SDK reads it (the last one). */
function signedAt(header: string): number {
  let t = Number.NaN;
  for (const item of header.split(",")) {
    const [k, v] = item.split("=");
    if (k === "t") t = Number.parseInt(v ?? "", 10);
  }
  return t;
}

/**
 * Verifies `Stripe-Signature` over the raw body (HMAC-SHA256) and its time: within 300 s of the
 * injected clock either way (the SDK only refuses old signatures; a future `t` would keep a
 * captured request replayable for as long as it lies ahead). Returns the parsed body, still
 * unvalidated. Throws InvalidStripeSignature for anything wrong with the signature.
 */
export async function verifyStripeWebhook(
  ctx: Pick<AppContext, "env" | "clock">,
  rawBody: string,
  signatureHeader: string | undefined,
): Promise<unknown> {
  const secret = ctx.env.STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new InvalidStripeSignature("STRIPE_WEBHOOK_SECRET is not configured");
  if (!signatureHeader) throw new InvalidStripeSignature("missing Stripe-Signature header");
  const now = ctx.clock.now();
  try {
    // receivedAt is in milliseconds: the SDK divides it by 1000 before comparing with `t`.
    const signature = Stripe.webhooks.signature;
    if (!signature) throw new Error("the Stripe SDK has no signature helper");
    await signature.verifyHeaderAsync(
      rawBody,
      signatureHeader,
      secret,
      STRIPE_WEBHOOK_TOLERANCE_S,
      undefined,
      now,
    );
  } catch (e) {
    throw new InvalidStripeSignature(e instanceof Error ? e.message.split("\n")[0]! : "invalid signature");
  }
  if (signedAt(signatureHeader) - Math.floor(now / 1000) > STRIPE_WEBHOOK_TOLERANCE_S) {
    throw new InvalidStripeSignature("Timestamp outside the tolerance zone (in the future)");
  }
  return JSON.parse(rawBody) as unknown;
}

export type { Stripe };
