import { and, desc, eq, inArray, type SQL } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { packages, promoCodes, purchases, usageAllocations, usageEvents } from "../../db/schema";
import { write } from "../../db/write";
import { conflict, notFound, validation } from "../../lib/errors";
import { type PageQuery, pageOf } from "../../lib/pagination";
import { iso, isoOrNull } from "../../lib/time";
import type { AdminActor } from "../accounts/admin";
import { getUser } from "../accounts/service";
import { audit, recordAdminAction } from "../platform/audit";
import { freeSeconds } from "./balance";
import { adjustMinutes } from "./grants";
import type { PackageCreate, PackagePatch, PromoCreate, PromoPatch } from "./package-schemas";
import { type PackageRow, serializePackage } from "./packages";
import type { PromoRow } from "./promo";
import { statements } from "./statements";

type PurchaseRow = typeof purchases.$inferSelect;

/** The public package shape of DESIGN.md §6 (no is_active: the public list holds active ones only). */
export function serializePublicPackage(p: PackageRow) {
  const { is_active: _, ...pub } = serializePackage(p);
  return pub;
}

export const serializeAdminPackage = (p: PackageRow) => ({
  ...serializePackage(p),
  sort_order: p.sortOrder,
  created_at: iso(p.createdAt),
  updated_at: iso(p.updatedAt),
});

export const serializePromo = (p: PromoRow) => ({
  id: p.id,
  code: p.code,
  percent_off: p.percentOff,
  amount_off: p.amountOff,
  currency: p.currency,
  package_id: p.packageId,
  valid_from: isoOrNull(p.validFrom),
  valid_until: isoOrNull(p.validUntil),
  max_redemptions: p.maxRedemptions,
  per_user_limit: p.perUserLimit,
  redemptions: p.redemptions,
  is_active: p.isActive,
  created_at: iso(p.createdAt),
  updated_at: iso(p.updatedAt),
});

export const serializeAdminPurchase = (p: PurchaseRow) => ({
  id: p.id,
  user_id: p.userId,
  kind: p.kind,
  package_id: p.packageId,
  provider: p.provider,
  status: p.status,
  amount: p.amount,
  currency: p.currency,
  discount: p.discount,
  promo_code_id: p.promoCodeId,
  provider_ref: p.providerRef,
  confirmation_url: p.confirmationUrl,
  failure_reason: p.failureReason,
  paid_at: isoOrNull(p.paidAt),
  refunded_at: isoOrNull(p.refundedAt),
  created_at: iso(p.createdAt),
  updated_at: iso(p.updatedAt),
});

const activeFilter = <T extends typeof packages.isActive | typeof promoCodes.isActive>(
  col: T,
  v?: "true" | "false",
) => (v === undefined ? undefined : eq(col, v === "true"));

// ---------- packages ----------

export function listPackagesAdmin(ctx: AppContext, q: PageQuery & { is_active?: "true" | "false" }) {
  const where = activeFilter(packages.isActive, q.is_active);
  const { total, rows } = pageOf(
    ctx.db,
    packages,
    where,
    q,
    desc(packages.isActive),
    packages.sortOrder,
    packages.price,
    packages.id,
  );
  return { total, results: rows.map(serializeAdminPackage) };
}

