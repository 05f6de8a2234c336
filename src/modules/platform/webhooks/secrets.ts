import { randomBytes } from "node:crypto";
import { seal, unseal } from "../../../lib/seal";

const SEAL_CONTEXT = "webhook-secret";

/** A Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

/** A message id (`webhook-id`): `msg_` + 128 random bits. */
export const newMessageId = () => `msg_${randomBytes(16).toString("base64url")}`;

export const sealSecret = (serverSecret: string, secret: string) => seal(serverSecret, SEAL_CONTEXT, secret);

// Deliveries to one endpoint reuse its secret: unseal once per sealed value (a rotation seals anew).
const unsealed = new Map<string, { by: string; secret: string }>();
const MAX_SECRETS = 10_000;

/** An endpoint's `whsec_` secret from its sealed form. */
export function secretFor(serverSecret: string, sealed: string): string {
  const hit = unsealed.get(sealed);
  if (hit && hit.by === serverSecret) return hit.secret;
  const secret = unseal(serverSecret, SEAL_CONTEXT, sealed);
  if (unsealed.size >= MAX_SECRETS) unsealed.clear();
  unsealed.set(sealed, { by: serverSecret, secret });
  return secret;
}
