import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { groupCommit } from "../../../db/group-commit";
import { prepare, preparedPer } from "../../../db/prepared";
import { sha256Hex } from "../../../lib/crypto";
import { ApiError, notFound, validation } from "../../../lib/errors";
import { audit } from "../../platform/audit";
import { emit } from "../../platform/events/service";
import { checkWebhookUrl } from "../../platform/webhooks/url-guard";
import { commission, toCrypto } from "../money";
import { assignOrRetry } from "./assign";
import { checkFraud } from "./fraud";
import { holdPayoutStore } from "./moves";
import type { PayinBody, PayoutBody } from "./schemas";
import type { GatewayOrderRow, RequisiteRow } from "./serialize";
import { findGatewayOrder, findRequisite, type GatewayActor, moveOrder } from "./status";

export type CreateInput = { direction: "payin"; body: PayinBody } | { direction: "payout"; body: PayoutBody };

export type CreateResult = {
  /** False when the same request was made before: the existing order is answered (200). */
  created: boolean;
  order: GatewayOrderRow;
  requisite: RequisiteRow | undefined;
};

type InsertParams = [
  string,
  number,
  string,
  string,
  number,
  string,
  number,
  number,
  number,
  number,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  string,
  string,
  number,
];

// Pay-in creation is the hot path: its lookups are prepared once per connection.
const stmts = preparedPer((db) => ({
  store: prepare<{ merchant_id: number; active: number; pay_in_bps: number; pay_out_bps: number }, [number]>(
    db,
    "SELECT merchant_id, active, pay_in_bps, pay_out_bps FROM gateway_stores WHERE id = ?",
  ),
  existing: prepare<{ id: number; request_hash: string }, [number, string]>(
    db,
    "SELECT id, request_hash FROM gateway_orders WHERE store_id = ? AND client_order_id = ?",
  ),
  rate: prepare<{ rate: number }, [string]>(db, "SELECT rate FROM gateway_rates WHERE currency = ?"),
  insert: prepare<{ id: number }, InsertParams>(
    db,
    `INSERT INTO gateway_orders (direction, store_id, client_order_id, request_hash, status, amount, currency,
       rate, amount_crypto, store_bps, store_commission, payment_method, bank, customer_id, customer_ip,
       recipient, callback_url, fraud_decision, fraud_reasons, selection_log, excluded_traders, retries,
       usage_day, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
       '[]', '[]', 0, 0, ?19, ?19)
     ON CONFLICT (store_id, client_order_id) DO NOTHING RETURNING id`,
  ),
}));

/** JSON with object keys sorted at every level and undefined left out: one text per meaning. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x ?? null)).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export const requestHashOf = (input: CreateInput) =>
  sha256Hex(canonicalJson({ direction: input.direction, ...input.body }));

/** Thrown inside the transaction when another request inserted the same client order id first. */
class LostRace extends Error {}

/** The earlier order of this client order id: the same request gets it back, another is a conflict. */
function replay(ctx: AppContext, id: number, storedHash: string, hash: string): CreateResult {
  if (storedHash !== hash) {
    throw new ApiError(
      "idempotency_conflict",
      "this client_order_id was already used for this store with a different request",
      { order_id: id },
    );
  }
  const order = findGatewayOrder(ctx.db, id)!;
  return { created: false, order, requisite: findRequisite(ctx.db, order.requisiteId) };
}

/**
 * Creates a pay-in or pay-out for the merchant's store, all in one transaction: the order (`new`,
 * with its fraud decision), then deny -> `failed`, review -> `review`, allow -> (pay-out: the
 * store's hold, 402 rolling everything back) selection with its hold, or `retrying`.
 * Idempotent on (store, client_order_id).
 */
export async function createGatewayOrder(
  ctx: AppContext,
  merchantId: number,
  actor: GatewayActor,
  input: CreateInput,
): Promise<CreateResult> {
  const { body } = input;
  // DNS may be asked: before the transaction, which must not wait.
  if (body.callback_url !== undefined) {
    const check = await checkWebhookUrl(ctx, body.callback_url);
    if (!check.ok) throw validation("json.callback_url", `callback url refused: ${check.reason}`);
  }
  const hash = requestHashOf(input);
  try {
    // Group commit (db/group-commit.ts): the pay-ins of one event-loop turn share a COMMIT, each in
    // its own savepoint (the transaction below nests as one), answered after that COMMIT.
    return await groupCommit(ctx.sqlite).run(() =>
      ctx.db.transaction((tx) => createIn(ctx, tx, merchantId, actor, input, hash), {
        behavior: "immediate",
      }),
    );
  } catch (e) {
    if (!(e instanceof LostRace)) throw e;
    const prior = stmts(ctx.db).existing.get(body.store_id, body.client_order_id);
    if (!prior) throw e;
    return replay(ctx, prior.id, prior.request_hash, hash);
  }
}

