import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { seal, unseal } from "../../../lib/seal";

const SEAL_CONTEXT = "webhook-secret";

/** A Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

/** A message id (`webhook-id`): `msg_` + 128 random bits. */
export const newMessageId = () => `msg_${randomBytes(16).toString("base64url")}`;

export const sealSecret = (serverSecret: string, secret: string) => seal(serverSecret, SEAL_CONTEXT, secret);

// Deliveries to one endpoint reuse its signer: unseal once per sealed value (a rotation seals anew).
const signers = new Map<string, { by: string; signer: Webhook }>();
const MAX_SIGNERS = 10_000;

/** The Standard Webhooks signer of an endpoint's sealed secret. */
export function signerFor(serverSecret: string, sealed: string): Webhook {
  const hit = signers.get(sealed);
  if (hit && hit.by === serverSecret) return hit.signer;
  const signer = new Webhook(unseal(serverSecret, SEAL_CONTEXT, sealed));
  if (signers.size >= MAX_SIGNERS) signers.clear();
  signers.set(sealed, { by: serverSecret, signer });
  return signer;
}
