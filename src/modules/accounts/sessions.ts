import { and, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { refreshTokens, users } from "../../db/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { emit } from "../platform/events/service";
import { serializeUser, type UserRow } from "./serialize";
import { signAccessToken } from "./tokens";

/** Starts or continues a refresh-token family inside the caller's transaction; returns the raw token. */
export function issueRefreshToken(
  ctx: AppContext,
  tx: Tx,
  userId: number,
  familyId = randomToken(16),
): string {
  const token = `rt_${randomToken(32)}`;
  const now = ctx.clock.now();
  tx.insert(refreshTokens)
    .values({
      userId,
      familyId,
      tokenHash: sha256Hex(token),
      expiresAt: now + ctx.env.REFRESH_TOKEN_TTL_SECONDS * 1000,
      createdAt: now,
    })
    .run();
  return token;
}

/** The login response: the access JWT is signed after the transaction (signing is async). */
export async function authResult(ctx: AppContext, user: UserRow, refreshToken: string) {
  return {
    user: serializeUser(user),
    access_token: await signAccessToken(
      ctx.jwtSecret,
      user.id,
      user.role,
      ctx.clock.now(),
      ctx.env.ACCESS_TOKEN_TTL_SECONDS,
    ),
    refresh_token: refreshToken,
    token_type: "Bearer" as const,
    expires_in: ctx.env.ACCESS_TOKEN_TTL_SECONDS,
  };
}

/** Revokes every live token of a family (logout, or reuse of a rotated token). */
export function revokeFamily(tx: Tx, familyId: string, now: number) {
  tx.update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
    .run();
}

export function revokeAllSessions(tx: Tx, userId: number, now: number) {
  tx.update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
    .run();
}

/**
 * Rotation with reuse detection: a token may be exchanged once. Presenting an already rotated
 * token means it leaked, so the whole family is revoked and the caller must log in again.
 */
export async function rotateRefreshToken(ctx: AppContext, token: string) {
  const now = ctx.clock.now();
  const outcome = ctx.db.transaction(
    (tx) => {
      const row = tx
        .select()
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, sha256Hex(token)))
        .get();
      if (!row) return { error: new ApiError("unauthenticated", "invalid refresh token") };
      if (row.rotatedAt) {
        revokeFamily(tx, row.familyId, now);
        emit(tx, now, {
          type: "auth.refresh_reuse_detected",
          actorId: row.userId,
          subjectType: "user",
          subjectId: row.userId,
        });
        return { error: new ApiError("unauthenticated", "refresh token was already used; session revoked") };
      }
      if (row.revokedAt) return { error: new ApiError("unauthenticated", "refresh token was revoked") };
      if (row.expiresAt <= now) return { error: new ApiError("token_expired", "refresh token expired") };
      const user = tx.select().from(users).where(eq(users.id, row.userId)).get();
      if (!user) return { error: new ApiError("unauthenticated", "account no longer exists") };
      if (user.isBanned) return { error: new ApiError("forbidden", "account is banned") };
      tx.update(refreshTokens)
        .set({ rotatedAt: now, revokedAt: now })
        .where(eq(refreshTokens.id, row.id))
        .run();
      return { user, refresh: issueRefreshToken(ctx, tx, user.id, row.familyId) };
    },
    { behavior: "immediate" },
  );
  // Reuse detection must commit its revocation, so errors are returned from the transaction, not thrown in it.
  if ("error" in outcome) throw outcome.error;
  return authResult(ctx, outcome.user, outcome.refresh);
}

export function logout(ctx: AppContext, token: string) {
  const now = ctx.clock.now();
  ctx.db.transaction(
    (tx) => {
      const row = tx
        .select()
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, sha256Hex(token)))
        .get();
      if (!row) return;
      revokeFamily(tx, row.familyId, now);
      emit(tx, now, { type: "auth.logout", actorId: row.userId, subjectType: "user", subjectId: row.userId });
    },
    { behavior: "immediate" },
  );
}
