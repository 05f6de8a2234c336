import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

/**
 * Kept idempotent answers can hold secrets (a new API key is shown once, and replayed once more).
 * They are sealed with AES-256-GCM under a key derived from the server secret, the caller and the
 * client's Idempotency-Key, which is itself stored only as a hash: a copy of the database alone
 * opens nothing.
 */
function keyFor(secret: string, caller: string, idemKey: string) {
  return createHmac("sha256", secret).update(`idempotency\n${caller}\n${idemKey}`).digest();
}

export function sealKept(secret: string, caller: string, idemKey: string, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFor(secret, caller, idemKey), iv);
  const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

export function openKept(secret: string, caller: string, idemKey: string, sealed: string): string {
  const raw = Buffer.from(sealed, "base64");
  const decipher = createDecipheriv("aes-256-gcm", keyFor(secret, caller, idemKey), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}
