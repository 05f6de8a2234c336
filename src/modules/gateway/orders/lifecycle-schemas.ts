import { GATEWAY_DIRECTIONS, GATEWAY_ORDER_STATUSES } from "../../../db/schema";
import { z } from "../../../lib/openapi";
import { PageQuery } from "../../../lib/pagination";
import { RequisiteView } from "./schemas";

export { GatewayOrderSchema, StaffOrderSchema } from "./schemas";

const Reason = z.string().trim().min(1).max(1000);
const Time = z.string().nullable();

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
