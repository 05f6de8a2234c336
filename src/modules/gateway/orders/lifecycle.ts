import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { type GatewayOrderStatus, gatewayOrders, gatewayStores, gatewayTraders } from "../../../db/schema";
import { write } from "../../../db/write";
import { clientIpOf } from "../../../http/client-ip";
import type { AppEnv, Principal } from "../../../http/types";
import { ApiError, conflict, forbidden, notFound, validation } from "../../../lib/errors";
import { insertFile, isMultipart, readUpload, storeUpload, type Upload } from "../../../lib/files";
import { z } from "../../../lib/openapi";
import { isoOrNull } from "../../../lib/time";
import { audit } from "../../platform/audit";
import { assignOrRetry } from "./assign";
import { HOLDS_REQUISITE } from "./machine";
import { holdPayoutStore, releasePayin, returnRequisiteShare, settleOrder } from "./moves";
import { type GatewayOrderRow, type RequisiteRow, serializeOrder, serializeOrderForStaff } from "./serialize";
import { findRequisite, type GatewayActor, loadGatewayOrder, moveOrder } from "./status";

export type TraderRow = typeof gatewayTraders.$inferSelect;

/** The person behind a request, as the order's audit rows record them. */
export const gatewayActorOf = (c: Context<AppEnv>): GatewayActor => ({
  id: c.get("principal")?.user.id ?? null,
  ip: clientIpOf(c),
  requestId: c.get("requestId"),
});

/** An order of a store the caller owns; anyone else's is not found. */
export function merchantOrder(db: Queryable, p: Principal, id: number): GatewayOrderRow {
  const row = db
    .select({ order: gatewayOrders, merchantId: gatewayStores.merchantId })
    .from(gatewayOrders)
    .innerJoin(gatewayStores, eq(gatewayStores.id, gatewayOrders.storeId))
    .where(eq(gatewayOrders.id, id))
    .get();
  if (!row || row.merchantId !== p.user.id) throw notFound("gateway order");
  return row.order;
}

/** The caller's trader row: a user without one (an admin, a trader not yet set up) has no orders to work. */
export function traderFor(db: Queryable, p: Principal): TraderRow {
  const t = db.select().from(gatewayTraders).where(eq(gatewayTraders.userId, p.user.id)).get();
  if (!t) throw forbidden("you are not a gateway trader");
  return t;
}

/** An order currently routed to this trader; anyone else's (or one handed on) is not found. */
export function traderOrder(db: Queryable, traderId: number, id: number): GatewayOrderRow {
  const o = db
    .select()
    .from(gatewayOrders)
    .where(and(eq(gatewayOrders.id, id), eq(gatewayOrders.traderId, traderId)))
    .get();
  if (!o) throw notFound("gateway order");
  return o;
}

/**
 * What a trader sees of an order routed to them: their requisite (both directions), whom to pay
 * for a pay-out, their own commission; not the store's terms or the customer's identity.
 */
export function serializeOrderForTrader(o: GatewayOrderRow, requisite: RequisiteRow | null | undefined) {
  return {
    id: o.id,
    direction: o.direction,
    status: o.status,
    amount: o.amount,
    currency: o.currency,
    amount_crypto: o.amountCrypto,
    rate: o.rate,
    trader_commission: o.traderCommission,
    requisite: requisite
      ? {
          id: requisite.id,
          payment_method: requisite.paymentMethod,
          bank: requisite.bank,
          details: requisite.details,
          owner_name: requisite.ownerName,
        }
      : null,
    recipient: o.direction === "payout" ? (o.recipient ?? null) : null,
    customer_confirmed: o.customerConfirmedAt != null,
    status_reason: o.statusReason,
    expires_at: isoOrNull(o.expiresAt),
    assigned_at: isoOrNull(o.assignedAt),
    customer_confirmed_at: isoOrNull(o.customerConfirmedAt),
    completed_at: isoOrNull(o.completedAt),
    created_at: new Date(o.createdAt).toISOString(),
    updated_at: new Date(o.updatedAt).toISOString(),
  };
}

/**
 * A body that is either JSON or multipart with the same fields as text plus an optional file in
 * `receipt`; no body at all is an empty object. The fields are checked against `schema` (strict),
 * the file by its bytes (415 unless PDF/PNG/JPEG/WebP).
 */
