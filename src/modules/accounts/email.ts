import { eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import { users } from "../../db/schema";
import { write } from "../../db/write";
import { ApiError, conflict, notFound } from "../../lib/errors";
import { iso } from "../../lib/time";
import { audit } from "../platform/audit";
import { emit } from "../platform/events/service";
import {
  EMAIL_RESEND_INTERVAL_MS,
  issueEmailToken,
  lastIssuedAt,
  liveEmailToken,
  staleAddress,
  supersedeEmailTokens,
} from "./email-tokens";
import { hashPassword } from "./service";
import { revokeAllSessions } from "./sessions";

/** Whether this server can send email at all (SMTP_URL set). */
export const emailEnabled = (ctx: Pick<AppContext, "env">) => Boolean(ctx.env.SMTP_URL);

function requireEmail(ctx: AppContext) {
  if (!emailEnabled(ctx)) throw conflict("email delivery is not configured on this server");
}

/** Sends a fresh verification link to the caller's current email (at most one a minute). */
export function requestVerification(ctx: AppContext, userId: number) {
  requireEmail(ctx);
  return write(ctx, (tx, now) => {
    const user = tx.select().from(users).where(eq(users.id, userId)).get();
    if (!user) throw notFound("user");
    if (!user.email) throw conflict("the account has no email address; set one first");
    if (user.emailVerifiedAt !== null) throw conflict("the email address is already verified");
    const last = lastIssuedAt(tx, user.id, "verify_email");
    if (last !== null && now - last < EMAIL_RESEND_INTERVAL_MS) {
      const retryAfter = Math.ceil((last + EMAIL_RESEND_INTERVAL_MS - now) / 1000);
      throw new ApiError(
        "rate_limited",
        "a verification link was sent less than a minute ago",
        { retry_after_seconds: retryAfter },
        { "Retry-After": String(retryAfter) },
      );
    }
    const token = issueEmailToken(ctx, tx, { id: user.id, email: user.email }, "verify_email");
    return { email: user.email, expires_at: iso(token.expiresAt) };
  });
}

/** Marks the email verified when the link is live and was sent to the address the user still has. */
export function verifyEmail(ctx: AppContext, token: string) {
  return write(ctx, (tx, now) => {
    const row = liveEmailToken(tx, "verify_email", token, now);
    const user = tx.select().from(users).where(eq(users.id, row.userId)).get();
    if (!user || user.email !== row.email) throw staleAddress();
    supersedeEmailTokens(tx, user.id, now, "verify_email");
    if (user.emailVerifiedAt === null) {
      tx.update(users).set({ emailVerifiedAt: now, updatedAt: now }).where(eq(users.id, user.id)).run();
      emit(tx, now, {
        type: "user.email_verified",
        actorId: user.id,
        subjectType: "user",
        subjectId: user.id,
        payload: { email: row.email },
      });
    }
    return { email: row.email, email_verified: true as const };
  });
}

/**
 * Queues a reset link when an active account has this email; says nothing either way, so the
 * caller cannot learn which addresses have accounts. A second request within a minute sends nothing.
 */
export function forgotPassword(ctx: AppContext, email: string) {
  requireEmail(ctx);
  write(ctx, (tx, now) => {
    const user = tx.select().from(users).where(eq(users.email, email)).get();
    if (!user?.email || user.isBanned) return;
    const last = lastIssuedAt(tx, user.id, "reset_password");
    if (last !== null && now - last < EMAIL_RESEND_INTERVAL_MS) return;
    issueEmailToken(ctx, tx, { id: user.id, email: user.email }, "reset_password");
  });
}

/** Sets a new password from a live reset link and ends every session of the account. */
export async function resetPassword(
  ctx: AppContext,
  input: { token: string; password: string },
  from: { ip?: string; requestId?: string },
) {
  // Hashing is slow and async: done before the synchronous transaction.
  const passwordHash = await hashPassword(ctx, input.password);
  write(ctx, (tx, now) => {
    const row = liveEmailToken(tx, "reset_password", input.token, now);
    const user = tx.select().from(users).where(eq(users.id, row.userId)).get();
    if (!user || user.email !== row.email) throw staleAddress();
    tx.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, user.id)).run();
    supersedeEmailTokens(tx, user.id, now, "reset_password");
    revokeAllSessions(tx, user.id, now);
    emit(tx, now, {
      type: "user.password_reset",
      actorId: user.id,
      subjectType: "user",
      subjectId: user.id,
      payload: { via: "email" },
    });
    audit(tx, now, {
      actorId: user.id,
      action: "user.password_reset",
      targetType: "user",
      targetId: user.id,
      details: { via: "email", token_id: row.id },
      ip: from.ip,
      requestId: from.requestId,
    });
  });
}
