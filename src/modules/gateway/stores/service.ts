import { randomUUID } from "node:crypto";
import { and, desc, eq, type SQL } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { gatewayStores } from "../../../db/schema";
import { write } from "../../../db/write";
import { notFound, validation } from "../../../lib/errors";
import { type PageQuery, pageOf } from "../../../lib/pagination";
import { iso } from "../../../lib/time";
import type { AdminActor } from "../../accounts/admin";
import { type AccountRef, balanceOf, transfer } from "../../ledger/service";
import { recordAdminAction } from "../../platform/audit";
import { emit } from "../../platform/events/service";
import { resealOwnedEndpoints } from "../../platform/webhooks/endpoints";
import { newWebhookSecret, sealSecret } from "../../platform/webhooks/secrets";
import { checkWebhookUrl } from "../../platform/webhooks/url-guard";
import { storeOwner } from "../callbacks";
import { gatewayClearing, storeAvailable, storeHeld, USDT, usdtBalance } from "../money";
import type { AdminStorePatch, AdminStoresQuery, StoreCreate, StorePatch, WithdrawInput } from "./schemas";

type StoreRow = typeof gatewayStores.$inferSelect;

export const serializeStore = (s: StoreRow) => ({
  id: s.id,
  merchant_id: s.merchantId,
  name: s.name,
  callback_url: s.callbackUrl,
  pay_in_bps: s.payInBps,
  pay_out_bps: s.payOutBps,
  active: s.active,
  created_at: iso(s.createdAt),
  updated_at: iso(s.updatedAt),
});

/** A store's USDT balance: what it may withdraw, and what open pay-outs hold. */
export const storeBalance = (db: Queryable, storeId: number) =>
  usdtBalance(db, storeAvailable(storeId), storeHeld(storeId));

const serializeAdminStore = (db: Queryable, s: StoreRow) => ({
  ...serializeStore(s),
  balance: storeBalance(db, s.id),
});

/** A merchant's own store; another merchant's is not found. */
export function loadOwnStore(db: Queryable, id: number, merchantId: number): StoreRow {
  const s = db
    .select()
    .from(gatewayStores)
    .where(and(eq(gatewayStores.id, id), eq(gatewayStores.merchantId, merchantId)))
    .get();
  if (!s) throw notFound("store");
  return s;
}

function loadStore(db: Queryable, id: number): StoreRow {
  const s = db.select().from(gatewayStores).where(eq(gatewayStores.id, id)).get();
  if (!s) throw notFound("store");
  return s;
}

/** 400 unless the SSRF guard accepts the url; DNS runs here, before any transaction. */
async function assertCallbackUrl(ctx: AppContext, url: string) {
  const check = await checkWebhookUrl(ctx, url);
  if (!check.ok) throw validation("json.callback_url", check.reason);
}

