/**
 * The closed lists of values the schema stores and the admin console offers. Kept in a file of its
 * own with no imports, so the console's browser bundle takes them from here (not a copy that could
 * drift) without pulling in Drizzle.
 */

/** souk's roles, as the API names them. */
export const ROLES = [
  "client",
  "expert",
  "partner",
  "arbitrator",
  "trader",
  "teamlead",
  "merchant",
  "support",
  "admin",
] as const;

/** A marketplace order's statuses. */
export const ORDER_STATUSES = [
  "new",
  "in_review",
  "awaiting_payment",
  "payment_proof_uploaded",
  "paid",
  "in_progress",
  "delivered",
  "revision",
  "completed",
  "declined_by_expert",
  "cancelled",
  "disputed",
] as const;

/** A gateway order's statuses. */
export const GATEWAY_ORDER_STATUSES = [
  "new",
  "assigned",
  "customer_confirmed",
  "completed",
  "retrying",
  "review",
  "failed",
  "cancelled",
  "expired",
  "disputed",
] as const;
export const GATEWAY_DIRECTIONS = ["payin", "payout"] as const;
export const REQUISITE_STATUSES = ["pending", "approved", "blocked"] as const;