export async function readBodyWithReceipt<T extends z.ZodType>(
  c: Context<AppEnv>,
  schema: T,
): Promise<{ body: z.infer<T>; receipt: Upload | null }> {
  if (!isMultipart(c.req.header("content-type"))) {
    // What the route's JSON validator parsed (an empty object when nothing was sent).
    const json = (c.req as unknown as { valid(target: "json"): unknown }).valid("json");
    return { body: parseFields(schema, "json", json ?? {}), receipt: null };
  }
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw validation("form", "malformed multipart body");
  }
  const fields: Record<string, string> = {};
  let hasFile = false;
  for (const [k, v] of form.entries()) {
    if (k === "receipt") {
      if (typeof v === "string") throw validation("form.receipt", "the receipt must be a file");
      hasFile = true;
    } else fields[k] = typeof v === "string" ? v : "";
  }
  const body = parseFields(schema, "form", fields);
  // readUpload reads the same parsed form (Hono keeps it), so files are judged in one place.
  return { body, receipt: hasFile ? await readUpload(c, "receipt") : null };
}

function parseFields<T extends z.ZodType>(schema: T, target: string, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ApiError("validation_failed", "request validation failed", {
    issues: parsed.error.issues.map((i) => ({
      path: [target, ...i.path.map(String)].join("."),
      message: i.message,
    })),
  });
}

/**
 * One write with an optional receipt: the bytes go to disk first, their row and the change in one
 * synchronous transaction, and the bytes are removed if that transaction refuses.
 */
export function writeWithReceipt<T>(
  ctx: AppContext,
  ownerId: number,
  receipt: Upload | null,
  fn: (tx: Tx, now: number, receiptId: number | null) => T,
): Promise<T> {
  if (!receipt) return Promise.resolve(write(ctx, (tx, now) => fn(tx, now, null)));
  return storeUpload(ctx, receipt, ({ storageKey, sha256 }) =>
    write(ctx, (tx, now) => {
      const f = insertFile(tx, now, {
        ownerId,
        purpose: "gateway_receipt",
        upload: receipt,
        storageKey,
        sha256,
      });
      return fn(tx, now, f.id);
    }),
  );
}

/** The store's merchant says its customer paid a pay-in: assigned -> customer_confirmed, more time. */
export function customerConfirm(
  ctx: AppContext,
  p: Principal,
  actor: GatewayActor,
  id: number,
  receipt: Upload | null,
) {
  return writeWithReceipt(ctx, p.user.id, receipt, (tx, now, receiptId) => {
    const o = merchantOrder(tx, p, id);
    // The path names a pay-in: a pay-out id is not one.
    if (o.direction !== "payin") throw notFound("pay-in");
    if (o.status === "assigned" && o.expiresAt != null && o.expiresAt <= now) {
      // The sweep has not run yet, but the window closed: no extension after the fact.
      throw conflict("the payment window has closed", { expires_at: isoOrNull(o.expiresAt) });
    }
    const row = moveOrder(ctx, tx, o, "customer_confirmed", {
      actor,
      set: {
        customerConfirmedAt: now,
        expiresAt: now + ctx.settings.get("gateway_confirm_grace_seconds") * 1000,
        customerReceiptId: receiptId,
      },
      details: { receipt_file_id: receiptId },
    });
    return serializeOrder(row, findRequisite(tx, row.requisiteId));
  });
}

/**
 * The trader's order while it holds their requisite (assigned or customer-confirmed). A disputed,
 * cancelled or expired one is support's: its hold is gone, so a trader's confirmation would be
 * paid from another order's hold, and a cancel would give back a daily share twice.
 */
function openTraderOrder(tx: Tx, traderId: number, id: number, to: GatewayOrderStatus): GatewayOrderRow {
  const o = traderOrder(tx, traderId, id);
  if (!HOLDS_REQUISITE.has(o.status)) {
    throw new ApiError("invalid_transition", `the trader cannot move a ${o.status} order`, {
      from: o.status,
      to,
    });
  }
  return o;
}

/**
 * The trader confirms: the customer's money arrived (pay-in), or they paid the recipient (pay-out,
 * with the receipt). Completed, and the money settles in the same transaction.
 */
