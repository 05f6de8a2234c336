import { and, desc, eq, type SQL } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { type PurchaseStatus, packages, purchases } from "../../db/schema";
import { notFound, validation } from "../../lib/errors";
import { type PageQuery, pageOf } from "../../lib/pagination";
import { iso, isoOrNull } from "../../lib/time";
import { demoEnabled } from "../../providers/demo";
import { stripeEnabled } from "../../providers/stripe";
import { yookassaEnabled } from "../../providers/yookassa";
import { createGrant } from "../billing/grants";
import { getActivePackage } from "../billing/packages";
import { quotePromo, releasePromo, reservePromo } from "../billing/promo";
import { platformRevenue, providerClearing, transfer, userAvailable } from "../ledger/service";
import { emit } from "../platform/events/service";
import { notify } from "../platform/notifications/service";

export type PurchaseRow = typeof purchases.$inferSelect;
export type ProviderName = PurchaseRow["provider"];
export type ExternalProvider = Exclude<ProviderName, "wallet">;

const IMMEDIATE = { behavior: "immediate" } as const;

export const serializePurchase = (p: PurchaseRow) => ({
  id: p.id,
  kind: p.kind,
  status: p.status,
  amount: p.amount,
  currency: p.currency,
  discount: p.discount,
  provider: p.provider,
  package_id: p.packageId,
  ...(p.confirmationUrl ? { confirmation_url: p.confirmationUrl } : {}),
  failure_reason: p.failureReason,
  created_at: iso(p.createdAt),
  paid_at: isoOrNull(p.paidAt),
  refunded_at: isoOrNull(p.refundedAt),
});

/** A provider is on when its keys are configured; choosing one that is off is a validation error. */
export function assertProviderOn(ctx: AppContext, provider: ProviderName) {
  const on = {
    wallet: () => true,
    stripe: () => stripeEnabled(ctx),
    yookassa: () => yookassaEnabled(ctx),
    demo: () => demoEnabled(ctx),
  }[provider]();
  if (!on) throw validation("json.provider", `${provider} payments are not configured on this server`);
}

const byId = (tx: Tx, id: number) => tx.select().from(purchases).where(eq(purchases.id, id)).get();

/**
 * Creates a pending package purchase (promo reserved) in one transaction. Wallet purchases and
 * fully discounted ones are paid in that same transaction; the caller then starts a provider
 * checkout for the rest. Unknown or inactive package: 404; short wallet: 402 and nothing written.
 */
