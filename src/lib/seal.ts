import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

/**
 * Secrets souk must read back (a webhook signing secret, a link token until its mail job runs, a
 * kept idempotent answer) are sealed with AES-256-GCM under a key derived from the server secret
 * and a context naming what is sealed, so one context's blob never opens in another and a copy of
 * the database alone opens nothing.
 */
const keyFor = (secret: string, context: string) =>
  createHmac("sha256", secret).update(`souk-seal\n${context}`).digest();

export function seal(secret: string, context: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFor(secret, context), iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** Throws when the blob is malformed, was sealed for another context, or under another secret. */
export function unseal(secret: string, context: string, sealed: string): string {
  const raw = Buffer.from(sealed, "base64url");
  if (raw.length < 28) throw new Error("malformed sealed value");
  const decipher = createDecipheriv("aes-256-gcm", keyFor(secret, context), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}