export function traderConfirm(
  ctx: AppContext,
  p: Principal,
  actor: GatewayActor,
  id: number,
  receipt: Upload | null,
) {
  return writeWithReceipt(ctx, p.user.id, receipt, (tx, now, receiptId) => {
    const trader = traderFor(tx, p);
    const o = openTraderOrder(tx, trader.id, id, "completed");
    if (o.direction === "payout" && receiptId == null) {
      throw validation("receipt", "a pay-out is confirmed with the transfer's receipt");
    }
    const row = moveOrder(ctx, tx, o, "completed", {
      actor,
      set: { completedAt: now, ...(receiptId == null ? {} : { traderReceiptId: receiptId }) },
      details: { receipt_file_id: receiptId },
    });
    settleOrder(ctx, tx, row);
    return serializeOrderForTrader(row, findRequisite(tx, row.requisiteId));
  });
}

/**
 * The trader gives an order up. A pay-in is cancelled and its hold and daily share return; a
 * pay-out goes back to selection without this trader (another one, retrying, or failed).
 */
export function traderCancel(ctx: AppContext, p: Principal, actor: GatewayActor, id: number, reason: string) {
  return write(ctx, (tx) => {
    const trader = traderFor(tx, p);
    const o = openTraderOrder(tx, trader.id, id, "cancelled");
    if (o.direction === "payin") {
      const row = moveOrder(ctx, tx, o, "cancelled", { actor, reason, details: { by: "trader" } });
      releasePayin(ctx, tx, o);
      returnRequisiteShare(tx, o);
      return serializeOrderForTrader(row, findRequisite(tx, row.requisiteId));
    }
    if (o.status !== "assigned") {
      throw new ApiError("invalid_transition", `a ${o.status} pay-out cannot be handed back`, {
        from: o.status,
        to: "retrying",
      });
    }
    returnRequisiteShare(tx, o);
    const excluded = [...new Set([...o.excludedTraders, trader.id])];
    const handedBack = tx
      .update(gatewayOrders)
      .set({ excludedTraders: excluded })
      .where(eq(gatewayOrders.id, o.id))
      .returning()
      .get()!;
    // The hand-back itself is on record; the status change that follows is the selection's.
    auditHandBack(ctx, tx, actor, o, reason);
    const row = assignOrRetry(ctx, tx, handedBack, actor);
    // Theirs no more: the trader sees where it went, not the next trader's requisite.
    return serializeOrderForTrader(row, null);
  });
}

function auditHandBack(ctx: AppContext, tx: Tx, actor: GatewayActor, o: GatewayOrderRow, reason: string) {
  auditOrder(ctx, tx, actor, o, "gateway.order.trader_cancelled", {
    reason,
    trader_id: o.traderId,
    requisite_id: o.requisiteId,
  });
}

/** An audit row about an order that is not a status change (moveOrder writes those). */
export function auditOrder(
  ctx: AppContext,
  tx: Tx,
  actor: GatewayActor,
  o: GatewayOrderRow,
  action: string,
  details: Record<string, unknown>,
) {
  audit(tx, ctx.clock.now(), {
    actorId: actor.id,
    action,
    targetType: "gateway_order",
    targetId: o.id,
    details,
    ip: actor.ip ?? null,
    requestId: actor.requestId ?? null,
  });
}

/**
 * Support decides an order fraud sent to review. Allow routes it (a pay-out first holds its amount
 * from the store: 402 when the store is short, and nothing changes); deny fails it.
 */
export function reviewOrder(
  ctx: AppContext,
  actor: GatewayActor,
  id: number,
  decision: "allow" | "deny",
  reason?: string,
) {
  return write(ctx, (tx) => {
    const o = loadGatewayOrder(tx, id);
    if (o.status !== "review") {
      throw new ApiError("invalid_transition", `a ${o.status} order is not waiting for review`, {
        from: o.status,
        to: decision === "allow" ? "assigned" : "failed",
      });
    }
    let row: GatewayOrderRow;
    if (decision === "deny") {
      row = moveOrder(ctx, tx, o, "failed", {
        actor,
        reason: reason ?? "denied by support review",
        details: { decision },
      });
    } else {
      if (o.direction === "payout") holdPayoutStore(ctx, tx, o);
      auditOrder(ctx, tx, actor, o, "gateway.order.review_allowed", { decision, reason: reason ?? null });
      row = assignOrRetry(ctx, tx, o, actor);
    }
    return serializeOrderForStaffRow(tx, row);
  });
}

export const serializeOrderForStaffRow = (db: Queryable, o: GatewayOrderRow) =>
  serializeOrderForStaff(o, findRequisite(db, o.requisiteId));

/** Text a person types about an order (a cancel, a dispute). */
export const ReasonText = z.string().trim().min(1).max(1000);