export function openPackagePurchase(
  ctx: AppContext,
  userId: number,
  input: { packageId: number; provider: ProviderName; promoCode?: string },
): { purchase: PurchaseRow; title: string } {
  assertProviderOn(ctx, input.provider);
  return ctx.db.transaction((tx) => {
    const now = ctx.clock.now();
    const pkg = getActivePackage(tx, input.packageId);
    let discount = 0;
    let promoCodeId: number | null = null;
    if (input.promoCode !== undefined) {
      const q = quotePromo(tx, {
        code: input.promoCode,
        userId,
        packageId: pkg.id,
        amount: pkg.price,
        currency: pkg.currency,
        now,
      });
      discount = q.discount;
      promoCodeId = q.promo.id;
      reservePromo(tx, promoCodeId);
    }
    const row = tx
      .insert(purchases)
      .values({
        userId,
        kind: "package",
        packageId: pkg.id,
        provider: input.provider,
        amount: pkg.price - discount,
        currency: pkg.currency,
        discount,
        promoCodeId,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    emit(tx, now, {
      type: "purchase.created",
      actorId: userId,
      subjectType: "purchase",
      subjectId: row.id,
      payload: {
        kind: "package",
        package_id: pkg.id,
        provider: row.provider,
        amount: row.amount,
        currency: row.currency,
        discount,
        promo_code_id: promoCodeId,
      },
    });
    // The wallet pays now; so does a purchase a promo made free (no provider is involved).
    const purchase = row.provider === "wallet" || row.amount === 0 ? applySuccess(ctx, tx, row, null) : row;
    return { purchase, title: pkg.name };
  }, IMMEDIATE);
}

/** Creates a pending wallet top-up; the provider's confirmed payment credits the wallet. */
export function openTopup(
  ctx: AppContext,
  userId: number,
  input: { amount: number; currency: string; provider: ExternalProvider },
): PurchaseRow {
  assertProviderOn(ctx, input.provider);
  return ctx.db.transaction((tx) => {
    const now = ctx.clock.now();
    const row = tx
      .insert(purchases)
      .values({
        userId,
        kind: "topup",
        provider: input.provider,
        amount: input.amount,
        currency: input.currency,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    emit(tx, now, {
      type: "purchase.created",
      actorId: userId,
      subjectType: "purchase",
      subjectId: row.id,
      payload: { kind: "topup", provider: row.provider, amount: row.amount, currency: row.currency },
    });
    return row;
  }, IMMEDIATE);
}

/** Stores the provider's session/payment id and payment page once the checkout exists. */
export function attachCheckout(ctx: AppContext, purchaseId: number, ref: string, confirmationUrl: string) {
  return ctx.db.transaction((tx) => {
    const now = ctx.clock.now();
    const p = byId(tx, purchaseId);
    if (!p) throw notFound("purchase");
    // A webhook may have landed first and recorded the same ref; never overwrite another one.
    if (p.providerRef !== null && p.providerRef !== ref) return p;
    const row = tx
      .update(purchases)
      .set({ providerRef: ref, confirmationUrl, updatedAt: now })
      .where(eq(purchases.id, purchaseId))
      .returning()
      .get()!;
    emit(tx, now, {
      type: "purchase.checkout_created",
      actorId: p.userId,
      subjectType: "purchase",
      subjectId: p.id,
      payload: { provider: p.provider, provider_ref: ref },
    });
    return row;
  }, IMMEDIATE);
}

/** pending -> failed (or canceled) with a reason; the promo redemption is given back. */
function markFailed(
  ctx: AppContext,
  tx: Tx,
  p: PurchaseRow,
  reason: string,
  status: PurchaseStatus = "failed",
) {
  const now = ctx.clock.now();
  const row = tx
    .update(purchases)
    .set({ status, failureReason: reason.slice(0, 500), updatedAt: now })
    .where(eq(purchases.id, p.id))
    .returning()
    .get()!;
  if (p.promoCodeId !== null) releasePromo(tx, p.promoCodeId);
  emit(tx, now, {
    type: `purchase.${status}`,
    actorId: null,
    subjectType: "purchase",
    subjectId: p.id,
    payload: { reason, provider: p.provider, amount: p.amount, currency: p.currency },
  });
  return row;
}

export type FailOutcome = { outcome: "failed" | "ignored"; purchase: PurchaseRow | null };

/**
 * Fails a pending purchase (provider unreachable, checkout expired, payment canceled). A purchase
 * that is no longer pending, or whose provider ref is another one, is left alone.
 */
export function failPurchase(
  ctx: AppContext,
  purchaseId: number,
  f: { reason: string; providerRef?: string | null },
): FailOutcome {
  return ctx.db.transaction((tx): FailOutcome => {
    const p = byId(tx, purchaseId);
    if (!p) return { outcome: "ignored", purchase: null };
    if (p.status !== "pending") return { outcome: "ignored", purchase: p };
    if (f.providerRef && p.providerRef && p.providerRef !== f.providerRef)
      return { outcome: "ignored", purchase: p };
    return { outcome: "failed", purchase: markFailed(ctx, tx, p, f.reason) };
  }, IMMEDIATE);
}

/**
 * pending -> succeeded inside the caller's transaction: the money moves (wallet -> revenue, or
 * provider clearing -> revenue / the user's wallet for a top-up), a package becomes a grant
 * (expires_at = paid_at + validity_days), the user is notified, the event recorded.
 */
function applySuccess(ctx: AppContext, tx: Tx, p: PurchaseRow, providerRef: string | null): PurchaseRow {
  const now = ctx.clock.now();
  const row = tx
    .update(purchases)
    .set({ status: "succeeded", paidAt: now, providerRef: p.providerRef ?? providerRef, updatedAt: now })
    .where(eq(purchases.id, p.id))
    .returning()
    .get()!;
  if (p.amount > 0) {
    const from =
      p.provider === "wallet"
        ? userAvailable(p.userId, p.currency)
        : providerClearing(p.provider, p.currency);
    const to = p.kind === "topup" ? userAvailable(p.userId, p.currency) : platformRevenue(p.currency);
    transfer(ctx, tx, {
      from,
      to,
      amount: p.amount,
      kind: "payment",
      idempotencyKey: `purchase:${p.id}:payment`,
      reference: { type: "purchase", id: p.id },
      metadata: { provider: p.provider, kind: p.kind },
    });
  }
  let grantId: number | null = null;
  let what = "Your wallet was topped up";
  if (p.kind === "package") {
    // Read regardless of is_active: a package deactivated after the purchase was opened is still owed.
    const pkg = tx.select().from(packages).where(eq(packages.id, p.packageId!)).get();
    if (!pkg) throw new Error(`purchase ${p.id} refers to missing package ${p.packageId}`);
    grantId = createGrant(ctx, tx, {
      userId: p.userId,
      seconds: pkg.seconds,
      validityDays: pkg.validityDays,
      purchasedAt: now,
      purchaseId: p.id,
      packageId: pkg.id,
      actorId: p.userId,
    }).id;
    what = `${pkg.name}: ${Math.floor(pkg.seconds / 60)} minutes added, valid ${pkg.validityDays} days`;
  }
  notify(ctx, tx, {
    userId: p.userId,
    type: "payment_received",
    title: "Payment received",
    message: what,
    data: { purchase_id: p.id, kind: p.kind, amount: p.amount, currency: p.currency, grant_id: grantId },
  });
  emit(tx, now, {
    type: "purchase.succeeded",
    actorId: p.provider === "wallet" ? p.userId : null,
    subjectType: "purchase",
    subjectId: p.id,
    payload: {
      kind: p.kind,
      provider: p.provider,
      amount: p.amount,
      currency: p.currency,
      provider_ref: row.providerRef,
      grant_id: grantId,
    },
  });
  return row;
}

export type SucceedOutcome = {
  outcome: "succeeded" | "already_processed" | "failed" | "ignored";
  purchase: PurchaseRow | null;
};

/**
 * The one verb that credits a provider payment, in one transaction. Idempotent: a purchase that
 * already succeeded (or was refunded since) changes nothing. A payment whose amount or currency
 * differs from the purchase credits nothing and fails the purchase with the reason.
 */
export function succeedPurchase(
  ctx: AppContext,
  purchaseId: number,
  paid: { amount: number | null; currency: string; providerRef: string | null },
): SucceedOutcome {
  return ctx.db.transaction((tx): SucceedOutcome => {
    const p = byId(tx, purchaseId);
    if (!p) return { outcome: "ignored", purchase: null };
    if (p.status === "succeeded" || p.status === "refunded")
      return { outcome: "already_processed", purchase: p };
    const log = { purchase_id: p.id, provider: p.provider, provider_ref: paid.providerRef };
    if (p.status !== "pending") {
      // Money arrived for a purchase already closed (e.g. failed when the provider looked down):
      // nothing is credited automatically; the log line is what an operator reconciles from.
      ctx.logger.error({ ...log, status: p.status }, "payment confirmed for a purchase that is not pending");
      return { outcome: "ignored", purchase: p };
    }
    if (paid.providerRef && p.providerRef && paid.providerRef !== p.providerRef) {
      ctx.logger.warn({ ...log, expected_ref: p.providerRef }, "payment for another provider ref ignored");
      return { outcome: "ignored", purchase: p };
    }
    const currency = paid.currency.toUpperCase();
    if (paid.amount !== p.amount || currency !== p.currency) {
      const reason = `amount mismatch: expected ${p.amount} ${p.currency}, provider reported ${paid.amount ?? "?"} ${currency}`;
      ctx.logger.warn({ ...log, expected: p.amount, got: paid.amount, currency }, reason);
      return { outcome: "failed", purchase: markFailed(ctx, tx, p, reason) };
    }
    return { outcome: "succeeded", purchase: applySuccess(ctx, tx, p, paid.providerRef) };
  }, IMMEDIATE);
}

/** The caller's own purchase; anyone else's is 404. */
export function getOwnPurchase(ctx: AppContext, userId: number, id: number): PurchaseRow {
  const p = ctx.db
    .select()
    .from(purchases)
    .where(and(eq(purchases.id, id), eq(purchases.userId, userId)))
    .get();
  if (!p) throw notFound("purchase");
  return p;
}

export function listOwnPurchases(
  ctx: AppContext,
  userId: number,
  q: PageQuery & { status?: PurchaseStatus; kind?: PurchaseRow["kind"] },
) {
  const conds: SQL[] = [eq(purchases.userId, userId)];
  if (q.status) conds.push(eq(purchases.status, q.status));
  if (q.kind) conds.push(eq(purchases.kind, q.kind));
  const where = and(...conds);
  const { total, rows } = pageOf(ctx.db, purchases, where, q, desc(purchases.id));
  return { total, rows };
}

export function findPurchase(ctx: AppContext, id: number): PurchaseRow | null {
  return ctx.db.select().from(purchases).where(eq(purchases.id, id)).get() ?? null;
}
