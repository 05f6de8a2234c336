import type { AppContext } from "../../../context";
import { randomToken, sha256Hex } from "../../../lib/crypto";
import { ApiError, forbidden } from "../../../lib/errors";
import { iso } from "../../../lib/time";

/** How long a stream ticket may wait for its connection. */
export const TICKET_TTL_MS = 60_000;
/** Tickets start with this, so one pasted into the wrong place is recognisable. */
export const TICKET_PREFIX = "st_";

/**
 * A single-use ticket for `GET /notifications/stream?ticket=` (browsers' EventSource cannot send
 * an Authorization header, and an access token must never travel in a URL). Stored as a SHA-256
 * hash; expired rows are swept in the same transaction. Like refresh-token rotation, issuing one
 * writes no platform event: it is a connection credential, made on every browser reconnect.
 */
export function issueStreamTicket(ctx: AppContext, userId: number) {
  const ticket = `${TICKET_PREFIX}${randomToken(32)}`;
  const now = ctx.clock.now();
  const expiresAt = now + TICKET_TTL_MS;
  ctx.sqlite
    .transaction(() => {
      ctx.sqlite.query("DELETE FROM stream_tickets WHERE expires_at <= ?").run(now);
      ctx.sqlite
        .query("INSERT INTO stream_tickets (token_hash, user_id, expires_at, used_at) VALUES (?, ?, ?, NULL)")
        .run(sha256Hex(ticket), userId, expiresAt);
    })
    .immediate();
  return { ticket, expires_at: iso(expiresAt) };
}

/**
 * Spends a ticket: one UPDATE marks it used only if it is unused and unexpired, so two
 * connections racing with the same ticket cannot both win. Returns the ticket's user.
 */
export function redeemStreamTicket(ctx: AppContext, ticket: string): number {
  const now = ctx.clock.now();
  const row = ctx.sqlite
    .query<{ user_id: number }, [number, string, number]>(
      "UPDATE stream_tickets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id",
    )
    .get(now, sha256Hex(ticket), now);
  if (!row) throw new ApiError("unauthenticated", "invalid, expired or already used stream ticket");
  return row.user_id;
}

/** Checks a ticket without spending it (a HEAD request opens no stream). */
export function peekStreamTicket(ctx: AppContext, ticket: string): number {
  const row = ctx.sqlite
    .query<{ user_id: number }, [string, number]>(
      "SELECT user_id FROM stream_tickets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
    )
    .get(sha256Hex(ticket), ctx.clock.now());
  if (!row) throw new ApiError("unauthenticated", "invalid, expired or already used stream ticket");
  return row.user_id;
}

/**
 * The stream's user must exist and not be banned at the moment the stream attaches. Checked in
 * the same synchronous step as attaching, so a ban committing meanwhile either is seen here or
 * closes the attached stream when it is published.
 */
export function assertStreamable(ctx: AppContext, userId: number) {
  const u = ctx.sqlite
    .query<{ is_banned: number }, [number]>("SELECT is_banned FROM users WHERE id = ?")
    .get(userId);
  if (!u) throw new ApiError("unauthenticated", "account no longer exists");
  if (u.is_banned) throw forbidden("account is banned");
}
