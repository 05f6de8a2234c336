import { randomBytes } from "node:crypto";
import type { AppContext } from "../context";
import type { Env } from "../env";
import { hmacHex, safeEqual } from "../lib/crypto";

/**
 * The demo provider: a checkout page served by souk itself, so a newcomer can buy minutes without
 * Stripe or YooKassa keys. Paying on that page sends a signed webhook like a real provider's
 * (`Demo-Signature: t=…,v1=hex(HMAC_SHA256(secret, t + "." + raw_body))`), and the webhook is
 * what credits. On only with DEMO_PAYMENTS=true, which the environment refuses in production.
 */
export const demoEnabled = (ctx: Pick<AppContext, "env">) => ctx.env.DEMO_PAYMENTS;

export const DEMO_SIGNATURE_HEADER = "demo-signature";
/** Signature tolerance of demo webhooks in seconds, either way (as for Stripe). */
export const DEMO_WEBHOOK_TOLERANCE_S = 300;

/** Derived from the JWT secret (which lives in the environment or DATA_DIR): nothing new to configure. */
export const demoWebhookSecret = (ctx: Pick<AppContext, "jwtSecret">) =>
  hmacHex(ctx.jwtSecret, "souk demo payments webhook v1");

/** The checkout id: unguessable, since knowing the pay page's URL is what allows paying or declining. */
export const newDemoCheckoutId = () => `demo_${randomBytes(16).toString("hex")}`;
export const DEMO_CHECKOUT_ID = /^demo_[0-9a-f]{32}$/;

export const demoPayPageUrl = (ctx: Pick<AppContext, "env">, checkoutId: string) =>
  `${ctx.env.PUBLIC_URL.replace(/\/$/, "")}/api/v1/payments/demo/${checkoutId}`;

/** The header value for a payload signed at `timestampSeconds`. */
export const signDemoPayload = (secret: string, payload: string, timestampSeconds: number) =>
  `t=${timestampSeconds},v1=${hmacHex(secret, `${timestampSeconds}.${payload}`)}`;

export class InvalidDemoSignature extends Error {}

/** Checks the signature over the raw body and its time (300 s either way by the injected clock). */
export function verifyDemoSignature(
  ctx: Pick<AppContext, "jwtSecret" | "clock">,
  rawBody: string,
  header: string | undefined,
) {
  if (!header) throw new InvalidDemoSignature("missing Demo-Signature header");
  let t: number | null = null;
  const signatures: string[] = [];
  for (const item of header.split(",")) {
    const [k, v] = item.trim().split("=", 2);
    if (k === "t" && v && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === "v1" && v) signatures.push(v);
  }
  if (t === null || signatures.length === 0)
    throw new InvalidDemoSignature("malformed Demo-Signature header");
  const expected = hmacHex(demoWebhookSecret(ctx), `${t}.${rawBody}`);
  if (!signatures.some((s) => safeEqual(s, expected))) throw new InvalidDemoSignature("signature mismatch");
  if (Math.abs(Math.floor(ctx.clock.now() / 1000) - t) > DEMO_WEBHOOK_TOLERANCE_S)
    throw new InvalidDemoSignature("timestamp outside the tolerance");
}

/** Start-up warning; printed to stderr when LOG_LEVEL (error, fatal) would hide a warning, unless silent. */
export function warnDemoPayments(env: Env, logger: AppContext["logger"]) {
  if (!env.DEMO_PAYMENTS) return;
  const message =
    "DEMO PAYMENTS ARE ENABLED (DEMO_PAYMENTS=true): anyone can buy minutes and top up wallets without paying. Never use this in production.";
  if (logger.isLevelEnabled("warn")) logger.warn({ demo_payments: true }, message);
  else if (env.LOG_LEVEL !== "silent") process.stderr.write(`WARNING: ${message}\n`);
}
