import { sign, verify } from "hono/jwt";
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

/** Verifies signature with hono/jwt, then expiry against the injected clock. */
export async function verifyAccessToken(secret: string, token: string, nowMs: number): Promise<AccessClaims> {
  let payload: Record<string, unknown>;
  try {
    payload = await verify(token, secret, { alg: "HS256", exp: false, nbf: false, iat: false });
  } catch {
    throw new ApiError("unauthenticated", "invalid access token");
  }
  if (payload.typ !== "access" || typeof payload.sub !== "number" || typeof payload.exp !== "number") {
    throw new ApiError("unauthenticated", "invalid access token");
  }
  if (payload.exp * 1000 <= nowMs) throw new ApiError("token_expired", "access token expired");
  return payload as unknown as AccessClaims;
}
