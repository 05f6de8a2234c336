import { ORDER_KINDS, ORDER_STATUSES, PAYMENT_METHODS } from "../../../db/schema";
import { Currency } from "../../../lib/currency";
import { z } from "../../../lib/openapi";
import { PageQuery } from "../../../lib/pagination";
import { ClientRiskSchema } from "../../scoring/schemas";

const Money = z.number().int().min(0).max(1_000_000_000_00);
const Reason = z.string().trim().min(1).max(2000);

export const OrderCreateBody = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(10_000).optional(),
    subject_id: z.number().int().positive(),
    work_type_id: z.number().int().positive().optional(),
    complexity_id: z.number().int().positive().optional(),
    deadline: z.iso.datetime({ offset: true }).optional(),
    budget: Money.optional(),
    currency: Currency.optional(),
    kind: z.enum(ORDER_KINDS).optional(),
    scheduled_at: z.iso.datetime({ offset: true }).optional(),
    duration_minutes: z
      .number()
      .int()
      .min(5)
      .max(24 * 60)
      .optional(),
  })
  .openapi("OrderCreate", {
    example: {
      title: "Linear algebra: problem set 3",
      description: "Twelve problems on eigenvalues; worked solutions, please.",
      subject_id: 1,
      work_type_id: 1,
      deadline: "2030-07-01T18:00:00+03:00",
      budget: 150000,
      currency: "RUB",
      kind: "work",
    },
  });
export type OrderCreate = z.infer<typeof OrderCreateBody>;

export const SetPriceBody = z
  .strictObject({ price: Money.refine((v) => v > 0, "must be positive") })
  .openapi({ example: { price: 120000 } });
export const ReasonBody = z.strictObject({ reason: Reason.optional() });
export const DisputeBody = z
  .strictObject({ reason: Reason })
  .openapi({ example: { reason: "The solutions to problems 7-12 are missing" } });
export const MarkPaidBody = z.strictObject({ note: Reason.optional() });
export const ResolveBody = z
  .strictObject({
    outcome: z.enum(["refund", "release", "split"]),
    client_amount: Money.optional(),
    note: Reason.optional(),
  })
  .openapi({ example: { outcome: "split", client_amount: 60000, note: "Half of the work was delivered" } });
export type ResolveBody = z.infer<typeof ResolveBody>;
export const SetStatusBody = z
  .strictObject({ status: z.enum(ORDER_STATUSES), reason: Reason })
  .openapi({ example: { status: "cancelled", reason: "Duplicate order, confirmed with the client" } });
export const TakeBody = z.strictObject({});

export const OrderListQuery = PageQuery.extend({
  status: z.enum(ORDER_STATUSES).optional(),
  role: z.enum(["client", "expert"]).optional(),
  kind: z.enum(ORDER_KINDS).optional(),
});
export type OrderListQuery = z.infer<typeof OrderListQuery>;

export const AdminOrderQuery = PageQuery.extend({
  status: z.enum(ORDER_STATUSES).optional(),
  kind: z.enum(ORDER_KINDS).optional(),
  client_id: z.coerce.number().int().positive().optional(),
  expert_id: z.coerce.number().int().positive().optional(),
  sla_breached: z.enum(["true", "false"]).optional(),
  /** Created on or after this day (UTC). */
  date_from: z.iso.date().optional(),
  /** Created on or before this day (UTC), the whole day included. */
  date_to: z.iso.date().optional(),
}).refine((q) => !(q.date_from && q.date_to && q.date_from > q.date_to), {
  path: ["date_from"],
  message: "date_from must not be after date_to",
});

const Iso = z.string().nullable();
export const OrderSchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(ORDER_KINDS),
    status: z.enum(ORDER_STATUSES),
    client_id: z.number().int(),
    expert_id: z.number().int().nullable(),
    title: z.string(),
    description: z.string().nullable(),
    subject_id: z.number().int(),
    work_type_id: z.number().int().nullable(),
    complexity_id: z.number().int().nullable(),
    deadline: Iso,
    scheduled_at: Iso,
    duration_minutes: z.number().int().nullable(),
    budget: z.number().int().nullable(),
    price: z.number().int().nullable(),
    currency: z.string(),
    payment_method: z.enum(PAYMENT_METHODS).nullable(),
    payment_proof_file_id: z.number().int().nullable(),
    escrow_amount: z.number().int(),
    sla_due_at: Iso,
    sla_breached_at: Iso,
    status_reason: z.string().nullable(),
    taken_at: Iso,
    paid_at: Iso,
    started_at: Iso,
    delivered_at: Iso,
    completed_at: Iso,
    cancelled_at: Iso,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Order");

export const OrderDetailSchema = OrderSchema.extend({
  client_risk: ClientRiskSchema.optional().openapi({
    description:
      "The client's risk score: shown to the order's expert and to staff who may read users, to no one else",
  }),
}).openapi("OrderDetail");

export const TimelineSchema = z.object({
  results: z.array(
    z.object({
      id: z.number().int(),
      type: z.string(),
      actor_id: z.number().int().nullable(),
      payload: z.record(z.string(), z.unknown()),
      created_at: z.string(),
    }),
  ),
});
