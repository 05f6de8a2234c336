import { eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import { purchases } from "../../db/schema";
import { write } from "../../db/write";
import { ApiError, conflict, notFound } from "../../lib/errors";
import { minorToDecimal } from "../../providers/yookassa";
import { expireGrantOfPurchase, revokeGrantOfPurchase } from "../billing/grants";
import { platformRevenue, transfer, userAvailable } from "../ledger/service";
import { audit } from "../platform/audit";
import { emit } from "../platform/events/service";
import { notify } from "../platform/notifications/service";
import type { PurchaseRow } from "./service";

export type RefundInput = {
  reason: string;
  prorate?: boolean;
  actorId: number;
  ip?: string | null;
  requestId?: string | null;
};

export type RefundSummary = {
  amount: number;
  currency: string;
  prorated: boolean;
  remaining_seconds: number | null;
  total_seconds: number | null;
};

/** floor(amount * remaining / total) without leaving exact integers (amount * seconds can pass 2^53). */
export const proratedAmount = (amount: number, remaining: number, total: number) =>
  total <= 0 ? 0 : Number((BigInt(amount) * BigInt(remaining)) / BigInt(total));

/**
 * Admin refund of a succeeded package purchase, to the user's wallet (platform revenue -> user
 * available), in one transaction. By default the whole amount paid comes back and the grant is
 * revoked (its unspent seconds are taken; seconds already used stay used). With `prorate` only
 * the unspent share comes back, floor(amount * remaining_seconds / total_seconds), and the grant
 * expires now; a grant already lapsed or used up refunds 0. Provider-side refunds are not made here.
 */
export function refundPurchase(
  ctx: AppContext,
  purchaseId: number,
  r: RefundInput,
): { purchase: PurchaseRow; refund: RefundSummary } {
  return write(ctx, (tx, now) => {
    const p = tx.select().from(purchases).where(eq(purchases.id, purchaseId)).get();
    if (!p) throw notFound("purchase");
    if (p.kind !== "package") throw conflict("only package purchases can be refunded", { kind: p.kind });
    if (p.status !== "succeeded") {
      throw new ApiError("invalid_transition", `a ${p.status} purchase cannot be refunded`, {
        from: p.status,
        to: "refunded",
      });
    }
    const prorated = r.prorate === true;
    let refund: RefundSummary;
    let grantDetails: Record<string, unknown>;
    if (prorated) {
      const { grant, remainingSeconds } = expireGrantOfPurchase(ctx, tx, p.id, r.actorId);
      const total = grant?.totalSeconds ?? 0;
      refund = {
        amount: proratedAmount(p.amount, remainingSeconds, total),
        currency: p.currency,
        prorated,
        remaining_seconds: remainingSeconds,
        total_seconds: total,
      };
      grantDetails = { expired_seconds: remainingSeconds, total_seconds: total };
    } else {
      const { grant, revokedSeconds } = revokeGrantOfPurchase(ctx, tx, p.id, r.actorId);
      refund = {
        amount: p.amount,
        currency: p.currency,
        prorated,
        remaining_seconds: grant ? revokedSeconds : null,
        total_seconds: grant?.totalSeconds ?? null,
      };
      grantDetails = { revoked_seconds: revokedSeconds };
    }
    if (refund.amount > 0) {
      transfer(ctx, tx, {
        from: platformRevenue(p.currency),
        to: userAvailable(p.userId, p.currency),
        amount: refund.amount,
        kind: "refund",
        idempotencyKey: `purchase:${p.id}:refund`,
        reference: { type: "purchase", id: p.id },
        metadata: { reason: r.reason, prorated },
      });
    }
    const row = tx
      .update(purchases)
      .set({ status: "refunded", refundedAt: now, updatedAt: now })
      .where(eq(purchases.id, p.id))
      .returning()
      .get()!;
    const details = {
      reason: r.reason,
      amount: p.amount,
      currency: p.currency,
      prorated,
      refunded_amount: refund.amount,
      ...grantDetails,
      user_id: p.userId,
    };
    audit(tx, now, {
      actorId: r.actorId,
      action: "purchase.refund",
      targetType: "purchase",
      targetId: p.id,
      details,
      ip: r.ip ?? null,
      requestId: r.requestId ?? null,
    });
    emit(tx, now, {
      type: "purchase.refunded",
      actorId: r.actorId,
      subjectType: "purchase",
      subjectId: p.id,
      payload: details,
    });
    if (refund.amount > 0) {
      const what = prorated
        ? `${minorToDecimal(refund.amount, p.currency)} ${p.currency} of the payment for purchase #${p.id} (the unused share) was returned to your wallet.`
        : `The payment for purchase #${p.id} was returned to your wallet.`;
      notify(ctx, tx, {
        userId: p.userId,
        type: "system",
        title: "Purchase refunded",
        message: what,
        data: { purchase_id: p.id, amount: refund.amount, currency: p.currency, prorated },
      });
    }
    return { purchase: row, refund };
  });
}
