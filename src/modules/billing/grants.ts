import { and, eq, lte } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { grants } from "../../db/schema";
import { ApiError } from "../../lib/errors";
import { DAY } from "../../lib/time";
import { emit } from "../platform/events/service";
import { freeSeconds } from "./balance";
import { statements } from "./statements";

export type GrantRow = typeof grants.$inferSelect;

/** One grant per paid purchase (the unique purchase_id makes a replayed webhook harmless). */
export function createGrant(
  ctx: Pick<AppContext, "clock">,
  tx: Tx,
  g: {
    userId: number;
    seconds: number;
    validityDays: number;
    purchasedAt: number;
    purchaseId?: number | null;
    packageId?: number | null;
    reason?: string | null;
    actorId?: number | null;
  },
): GrantRow {
  const now = ctx.clock.now();
  const row = tx
    .insert(grants)
    .values({
      userId: g.userId,
      purchaseId: g.purchaseId ?? null,
      packageId: g.packageId ?? null,
      totalSeconds: g.seconds,
      remainingSeconds: g.seconds,
      purchasedAt: g.purchasedAt,
      expiresAt: g.purchasedAt + g.validityDays * DAY,
      reason: g.reason ?? null,
      createdAt: now,
    })
    .returning()
    .get();
  emit(tx, now, {
    type: "grant.created",
    actorId: g.actorId ?? g.userId,
    subjectType: "grant",
    subjectId: row.id,
    payload: {
      user_id: g.userId,
      seconds: g.seconds,
      purchase_id: row.purchaseId,
      expires_at: row.expiresAt,
    },
  });
  return row;
}

/** Refund: the grant's unspent seconds are taken back; returns how many. */
export function revokeGrantOfPurchase(
  ctx: Pick<AppContext, "clock">,
  tx: Tx,
  purchaseId: number,
  actorId: number | null,
) {
  const g = tx.select().from(grants).where(eq(grants.purchaseId, purchaseId)).get();
  if (!g) return { grant: null, revokedSeconds: 0 };
  const now = ctx.clock.now();
  tx.update(grants).set({ remainingSeconds: 0, status: "revoked" }).where(eq(grants.id, g.id)).run();
  emit(tx, now, {
    type: "grant.revoked",
    actorId,
    subjectType: "grant",
    subjectId: g.id,
    payload: { purchase_id: purchaseId, revoked_seconds: g.remainingSeconds },
  });
  return { grant: g, revokedSeconds: g.remainingSeconds };
}

/**
 * Pro-rated refund: the grant ends now (status `expired`, nothing left to spend, expires_at no
 * later than now). Returns the seconds that were still spendable, the share being refunded:
 * none once it has lapsed, been used up or taken back.
 */
export function expireGrantOfPurchase(
  ctx: Pick<AppContext, "clock">,
  tx: Tx,
  purchaseId: number,
  actorId: number | null,
) {
  const g = tx.select().from(grants).where(eq(grants.purchaseId, purchaseId)).get();
  if (!g) return { grant: null, remainingSeconds: 0 };
  const now = ctx.clock.now();
  const remainingSeconds = g.status === "active" && g.expiresAt > now ? g.remainingSeconds : 0;
  tx.update(grants)
    .set({ remainingSeconds: 0, status: "expired", expiresAt: Math.min(g.expiresAt, now) })
    .where(eq(grants.id, g.id))
    .run();
  emit(tx, now, {
    type: "grant.expired",
    actorId,
    subjectType: "grant",
    subjectId: g.id,
    payload: { purchase_id: purchaseId, reason: "prorated_refund", expired_seconds: remainingSeconds },
  });
  return { grant: g, remainingSeconds };
}

/**
 * Admin correction of minutes: a positive amount creates a grant valid `validityDays`; a
 * negative one takes seconds back from the grants in spend order (never more than is free).
 */
export function adjustMinutes(
  ctx: AppContext,
  tx: Tx,
  a: { userId: number; seconds: number; reason: string; validityDays: number; actorId: number },
) {
  const now = ctx.clock.now();
  if (a.seconds > 0) {
    return { grants: [createGrant(ctx, tx, { ...a, purchasedAt: now })], removed: 0 };
  }
  const s = statements(ctx.sqlite);
  const want = -a.seconds;
  const { free } = freeSeconds(s, a.userId, now);
  if (want > free) {
    throw new ApiError("insufficient_minutes", "the user has fewer free seconds than that", {
      available_seconds: free,
    });
  }
  let left = want;
  for (const g of s.fifo.all(a.userId, now)) {
    const take = Math.min(left, g.remaining_seconds);
    s.debitGrant.run(take, g.id);
    left -= take;
    if (left === 0) break;
  }
  emit(tx, now, {
    type: "minutes.adjusted",
    actorId: a.actorId,
    subjectType: "user",
    subjectId: a.userId,
    payload: { seconds: a.seconds, reason: a.reason },
  });
  return { grants: [], removed: want };
}

/** Marks lapsed grants expired; balance reads already ignore them at their expiry instant. */
export function expireGrants(ctx: AppContext, tx: Tx) {
  const now = ctx.clock.now();
  return tx
    .update(grants)
    .set({ status: "expired" })
    .where(and(eq(grants.status, "active"), lte(grants.expiresAt, now)))
    .returning({ id: grants.id, userId: grants.userId, remainingSeconds: grants.remainingSeconds })
    .all();
}