export const createPackage = (ctx: AppContext, actor: AdminActor, b: PackageCreate) =>
  write(ctx, (tx, now) => {
    const row = tx
      .insert(packages)
      .values({
        name: b.name,
        description: b.description ?? null,
        seconds: b.seconds,
        price: b.price,
        currency: b.currency,
        validityDays: b.validity_days,
        sortOrder: b.sort_order ?? 0,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    const { id: _, ...details } = serializePackage(row);
    recordAdminAction(tx, now, actor, {
      action: "package.created",
      targetType: "package",
      targetId: row.id,
      details,
      changed: true,
    });
    return serializeAdminPackage(row);
  });

const loadPackage = (tx: Tx, id: number) => {
  const p = tx.select().from(packages).where(eq(packages.id, id)).get();
  if (!p) throw notFound("package");
  return p;
};

export const updatePackage = (ctx: AppContext, actor: AdminActor, id: number, b: PackagePatch) =>
  write(ctx, (tx, now) => {
    loadPackage(tx, id);
    const row = tx
      .update(packages)
      .set({
        ...(b.name !== undefined && { name: b.name }),
        ...(b.description !== undefined && { description: b.description }),
        ...(b.seconds !== undefined && { seconds: b.seconds }),
        ...(b.price !== undefined && { price: b.price }),
        ...(b.currency !== undefined && { currency: b.currency }),
        ...(b.validity_days !== undefined && { validityDays: b.validity_days }),
        ...(b.sort_order !== undefined && { sortOrder: b.sort_order }),
        ...(b.is_active !== undefined && { isActive: b.is_active }),
        updatedAt: now,
      })
      .where(eq(packages.id, id))
      .returning()
      .get()!;
    recordAdminAction(tx, now, actor, {
      action: "package.updated",
      targetType: "package",
      targetId: id,
      details: { changes: b },
      changed: true,
    });
    return serializeAdminPackage(row);
  });

/** Purchases reference the row, so "delete" takes it off sale and keeps it. */
export const deactivatePackage = (ctx: AppContext, actor: AdminActor, id: number) =>
  write(ctx, (tx, now) => {
    const before = loadPackage(tx, id);
    const row = before.isActive
      ? tx
          .update(packages)
          .set({ isActive: false, updatedAt: now })
          .where(eq(packages.id, id))
          .returning()
          .get()!
      : before;
    recordAdminAction(tx, now, actor, {
      action: "package.deactivated",
      targetType: "package",
      targetId: id,
      details: { was_active: before.isActive },
      changed: before.isActive,
    });
    return serializeAdminPackage(row);
  });

// ---------- promo codes ----------

export function listPromoCodes(ctx: AppContext, q: PageQuery & { is_active?: "true" | "false" }) {
  const where = activeFilter(promoCodes.isActive, q.is_active);
  const { total, rows } = pageOf(ctx.db, promoCodes, where, q, desc(promoCodes.id));
  return { total, results: rows.map(serializePromo) };
}

type PromoFields = Pick<
  PromoRow,
  "code" | "percentOff" | "amountOff" | "currency" | "packageId" | "validFrom" | "validUntil"
>;

/** The rules a promo code must satisfy as a whole, checked on create and on the merged row of a patch. */
function checkPromo(tx: Tx, p: PromoFields, selfId?: number) {
  if ((p.percentOff == null) === (p.amountOff == null)) {
    throw validation("json.percent_off", "give exactly one of percent_off and amount_off");
  }
  if (p.amountOff != null && p.currency == null) {
    throw validation("json.currency", "currency is required with amount_off");
  }
  if (p.percentOff != null && p.currency != null) {
    throw validation("json.currency", "currency only goes with amount_off");
  }
  if (p.validFrom != null && p.validUntil != null && p.validUntil <= p.validFrom) {
    throw validation("json.valid_until", "must be after valid_from");
  }
  if (p.packageId != null) {
    const pkg = tx.select().from(packages).where(eq(packages.id, p.packageId)).get();
    if (!pkg) throw validation("json.package_id", "no such package");
    if (p.amountOff != null && p.currency !== pkg.currency) {
      throw validation("json.currency", `the package is priced in ${pkg.currency}`);
    }
  }
  const clash = tx.select({ id: promoCodes.id }).from(promoCodes).where(eq(promoCodes.code, p.code)).get();
  if (clash && clash.id !== selfId) throw conflict("a promo code with this code exists", { code: p.code });
}

const ms = (s: string | null | undefined) => (s == null ? null : Date.parse(s));

export const createPromoCode = (ctx: AppContext, actor: AdminActor, b: PromoCreate) =>
  write(ctx, (tx, now) => {
    const fields: PromoFields = {
      code: b.code,
      percentOff: b.percent_off ?? null,
      amountOff: b.amount_off ?? null,
      currency: b.currency ?? null,
      packageId: b.package_id ?? null,
      validFrom: ms(b.valid_from),
      validUntil: ms(b.valid_until),
    };
    checkPromo(tx, fields);
    const row = tx
      .insert(promoCodes)
      .values({
        ...fields,
        maxRedemptions: b.max_redemptions ?? null,
        perUserLimit: b.per_user_limit,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    const { id: _, created_at: _c, updated_at: _u, ...details } = serializePromo(row);
    recordAdminAction(tx, now, actor, {
      action: "promo_code.created",
      targetType: "promo_code",
      targetId: row.id,
      details,
      changed: true,
    });
    return serializePromo(row);
  });

const loadPromo = (tx: Tx, id: number) => {
  const p = tx.select().from(promoCodes).where(eq(promoCodes.id, id)).get();
  if (!p) throw notFound("promo code");
  return p;
};

export const updatePromoCode = (ctx: AppContext, actor: AdminActor, id: number, b: PromoPatch) =>
  write(ctx, (tx, now) => {
    const cur = loadPromo(tx, id);
    const next: PromoFields = {
      code: b.code ?? cur.code,
      percentOff: b.percent_off !== undefined ? b.percent_off : cur.percentOff,
      amountOff: b.amount_off !== undefined ? b.amount_off : cur.amountOff,
      currency: b.currency !== undefined ? b.currency : cur.currency,
      packageId: b.package_id !== undefined ? b.package_id : cur.packageId,
      validFrom: b.valid_from !== undefined ? ms(b.valid_from) : cur.validFrom,
      validUntil: b.valid_until !== undefined ? ms(b.valid_until) : cur.validUntil,
    };
    // Switching the kind of discount: the other kind goes unless the patch names it too.
    if (b.percent_off != null && b.amount_off === undefined) {
      next.amountOff = null;
      if (b.currency === undefined) next.currency = null;
    }
    if (b.amount_off != null && b.percent_off === undefined) next.percentOff = null;
    checkPromo(tx, next, id);
    const row = tx
      .update(promoCodes)
      .set({
        ...next,
        ...(b.max_redemptions !== undefined && { maxRedemptions: b.max_redemptions }),
        ...(b.per_user_limit !== undefined && { perUserLimit: b.per_user_limit }),
        ...(b.is_active !== undefined && { isActive: b.is_active }),
        updatedAt: now,
      })
      .where(eq(promoCodes.id, id))
      .returning()
      .get()!;
    recordAdminAction(tx, now, actor, {
      action: "promo_code.updated",
      targetType: "promo_code",
      targetId: id,
      details: { changes: b },
      changed: true,
    });
    return serializePromo(row);
  });

export const deactivatePromoCode = (ctx: AppContext, actor: AdminActor, id: number) =>
  write(ctx, (tx, now) => {
    const before = loadPromo(tx, id);
    const row = before.isActive
      ? tx
          .update(promoCodes)
          .set({ isActive: false, updatedAt: now })
          .where(eq(promoCodes.id, id))
          .returning()
          .get()!
      : before;
    recordAdminAction(tx, now, actor, {
      action: "promo_code.deactivated",
      targetType: "promo_code",
      targetId: id,
      details: { code: before.code, was_active: before.isActive },
      changed: before.isActive,
    });
    return serializePromo(row);
  });

// ---------- purchases and usage (read-only views) ----------

export function listPurchasesAdmin(
  ctx: AppContext,
  q: PageQuery & {
    user_id?: number;
    status?: PurchaseRow["status"];
    provider?: PurchaseRow["provider"];
    kind?: PurchaseRow["kind"];
  },
) {
  const conds: SQL[] = [];
  if (q.user_id !== undefined) conds.push(eq(purchases.userId, q.user_id));
  if (q.status) conds.push(eq(purchases.status, q.status));
  if (q.provider) conds.push(eq(purchases.provider, q.provider));
  if (q.kind) conds.push(eq(purchases.kind, q.kind));
  const where = conds.length ? and(...conds) : undefined;
  const { total, rows } = pageOf(ctx.db, purchases, where, q, desc(purchases.id));
  return { total, results: rows.map(serializeAdminPurchase) };
}

export function listUsageAdmin(ctx: AppContext, q: PageQuery & { user_id?: number }) {
  const where = q.user_id === undefined ? undefined : eq(usageEvents.userId, q.user_id);
  const { total, rows } = pageOf(ctx.db, usageEvents, where, q, desc(usageEvents.id));
  const allocs = new Map<number, { grant_id: number; seconds: number }[]>();
  if (rows.length) {
    for (const a of ctx.db
      .select()
      .from(usageAllocations)
      .where(
        inArray(
          usageAllocations.usageEventId,
          rows.map((r) => r.id),
        ),
      )
      .orderBy(usageAllocations.usageEventId)
      .all()) {
      const list = allocs.get(a.usageEventId) ?? [];
      list.push({ grant_id: a.grantId, seconds: a.seconds });
      allocs.set(a.usageEventId, list);
    }
  }
  return {
    total,
    results: rows.map((u) => ({
      id: u.usageId,
      user_id: u.userId,
      seconds: u.seconds,
      billed_seconds: u.billedSeconds,
      remaining_seconds: u.remainingAfter,
      service: u.service,
      occurred_at: isoOrNull(u.occurredAt),
      hold_id: u.holdId,
      allocations: allocs.get(u.id) ?? [],
      created_at: iso(u.createdAt),
    })),
  };
}

// ---------- manual minute adjustments ----------

/**
 * Gives (seconds > 0: a new grant valid `validityDays`) or takes back (seconds < 0: from the
 * grants in spend order, 402 if fewer are free) minutes, audited, in one transaction.
 */
export const adjustUserMinutes = (
  ctx: AppContext,
  actor: AdminActor,
  userId: number,
  b: { seconds: number; reason: string; validity_days: number },
) =>
  write(ctx, (tx, now) => {
    getUser(ctx, userId);
    const r = adjustMinutes(ctx, tx, {
      userId,
      seconds: b.seconds,
      reason: b.reason,
      validityDays: b.validity_days,
      actorId: actor.id,
    });
    const g = r.grants[0] ?? null;
    audit(tx, now, {
      actorId: actor.id,
      action: "minutes.adjusted",
      targetType: "user",
      targetId: userId,
      details: {
        seconds: b.seconds,
        reason: b.reason,
        ...(g ? { grant_id: g.id, validity_days: b.validity_days } : { removed_seconds: r.removed }),
      },
      ip: actor.ip,
      requestId: actor.requestId,
    });
    const { free, held } = freeSeconds(statements(ctx.sqlite), userId, now);
    return {
      user_id: userId,
      seconds: b.seconds,
      reason: b.reason,
      grant: g && {
        id: g.id,
        total_seconds: g.totalSeconds,
        remaining_seconds: g.remainingSeconds,
        purchased_at: iso(g.purchasedAt),
        expires_at: iso(g.expiresAt),
        status: g.status,
      },
      removed_seconds: r.removed,
      remaining_seconds: free,
      held_seconds: held,
    };
  });
