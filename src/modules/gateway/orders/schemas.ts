import { isIP } from "node:net";
import { GATEWAY_DIRECTIONS, GATEWAY_ORDER_STATUSES, REQUISITE_METHODS } from "../../../db/schema";
import { Currency } from "../../../lib/currency";
import { z } from "../../../lib/openapi";
import { PageQuery } from "../../../lib/pagination";

/** Fiat minor units: a positive integer JSON can carry exactly. */
const Amount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).openapi({
  description: "Fiat amount in minor units (kopecks, cents)",
  example: 150000,
});
const Method = z.enum(REQUISITE_METHODS);
const Text = (max: number) => z.string().trim().min(1).max(max);

/** An IPv4 or IPv6 address; an IPv4-mapped IPv6 address is read as the IPv4 one, case folded. */
const CustomerIp = z
  .string()
  .max(64)
  .refine((s) => isIP(s) !== 0, "must be an IPv4 or IPv6 address")
  .transform((s) => {
    const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(s);
    return mapped ? mapped[1]! : s.toLowerCase();
  })
  .openapi({
    description: "The customer's address as the merchant saw it (IPv4 or IPv6)",
    example: "203.0.113.7",
  });

const common = {
  store_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  amount: Amount,
  currency: Currency,
  client_order_id: Text(128).openapi({
    description: "The merchant's own id of the order: the same id for the same store returns the same order",
  }),
  callback_url: z.string().max(2000).optional().openapi({
    description: "Where this order's status callbacks go instead of the store's callback url",
  }),
};

export const PayinBody = z
  .strictObject({
    ...common,
    customer_id: Text(200).optional(),
    customer_ip: CustomerIp.optional(),
    payment_method: Method.optional(),
    bank: Text(100).optional(),
  })
  .openapi("GatewayPayinCreate", {
    example: {
      store_id: 1,
      amount: 150000,
      currency: "RUB",
      client_order_id: "order-1001",
      customer_id: "customer-42",
      customer_ip: "203.0.113.7",
      payment_method: "card",
    },
  });
export type PayinBody = z.infer<typeof PayinBody>;

export const Recipient = z.strictObject({
  payment_method: Method,
  bank: Text(100).optional(),
  details: Text(200),
  owner_name: Text(200).optional(),
});

export const PayoutBody = z.strictObject({ ...common, recipient: Recipient }).openapi("GatewayPayoutCreate", {
  example: {
    store_id: 1,
    amount: 500000,
    currency: "RUB",
    client_order_id: "withdrawal-77",
    recipient: {
      payment_method: "card",
      bank: "Sber",
      details: "2200 1234 5678 9010",
      owner_name: "ANNA K.",
    },
  },
});
export type PayoutBody = z.infer<typeof PayoutBody>;

const Time = z.string().nullable();

export const RequisiteView = z.object({
  payment_method: Method,
  bank: z.string(),
  details: z.string(),
  owner_name: z.string(),
});

/** The merchant's view of an order (API answers and callbacks carry the same). */
export const GatewayOrderSchema = z
  .object({
    id: z.number().int(),
    direction: z.enum(GATEWAY_DIRECTIONS),
    store_id: z.number().int(),
    client_order_id: z.string(),
    status: z.enum(GATEWAY_ORDER_STATUSES),
    amount: z.number().int(),
    currency: z.string(),
    amount_crypto: z.number().int().openapi({ description: "USDT micro-units (6 decimals)" }),
    rate: z.number().int().openapi({ description: "Fiat minor units per 1 USDT" }),
    store_commission: z.number().int(),
    payment_method: Method.nullable(),
    bank: z.string().nullable(),
    requisite: RequisiteView.nullable().openapi({ description: "Where the customer pays (pay-ins)" }),
    recipient: z.record(z.string(), z.string()).nullable(),
    customer_id: z.string().nullable(),
    status_reason: z.string().nullable(),
    dispute_reason: z.string().nullable(),
    receipts: z.array(z.enum(["customer", "trader", "dispute"])).openapi({
      description: "Receipts attached, by kind: GET /gateway/orders/{id}/receipts/{kind}",
    }),
    expires_at: Time,
    assigned_at: Time,
    customer_confirmed_at: Time,
    completed_at: Time,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("GatewayOrder");

const SelectionAttemptSchema = z.object({
  attempt: z.number().int(),
  at: z.string(),
  considered: z.number().int(),
  chosen: z.object({ requisite_id: z.number().int(), trader_id: z.number().int() }).nullable(),
  rejected_counts: z.record(z.string(), z.number().int()),
  rejected: z.array(
    z.object({ requisite_id: z.number().int(), trader_id: z.number().int(), reason: z.string() }),
  ),
});

/** Support's and admins' view: routing, fraud decision and the money split too. */
export const StaffOrderSchema = GatewayOrderSchema.extend({
  requisite_id: z.number().int().nullable(),
  trader_id: z.number().int().nullable(),
  trader_commission: z.number().int().nullable(),
  customer_ip: z.string().nullable(),
  fraud: z.object({
    decision: z.enum(["allow", "review", "deny"]),
    reasons: z.array(z.object({ code: z.string(), message: z.string() })),
  }),
  selection_log: z.array(SelectionAttemptSchema),
  retries: z.number().int(),
  excluded_traders: z.array(z.number().int()),
}).openapi("GatewayStaffOrder");

/** An order as its caller sees it: staff get the staff view, the merchant and the trader the other. */
export const OrderForCaller = z.union([StaffOrderSchema, GatewayOrderSchema]);

export const OrderListQuery = PageQuery.extend({
  store_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  status: z.enum(GATEWAY_ORDER_STATUSES).optional(),
  direction: z.enum(GATEWAY_DIRECTIONS).optional(),
});
export type OrderListQuery = z.infer<typeof OrderListQuery>;

export const OrderCallbackSchema = z
  .object({
    id: z.number().int(),
    message_id: z.string().openapi({ description: "The `webhook-id` header, stable across retries" }),
    event_type: z.string(),
    url: z.string(),
    status: z.enum(["pending", "succeeded", "failed"]),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("GatewayOrderCallback");
