import type { gatewayOrders, gatewayRequisites } from "../../../db/schema";
import { iso, isoOrNull } from "../../../lib/time";

export type GatewayOrderRow = typeof gatewayOrders.$inferSelect;
export type RequisiteRow = typeof gatewayRequisites.$inferSelect;

export const RECEIPT_KINDS = ["customer", "trader", "dispute"] as const;
export type ReceiptKind = (typeof RECEIPT_KINDS)[number];

export const receiptIdOf = (o: GatewayOrderRow, kind: ReceiptKind): number | null =>
  kind === "customer" ? o.customerReceiptId : kind === "trader" ? o.traderReceiptId : o.disputeReceiptId;

/** What the merchant (API answers and callbacks) sees of an order. */
export function serializeOrder(o: GatewayOrderRow, requisite: RequisiteRow | null | undefined) {
  return {
    id: o.id,
    direction: o.direction,
    store_id: o.storeId,
    client_order_id: o.clientOrderId,
    status: o.status,
    amount: o.amount,
    currency: o.currency,
    amount_crypto: o.amountCrypto,
    rate: o.rate,
    store_commission: o.storeCommission,
    payment_method: o.paymentMethod,
    bank: o.bank,
    requisite:
      o.direction === "payin" && requisite
        ? {
            payment_method: requisite.paymentMethod,
            bank: requisite.bank,
            details: requisite.details,
            owner_name: requisite.ownerName,
          }
        : null,
    recipient: o.recipient ?? null,
    customer_id: o.customerId,
    status_reason: o.statusReason,
    dispute_reason: o.disputeReason,
    /** Receipts attached to the order, by kind: download at /gateway/orders/{id}/receipts/{kind}. */
    receipts: RECEIPT_KINDS.filter((k) => receiptIdOf(o, k) != null),
    expires_at: isoOrNull(o.expiresAt),
    assigned_at: isoOrNull(o.assignedAt),
    customer_confirmed_at: isoOrNull(o.customerConfirmedAt),
    completed_at: isoOrNull(o.completedAt),
    created_at: iso(o.createdAt),
    updated_at: iso(o.updatedAt),
  };
}

/** Staff (support, admins) also see routing, fraud and money split. */
export function serializeOrderForStaff(o: GatewayOrderRow, requisite: RequisiteRow | null | undefined) {
  return {
    ...serializeOrder(o, requisite),
    requisite_id: o.requisiteId,
    trader_id: o.traderId,
    trader_commission: o.traderCommission,
    customer_ip: o.customerIp,
    fraud: { decision: o.fraudDecision, reasons: o.fraudReasons },
    selection_log: o.selectionLog,
    retries: o.retries,
    excluded_traders: o.excludedTraders,
  };
}