/** A new store of the merchant, with commissions at 0 until an admin sets them; the secret is returned once. */
export async function createStore(ctx: AppContext, merchantId: number, b: StoreCreate) {
  if (b.callback_url !== undefined) await assertCallbackUrl(ctx, b.callback_url);
  const secret = newWebhookSecret();
  const sealed = sealSecret(ctx.jwtSecret, secret);
  return write(ctx, (tx, now) => {
    const store = tx
      .insert(gatewayStores)
      .values({
        merchantId,
        name: b.name,
        callbackUrl: b.callback_url ?? null,
        callbackSecretSealed: sealed,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    emit(tx, now, {
      type: "gateway.store.created",
      actorId: merchantId,
      subjectType: "gateway_store",
      subjectId: store.id,
      payload: { merchant_id: merchantId, name: store.name, callback_url: store.callbackUrl },
    });
    return { ...serializeStore(store), callback_secret: secret };
  });
}

export function listOwnStores(ctx: AppContext, merchantId: number, q: PageQuery) {
  const { total, rows } = pageOf(
    ctx.db,
    gatewayStores,
    eq(gatewayStores.merchantId, merchantId),
    q,
    desc(gatewayStores.id),
  );
  return { total, results: rows.map(serializeStore) };
}

/** The merchant changes the name or the callback url; commissions and `active` are the admins'. */
export async function updateOwnStore(ctx: AppContext, merchantId: number, id: number, b: StorePatch) {
  // Not found before the DNS lookup: someone else's store id answers 404 however the url looks.
  loadOwnStore(ctx.db, id, merchantId);
  if (b.callback_url != null) await assertCallbackUrl(ctx, b.callback_url);
  return write(ctx, (tx, now) => {
    const before = loadOwnStore(tx, id, merchantId);
    const set: Partial<StoreRow> = {};
    if (b.name !== undefined && b.name !== before.name) set.name = b.name;
    if (b.callback_url !== undefined && b.callback_url !== before.callbackUrl)
      set.callbackUrl = b.callback_url;
    if (Object.keys(set).length === 0) return serializeStore(before);
    const after = tx
      .update(gatewayStores)
      .set({ ...set, updatedAt: now })
      .where(eq(gatewayStores.id, id))
      .returning()
      .get();
    emit(tx, now, {
      type: "gateway.store.updated",
      actorId: merchantId,
      subjectType: "gateway_store",
      subjectId: id,
      payload: { changes: changesOf(before, after, Object.keys(set) as (keyof StoreRow)[]) },
    });
    return serializeStore(after);
  });
}

const FIELD_NAMES: Partial<Record<keyof StoreRow, string>> = {
  name: "name",
  callbackUrl: "callback_url",
  payInBps: "pay_in_bps",
  payOutBps: "pay_out_bps",
  active: "active",
};

/** `{field: {from, to}}` in API field names. */
function changesOf(before: StoreRow, after: StoreRow, keys: (keyof StoreRow)[]) {
  return Object.fromEntries(keys.map((k) => [FIELD_NAMES[k] ?? k, { from: before[k], to: after[k] }]));
}

/**
 * A new callback secret, returned once. Every callback endpoint of the store is resealed in the
 * same transaction, so no callback is signed with the old secret after this answer.
 */
export function rotateStoreSecret(ctx: AppContext, merchantId: number, id: number) {
  const secret = newWebhookSecret();
  const sealed = sealSecret(ctx.jwtSecret, secret);
  return write(ctx, (tx, now) => {
    loadOwnStore(tx, id, merchantId);
    const store = tx
      .update(gatewayStores)
      .set({ callbackSecretSealed: sealed, updatedAt: now })
      .where(eq(gatewayStores.id, id))
      .returning()
      .get();
    resealOwnedEndpoints(ctx, tx, storeOwner(id), sealed);
    emit(tx, now, {
      type: "gateway.store.secret_rotated",
      actorId: merchantId,
      subjectType: "gateway_store",
      subjectId: id,
    });
    return { ...serializeStore(store), callback_secret: secret };
  });
}

export function listStoresForAdmin(ctx: AppContext, q: AdminStoresQuery) {
  const conds: SQL[] = [];
  if (q.merchant_id !== undefined) conds.push(eq(gatewayStores.merchantId, q.merchant_id));
  if (q.active !== undefined) conds.push(eq(gatewayStores.active, q.active === "true"));
  const { total, rows } = pageOf(ctx.db, gatewayStores, and(...conds), q, desc(gatewayStores.id));
  return { total, results: rows.map((s) => serializeAdminStore(ctx.db, s)) };
}

/** Commissions and the on/off switch of a store, audited with before and after. */
export function adminUpdateStore(ctx: AppContext, actor: AdminActor, id: number, b: AdminStorePatch) {
  return write(ctx, (tx, now) => {
    const before = loadStore(tx, id);
    const set: Partial<StoreRow> = {};
    if (b.pay_in_bps !== undefined) set.payInBps = b.pay_in_bps;
    if (b.pay_out_bps !== undefined) set.payOutBps = b.pay_out_bps;
    if (b.active !== undefined) set.active = b.active;
    const after = tx
      .update(gatewayStores)
      .set({ ...set, updatedAt: now })
      .where(eq(gatewayStores.id, id))
      .returning()
      .get();
    const keys = (Object.keys(set) as (keyof StoreRow)[]).filter((k) => before[k] !== after[k]);
    const pick = (s: StoreRow) => ({ pay_in_bps: s.payInBps, pay_out_bps: s.payOutBps, active: s.active });
    recordAdminAction(tx, now, actor, {
      action: "gateway.store.updated",
      targetType: "gateway_store",
      targetId: id,
      details: { before: pick(before), after: pick(after), changes: changesOf(before, after, keys) },
      changed: keys.length > 0,
    });
    return serializeAdminStore(tx, after);
  });
}

/**
 * Pays USDT out of a store's available balance to the gateway clearing account (a ledger
 * `payout`), audited with the balance before and after. The ledger key is the caller's
 * Idempotency-Key (scoped to the actor and the store) or a fresh id: a retry never pays twice.
 */
export function withdrawFromStore(
  ctx: AppContext,
  actor: AdminActor,
  id: number,
  b: WithdrawInput,
  idempotencyKey?: string,
) {
  const key = `gateway-store-withdraw:${actor.id}:${id}:${idempotencyKey ?? randomUUID()}`;
  return write(ctx, (tx, now) => {
    loadStore(tx, id);
    const result = adminMoneyMove(ctx, tx, {
      from: storeAvailable(id),
      to: gatewayClearing(),
      measure: "from",
      amount: b.amount,
      note: b.note,
      kind: "payout",
      key,
      reference: { type: "gateway_store", id },
      actorId: actor.id,
    });
    if (result.applied) {
      const { applied: _, ...details } = result;
      recordAdminAction(tx, now, actor, {
        action: "gateway.store.withdrawn",
        targetType: "gateway_store",
        targetId: id,
        details: { store_id: id, ...details },
        changed: true,
      });
    }
    const { applied, ...move } = result;
    return { result: { store_id: id, ...move }, applied };
  });
}

/**
 * One admin movement of USDT with the measured account's balance before and after kept in the
 * transfer's metadata, so a replay answers what the first movement saw.
 */
export function adminMoneyMove(
  ctx: AppContext,
  tx: Tx,
  m: {
    from: AccountRef;
    to: AccountRef;
    /** Whose balance before and after the answer reports. */
    measure: "from" | "to";
    amount: number;
    note: string;
    kind: "payout" | "adjustment";
    key: string;
    reference: { type: string; id: number };
    actorId: number;
  },
) {
  const before = balanceOf(tx, m[m.measure]);
  const sign = m.measure === "from" ? -1 : 1;
  const t = transfer(ctx, tx, {
    from: m.from,
    to: m.to,
    amount: m.amount,
    kind: m.kind,
    idempotencyKey: m.key,
    reference: m.reference,
    metadata: {
      note: m.note,
      actor_id: m.actorId,
      balance_before: before,
      balance_after: before + sign * m.amount,
    },
  });
  const meta = t.transfer.metadata as { note: string; balance_before: number; balance_after: number };
  return {
    transfer_id: t.transfer.id,
    amount: t.transfer.amount,
    currency: USDT as "USDT",
    note: meta.note,
    balance_before: meta.balance_before,
    balance_after: meta.balance_after,
    created_at: iso(t.transfer.createdAt),
    applied: t.applied,
  };
}
