import { and, desc, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { type EMAIL_TOKEN_PURPOSES, emailTokens } from "../../db/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { validation } from "../../lib/errors";
import { seal, unseal } from "../../lib/seal";
import { HOUR, iso, MINUTE } from "../../lib/time";
import { sendEmail } from "../../providers/email";
import { emit } from "../platform/events/service";
import { PermanentJobError } from "../platform/jobs/queue";

export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];
export type EmailTokenRow = typeof emailTokens.$inferSelect;

export const EMAIL_TOKEN_TTL_MS: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * HOUR,
  reset_password: HOUR,
};
/** At most one link of a purpose per user this often (resends, forgotten passwords). */
export const EMAIL_RESEND_INTERVAL_MS = MINUTE;
export const EMAIL_TOKEN_JOB = "email.token";

const PAGE: Record<EmailTokenPurpose, string> = {
  verify_email: "verify-email",
  reset_password: "reset-password",
};
const ISSUED_EVENT: Record<EmailTokenPurpose, string> = {
  verify_email: "user.email_verification_requested",
  reset_password: "user.password_reset_requested",
};

/*
 * Only the token's SHA-256 is stored, yet the job that mails it runs later: the job payload
 * carries the token sealed, so a copy of the database alone (a backup, a leaked file) holds no
 * working link.
 */
const SEAL_CONTEXT = "email-token";

function unsealToken(ctx: Pick<AppContext, "jwtSecret">, sealed: string): string {
  try {
    return unseal(ctx.jwtSecret, SEAL_CONTEXT, sealed);
  } catch {
    throw new PermanentJobError("sealed token does not open (was JWT_SECRET changed?)");
  }
}

/** When the user's newest link of this purpose was issued, if ever. */
export function lastIssuedAt(tx: Tx, userId: number, purpose: EmailTokenPurpose): number | null {
  const row = tx
    .select({ at: emailTokens.createdAt })
    .from(emailTokens)
    .where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose)))
    .orderBy(desc(emailTokens.createdAt), desc(emailTokens.id))
    .get();
  return row?.at ?? null;
}

/** Ends the user's unused links (of one purpose, or all): a superseded link no longer works. */
export function supersedeEmailTokens(tx: Tx, userId: number, now: number, purpose?: EmailTokenPurpose) {
  tx.update(emailTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(emailTokens.userId, userId),
        isNull(emailTokens.usedAt),
        purpose ? eq(emailTokens.purpose, purpose) : undefined,
      ),
    )
    .run();
}

/**
 * Issues a single-use link for `user.email` in the caller's transaction: earlier unused links of
 * the purpose end, the new token's hash is stored, and its email is queued (sent after commit).
 */
export function issueEmailToken(
  ctx: AppContext,
  tx: Tx,
  user: { id: number; email: string },
  purpose: EmailTokenPurpose,
) {
  const now = ctx.clock.now();
  supersedeEmailTokens(tx, user.id, now, purpose);
  const token = randomToken(32);
  const row = tx
    .insert(emailTokens)
    .values({
      userId: user.id,
      purpose,
      email: user.email,
      tokenHash: sha256Hex(token),
      expiresAt: now + EMAIL_TOKEN_TTL_MS[purpose],
      createdAt: now,
    })
    .returning()
    .get();
  ctx.jobs.enqueue(ctx, tx, {
    type: EMAIL_TOKEN_JOB,
    payload: { token_id: row.id, sealed: seal(ctx.jwtSecret, SEAL_CONTEXT, token) },
    dedupeKey: `email:token:${row.id}`,
  });
  emit(tx, now, {
    type: ISSUED_EVENT[purpose],
    actorId: user.id,
    subjectType: "user",
    subjectId: user.id,
    payload: { token_id: row.id, expires_at: iso(row.expiresAt) },
  });
  return row;
}

const refused = (message: string) => validation("body.token", message);

/** The live token row for a presented token, or a 400 saying why the link does not work. */
export function liveEmailToken(
  tx: Tx,
  purpose: EmailTokenPurpose,
  token: string,
  now: number,
): EmailTokenRow {
  const row = tx
    .select()
    .from(emailTokens)
    .where(and(eq(emailTokens.tokenHash, sha256Hex(token)), eq(emailTokens.purpose, purpose)))
    .get();
  if (!row) throw refused("invalid link");
  if (row.usedAt !== null) throw refused("this link was already used or replaced by a newer one");
  if (row.expiresAt <= now) throw refused("this link has expired; ask for a new one");
  return row;
}

export const staleAddress = () =>
  refused("this link was sent to an email address the account no longer uses");

export function linkFor(ctx: Pick<AppContext, "env">, purpose: EmailTokenPurpose, token: string): string {
  return `${ctx.env.PUBLIC_URL.replace(/\/+$/, "")}/${PAGE[purpose]}?token=${token}`;
}

function message(purpose: EmailTokenPurpose, email: string, link: string) {
  if (purpose === "verify_email") {
    return {
      subject: "Confirm your email address",
      text: `Hello,\n\nPlease confirm that ${email} is your email address by opening this link within 24 hours:\n\n${link}\n\nIf you did not create an account or change your email, ignore this message.\n`,
    };
  }
  return {
    subject: "Reset your password",
    text: `Hello,\n\nA password reset was asked for the account with the email ${email}. Open this link within 1 hour to choose a new password:\n\n${link}\n\nAll other sessions are signed out when the password changes. If you did not ask for this, ignore this message: your password stays as it is.\n`,
  };
}

/**
 * Job handler: mails a link if it still works when the job runs (a link already used, replaced
 * or expired is not sent; a retry after an SMTP outage sends the same, still valid link).
 */
export async function sendEmailTokenJob(ctx: AppContext, payload: Record<string, unknown>) {
  const row = ctx.db
    .select()
    .from(emailTokens)
    .where(eq(emailTokens.id, Number(payload.token_id)))
    .get();
  if (!row || row.usedAt !== null || row.expiresAt <= ctx.clock.now()) return;
  const token = unsealToken(ctx, String(payload.sealed));
  if (sha256Hex(token) !== row.tokenHash) throw new PermanentJobError("sealed token does not match its row");
  await sendEmail(ctx, {
    to: row.email,
    ...message(row.purpose, row.email, linkFor(ctx, row.purpose, token)),
  });
}
