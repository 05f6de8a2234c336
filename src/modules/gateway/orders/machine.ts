import type { GatewayOrderStatus } from "../../../db/schema";

/**
 * Where a gateway order may go from each status. `assigned -> assigned` is a pay-out handed to
 * another trader after one cancelled; `retrying -> retrying` is another attempt without a requisite;
 * `assigned -> retrying | failed` is a pay-out whose trader cancelled and no other can take it (yet).
 */
export const GATEWAY_MOVES: Record<GatewayOrderStatus, readonly GatewayOrderStatus[]> = {
  new: ["assigned", "retrying", "review", "failed"],
  review: ["assigned", "retrying", "failed"],
  retrying: ["assigned", "retrying", "failed", "cancelled"],
  assigned: ["assigned", "customer_confirmed", "completed", "cancelled", "expired", "retrying", "failed"],
  customer_confirmed: ["completed", "cancelled", "expired"],
  cancelled: ["disputed"],
  expired: ["disputed"],
  disputed: ["completed", "cancelled"],
  completed: [],
  failed: [],
};

/** Statuses in which an order holds a requisite (and its daily-limit share). */
export const HOLDS_REQUISITE: ReadonlySet<GatewayOrderStatus> = new Set(["assigned", "customer_confirmed"]);

export const canMove = (from: GatewayOrderStatus, to: GatewayOrderStatus) => GATEWAY_MOVES[from].includes(to);

/** The UTC day number of a time in ms: daily limits are counted per day number. */
export const dayOf = (ms: number) => Math.floor(ms / 86_400_000);
