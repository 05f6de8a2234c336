import type { AppContext } from "../../context";
import type { HOLD_STATUSES } from "../../db/schema";
import { ApiError, notFound } from "../../lib/errors";
import { iso } from "../../lib/time";
import { freeSeconds } from "./balance";
import { statements } from "./statements";

type HoldStatus = (typeof HOLD_STATUSES)[number];
type HoldRow = NonNullable<ReturnType<ReturnType<typeof statements>["hold"]["get"]>>;

export const serializeHold = (h: HoldRow, now: number) => ({
  id: h.id,
  seconds: h.seconds,
  consumed_seconds: h.seconds - h.remaining_seconds,
  remaining_seconds: h.remaining_seconds,
  // The column only ever holds one of HOLD_STATUSES; the raw statement types it as text.
  status: (h.status === "open" && h.expires_at <= now ? "expired" : h.status) as HoldStatus,
  expires_at: iso(h.expires_at),
  created_at: iso(h.created_at),
});

/** Reserves seconds at once: they leave remaining_seconds until used, released or expired. */
export function createHold(ctx: AppContext, userId: number, seconds: number, ttlSeconds?: number) {
  const s = statements(ctx.sqlite);
  const now = ctx.clock.now();
  const ttl = ttlSeconds ?? ctx.settings.get("hold_default_ttl_seconds");
  return ctx.sqlite
    .transaction(() => {
      const { free } = freeSeconds(s, userId, now);
      if (seconds > free) {
        throw new ApiError("insufficient_minutes", "not enough minutes to hold", {
          available_seconds: free,
          required_seconds: seconds,
        });
      }
      const row = ctx.sqlite
        .query<HoldRow, [number, number, number, number]>(
          `INSERT INTO holds (user_id, seconds, remaining_seconds, status, expires_at, created_at)
           VALUES (?1, ?2, ?2, 'open', ?3, ?4) RETURNING id, user_id, seconds, remaining_seconds, status, expires_at, created_at`,
        )
        .get(userId, seconds, now + ttl * 1000, now)!;
      s.insertEvent.run(
        "hold.created",
        userId,
        "hold",
        String(row.id),
        JSON.stringify({ seconds, ttl_seconds: ttl }),
        now,
      );
      return serializeHold(row, now);
    })
    .immediate();
}

export function getHold(ctx: AppContext, userId: number, id: number) {
  const h = statements(ctx.sqlite).hold.get(id);
  if (!h || h.user_id !== userId) throw notFound("hold");
  return serializeHold(h, ctx.clock.now());
}

/** Returns the unused rest of an open hold to remaining_seconds. */
export function releaseHold(ctx: AppContext, userId: number, id: number) {
  const s = statements(ctx.sqlite);
  const now = ctx.clock.now();
  return ctx.sqlite
    .transaction(() => {
      const h = s.hold.get(id);
      if (!h || h.user_id !== userId) throw notFound("hold");
      if (h.status !== "open" || h.expires_at <= now) {
        throw new ApiError("conflict", `hold is already ${h.status === "open" ? "expired" : h.status}`, {
          hold_id: id,
        });
      }
      ctx.sqlite.query("UPDATE holds SET status = 'released', closed_at = ? WHERE id = ?").run(now, id);
      s.insertEvent.run(
        "hold.released",
        userId,
        "hold",
        String(id),
        JSON.stringify({ unused_seconds: h.remaining_seconds }),
        now,
      );
      return serializeHold({ ...h, status: "released" }, now);
    })
    .immediate();
}

/** Marks lapsed holds expired (balance already ignores them; this keeps the table honest). */
export function expireHolds(ctx: AppContext) {
  const now = ctx.clock.now();
  return ctx.sqlite
    .query("UPDATE holds SET status = 'expired', closed_at = ?1 WHERE status = 'open' AND expires_at <= ?1")
    .run(now).changes;
}
