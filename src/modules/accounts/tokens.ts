import { createHmac } from "node:crypto";
import { sign } from "hono/jwt";
import { safeEqual } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";

export type AccessClaims = { sub: number; role: string; iat: number; exp: number; typ: "access" };

export async function signAccessToken(
  secret: string,
  userId: number,
  role: string,
  nowMs: number,
  ttlSeconds: number,
) {
  const iat = Math.floor(nowMs / 1000);
  return sign({ sub: userId, role, iat, exp: iat + ttlSeconds, typ: "access" }, secret, "HS256");
}

const HS256_HEADER = /"alg"\s*:\s*"HS256"/;

/**
 * HS256 check with node:crypto (sync HMAC, ~3 µs) rather than hono/jwt's verify, which
 * re-imports the key through Web Crypto on every call (~50 µs on every authenticated request).
 * Expiry is checked against the injected clock. Tokens are still minted by hono/jwt's sign.
 */
export async function verifyAccessToken(secret: string, token: string, nowMs: number): Promise<AccessClaims> {
  const invalid = () => new ApiError("unauthenticated", "invalid access token");
  const parts = token.split(".");
  if (parts.length !== 3) throw invalid();
  const [header, body, signature] = parts as [string, string, string];
  const expected = createHmac("sha256", secret).update(`${header}.${body}`).digest("base64url");
  if (!safeEqual(expected, signature)) throw invalid();
  let payload: Record<string, unknown>;
  try {
    if (!HS256_HEADER.test(Buffer.from(header, "base64url").toString())) throw invalid();
    payload = JSON.parse(Buffer.from(body, "base64url").toString());
  } catch {
    throw invalid();
  }
  if (payload.typ !== "access" || typeof payload.sub !== "number" || typeof payload.exp !== "number")
    throw invalid();
  if (payload.exp * 1000 <= nowMs) throw new ApiError("token_expired", "access token expired");
  return payload as unknown as AccessClaims;
}
