import { GATEWAY_DIRECTIONS, GATEWAY_ORDER_STATUSES, REQUISITE_METHODS } from "../../../db/schema";
import { z } from "../../../lib/openapi";
import { PageQuery } from "../../../lib/pagination";

const Reason = z.string().trim().min(1).max(1000);
const Time = z.string().nullable();

const RequisiteView = z.object({
  payment_method: z.enum(REQUISITE_METHODS),
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
    payment_method: z.enum(REQUISITE_METHODS).nullable(),
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

/** A trader's view of an order routed to them. */
export const TraderOrderSchema = z
  .object({
    id: z.number().int(),
    direction: z.enum(GATEWAY_DIRECTIONS),
    status: z.enum(GATEWAY_ORDER_STATUSES),
    amount: z.number().int(),
    currency: z.string(),
    amount_crypto: z.number().int(),
    rate: z.number().int(),
    trader_commission: z.number().int().nullable(),
    requisite: RequisiteView.extend({ id: z.number().int() })
      .nullable()
      .openapi({ description: "The trader's requisite the order is routed to" }),
    recipient: z.record(z.string(), z.string()).nullable().openapi({ description: "Pay-outs: whom to pay" }),
    customer_confirmed: z.boolean(),
    status_reason: z.string().nullable(),
    expires_at: Time,
    assigned_at: Time,
    customer_confirmed_at: Time,
    completed_at: Time,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("GatewayTraderOrder");

/** No fields: a receipt, when sent, is the multipart file `receipt`. */
export const ConfirmBody = z.strictObject({});
export const CancelBody = z
  .strictObject({ reason: Reason })
  .openapi({ example: { reason: "The card is blocked by the bank" } });
export const DisputeBody = z
  .strictObject({ reason: Reason })
  .openapi({ example: { reason: "The customer paid at 10:42, receipt attached" } });
export const ResolveBody = z
  .strictObject({ outcome: z.enum(["completed", "cancelled"]), reason: Reason.optional() })
  .openapi({ example: { outcome: "completed", reason: "The bank statement shows the payment" } });
export const ReviewBody = z
  .strictObject({ decision: z.enum(["allow", "deny"]), reason: Reason.optional() })
  .openapi({ example: { decision: "allow" } });

export const TraderOrdersQuery = PageQuery.extend({
  status: z.enum(GATEWAY_ORDER_STATUSES).optional(),
  direction: z.enum(GATEWAY_DIRECTIONS).optional(),
});

const IsoDate = z.iso.datetime({ offset: true }).or(z.iso.date());
const AmountFilter = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional();

export const SupportOrdersQuery = PageQuery.extend({
  status: z.enum(GATEWAY_ORDER_STATUSES).optional(),
  direction: z.enum(GATEWAY_DIRECTIONS).optional(),
  store_id: z.coerce.number().int().positive().optional(),
  trader_id: z.coerce.number().int().positive().optional(),
  amount_exact: AmountFilter,
  amount_min: AmountFilter,
  amount_max: AmountFilter,
  from: IsoDate.optional().openapi({ description: "Created at or after (ISO date or date-time)" }),
  to: IsoDate.optional().openapi({
    description: "Created at or before (a date-time), or on or before (a date: the whole day)",
  }),
  client_order_id: z.string().min(1).max(200).optional(),
});

/**
 * The multipart shape documented next to a JSON body: a plain object on purpose (a zod schema
 * there would make the form parsed and checked before the handler; the handler judges it).
 */
export const receiptPart = (
  fields: Record<string, { type: "string"; maxLength?: number }> = {},
  required: string[] = [],
) => ({
  "multipart/form-data": {
    schema: {
      type: "object" as const,
      properties: { receipt: { type: "string" as const, format: "binary" }, ...fields },
      required,
    },
  },
});