function createIn(
  ctx: AppContext,
  tx: Tx,
  merchantId: number,
  actor: GatewayActor,
  { direction, body }: CreateInput,
  hash: string,
): CreateResult {
  const st = stmts(tx);
  const store = st.store.get(body.store_id);
  if (!store || store.merchant_id !== merchantId) throw notFound("store");
  const prior = st.existing.get(body.store_id, body.client_order_id);
  if (prior) return replay(ctx, prior.id, prior.request_hash, hash);
  if (!store.active) throw notFound("store");

  const rate = st.rate.get(body.currency)?.rate;
  if (rate == null)
    throw validation("json.currency", `the gateway has no exchange rate for ${body.currency}`);
  const amountCrypto = toCrypto(body.amount, rate);
  if (amountCrypto < 1)
    throw validation("json.amount", `the amount is worth less than 0.000001 USDT at the rate ${rate}`);
  const storeBps = direction === "payin" ? store.pay_in_bps : store.pay_out_bps;
  const storeCommission = commission(amountCrypto, storeBps);
  if (!Number.isSafeInteger(amountCrypto + storeCommission))
    throw validation("json.amount", "the amount is too large");

  const payin = direction === "payin" ? (body as PayinBody) : null;
  const payout = direction === "payout" ? (body as PayoutBody) : null;
  const customerId = payin?.customer_id ?? null;
  const customerIp = payin?.customer_ip ?? null;
  const fraud = checkFraud(ctx, tx, { storeId: body.store_id, amountCrypto, customerId, customerIp });

  const now = ctx.clock.now();
  const recipient = payout
    ? (Object.fromEntries(Object.entries(payout.recipient).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >)
    : null;
  const row: Omit<GatewayOrderRow, "id"> = {
    direction,
    storeId: body.store_id,
    clientOrderId: body.client_order_id,
    requestHash: hash,
    status: "new",
    amount: body.amount,
    currency: body.currency,
    rate,
    amountCrypto,
    storeBps,
    storeCommission,
    traderBps: null,
    traderCommission: null,
    paymentMethod: payout ? payout.recipient.payment_method : (payin?.payment_method ?? null),
    bank: payout ? (payout.recipient.bank ?? null) : (payin?.bank ?? null),
    requisiteId: null,
    traderId: null,
    usageDay: 0,
    customerId,
    customerIp,
    recipient,
    callbackUrl: body.callback_url ?? null,
    fraudDecision: fraud.decision,
    fraudReasons: fraud.reasons,
    selectionLog: [],
    excludedTraders: [],
    retries: 0,
    statusReason: null,
    customerReceiptId: null,
    traderReceiptId: null,
    disputeReceiptId: null,
    disputeReason: null,
    disputedFrom: null,
    assignedAt: null,
    customerConfirmedAt: null,
    expiresAt: null,
    completedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  // Built here rather than read back: the statement is prepared once (Drizzle's builder costs more
  // than the insert itself on this path).
  const id = st.insert.get(
    row.direction,
    row.storeId,
    row.clientOrderId,
    row.requestHash,
    row.amount,
    row.currency,
    row.rate,
    row.amountCrypto,
    row.storeBps,
    row.storeCommission,
    row.paymentMethod,
    row.bank,
    row.customerId,
    row.customerIp,
    recipient === null ? null : JSON.stringify(recipient),
    row.callbackUrl,
    row.fraudDecision,
    JSON.stringify(row.fraudReasons),
    now,
  )?.id;
  if (id === undefined) throw new LostRace();
  const inserted: GatewayOrderRow = { id, ...row };

  const details = {
    from: null,
    to: "new",
    store_id: inserted.storeId,
    direction,
    client_order_id: inserted.clientOrderId,
    amount: inserted.amount,
    currency: inserted.currency,
    amount_crypto: amountCrypto,
    fraud_decision: fraud.decision,
    fraud_reasons: fraud.reasons,
  };
  emit(tx, now, {
    type: "gateway.order.new",
    actorId: actor.id,
    subjectType: "gateway_order",
    subjectId: inserted.id,
    payload: details,
  });
  // The fraud decision is audited with the creation; the status change that follows has its own row.
  audit(tx, now, {
    actorId: actor.id,
    action: "gateway.order.new",
    targetType: "gateway_order",
    targetId: inserted.id,
    details,
    ip: actor.ip ?? null,
    requestId: actor.requestId ?? null,
  });

  let order: GatewayOrderRow;
  if (fraud.decision === "deny") {
    order = moveOrder(ctx, tx, inserted, "failed", {
      actor,
      reason: `fraud: ${fraud.reasons.map((r) => r.message).join("; ")}`,
      details: { fraud_reasons: fraud.reasons },
    });
  } else if (fraud.decision === "review") {
    order = moveOrder(ctx, tx, inserted, "review", {
      actor,
      reason: `fraud review: ${fraud.reasons.map((r) => r.message).join("; ")}`,
      details: { fraud_reasons: fraud.reasons },
    });
  } else {
    if (direction === "payout") holdPayoutStore(ctx, tx, inserted);
    order = assignOrRetry(ctx, tx, inserted, actor);
  }
  return { created: true, order, requisite: findRequisite(tx, order.requisiteId) };
}
