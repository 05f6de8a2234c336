import type { OrderStatus } from "../../../db/schema";
import { ApiError } from "../../../lib/errors";

/** Who may perform an action on an order (checked against the caller's part in that order). */
export type Actor = "client" | "expert" | "party" | "confirmer" | "resolver" | "system";

type Action = { from: readonly OrderStatus[]; to: OrderStatus; by: Actor };

/**
 * DESIGN.md §5, one row per action. `to` is the usual target; `complete` and `resolve` pick theirs
 * from the payment route or the outcome, and each such target is listed in TARGETS below.
 */
export const ACTIONS = {
  take: { from: ["new"], to: "in_review", by: "expert" },
  set_price: { from: ["in_review"], to: "awaiting_payment", by: "expert" },
  pay: { from: ["awaiting_payment"], to: "paid", by: "client" },
  upload_payment_proof: { from: ["awaiting_payment"], to: "payment_proof_uploaded", by: "client" },
  mark_paid: { from: ["awaiting_payment"], to: "payment_proof_uploaded", by: "client" },
  confirm_payment: { from: ["payment_proof_uploaded"], to: "paid", by: "confirmer" },
  start: { from: ["paid", "revision"], to: "in_progress", by: "expert" },
  complete: { from: ["in_progress"], to: "delivered", by: "expert" },
  accept: { from: ["delivered"], to: "completed", by: "client" },
  request_revision: { from: ["delivered"], to: "revision", by: "client" },
  decline: { from: ["in_review", "awaiting_payment"], to: "declined_by_expert", by: "expert" },
  cancel: { from: ["new", "in_review", "awaiting_payment"], to: "cancelled", by: "client" },
  dispute: { from: ["paid", "in_progress", "delivered", "revision"], to: "disputed", by: "party" },
  resolve: { from: ["disputed"], to: "completed", by: "resolver" },
  auto_accept: { from: ["delivered"], to: "completed", by: "system" },
} as const satisfies Record<string, Action>;
export type ActionName = keyof typeof ACTIONS;

/** Every edge of the graph, for the property test and the docs. */
export const TARGETS: Record<ActionName, readonly OrderStatus[]> = {
  ...(Object.fromEntries(Object.entries(ACTIONS).map(([k, a]) => [k, [a.to]])) as Record<
    ActionName,
    OrderStatus[]
  >),
  complete: ["delivered", "completed"],
  resolve: ["completed", "cancelled"],
};

/** Throws 409 invalid_transition unless `action` may move an order out of `from`. */
export function assertTransition(action: ActionName, from: OrderStatus, to: OrderStatus) {
  const a: Action = ACTIONS[action];
  if (!a.from.includes(from) || !TARGETS[action].includes(to)) {
    throw new ApiError("invalid_transition", `cannot ${action.replace(/_/g, " ")} an order that is ${from}`, {
      from,
      to,
    });
  }
}
