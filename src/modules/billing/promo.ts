import { and, eq, inArray, sql } from "drizzle-orm";
import type { Tx } from "../../db/client";
import { promoCodes, purchases } from "../../db/schema";
import { ApiError } from "../../lib/errors";

export type PromoRow = typeof promoCodes.$inferSelect;

const refuse = (message: string) =>
  new ApiError("validation_failed", "promo code cannot be applied", {
    issues: [{ path: "json.promo_code", message }],
  });

/**
 * Checks a promo code for this user and price and returns the discount (never more than the
 * price). Redemptions are reserved when the purchase is created and given back if it fails.
 */
export function quotePromo(
  tx: Tx,
  p: {
    code: string;
    userId: number;
    packageId: number | null;
    amount: number;
    currency: string;
    now: number;
  },
): { promo: PromoRow; discount: number } {
  const promo = tx.select().from(promoCodes).where(eq(promoCodes.code, p.code.trim().toUpperCase())).get();
  if (!promo?.isActive) throw refuse("unknown or inactive promo code");
  if (promo.validFrom != null && p.now < promo.validFrom) throw refuse("promo code is not valid yet");
  if (promo.validUntil != null && p.now >= promo.validUntil) throw refuse("promo code has expired");
  if (promo.maxRedemptions != null && promo.redemptions >= promo.maxRedemptions)
    throw refuse("promo code is used up");
  if (promo.packageId != null && promo.packageId !== p.packageId)
    throw refuse("promo code is for another package");
  if (promo.amountOff != null && promo.currency !== p.currency)
    throw refuse("promo code is for another currency");
  const mine = tx
    .select({ n: sql<number>`count(*)` })
    .from(purchases)
    .where(
      and(
        eq(purchases.userId, p.userId),
        eq(purchases.promoCodeId, promo.id),
        inArray(purchases.status, ["pending", "succeeded", "refunded"]),
      ),
    )
    .get()!.n;
  if (mine >= promo.perUserLimit) throw refuse("you have already used this promo code");
  const raw =
    promo.percentOff != null ? Math.floor((p.amount * promo.percentOff) / 100) : (promo.amountOff ?? 0);
  return { promo, discount: Math.min(raw, p.amount) };
}

export function reservePromo(tx: Tx, promoId: number) {
  tx.update(promoCodes)
    .set({ redemptions: sql`${promoCodes.redemptions} + 1` })
    .where(eq(promoCodes.id, promoId))
    .run();
}

/** A purchase that failed or was canceled gives its redemption back. */
export function releasePromo(tx: Tx, promoId: number) {
  tx.update(promoCodes)
    .set({ redemptions: sql`max(${promoCodes.redemptions} - 1, 0)` })
    .where(eq(promoCodes.id, promoId))
    .run();
}
