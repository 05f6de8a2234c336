import { GATEWAY_ORDER_STATUSES } from "../../db/schema";

const ORDER_STATUS_TEXT: Record<(typeof GATEWAY_ORDER_STATUSES)[number], string> = {
  new: "A gateway order was created",
  assigned: "A gateway order got a requisite (or a new one after a pay-out trader cancelled)",
  customer_confirmed: "The customer said they paid a pay-in",
  completed: "A gateway order completed and its money moved",
  retrying: "No requisite could take a gateway order yet: it is retried",
  review: "A gateway order waits for support's fraud review",
  failed: "A gateway order failed (fraud denied, or no requisite after every retry)",
  cancelled: "A gateway order was cancelled and its hold released",
  expired: "A gateway order expired and its hold was released",
  disputed: "A merchant disputed a cancelled or expired pay-in",
};

/** Every event the gateway emits; `gateway.order.<status>` for each status an order enters. */
export const GATEWAY_EVENT_TYPES: Record<string, string> = {
  ...Object.fromEntries(GATEWAY_ORDER_STATUSES.map((s) => [`gateway.order.${s}`, ORDER_STATUS_TEXT[s]])),
  "gateway.store.created": "A merchant created a store",
  "gateway.store.updated": "A store's name, callback url, commissions or state changed",
  "gateway.store.secret_rotated": "A store's callback secret was replaced",
  "gateway.store.withdrawn": "An admin paid USDT out of a store's balance",
  "gateway.trader.created": "An admin made a user a trader",
  "gateway.trader.updated": "A trader's priority, commissions, teamlead or switches changed",
  "gateway.trader.deposited": "An admin credited a trader's deposit",
  "gateway.requisite.created": "A trader added a requisite (pending moderation)",
  "gateway.requisite.updated": "A trader changed a requisite",
  "gateway.requisite.moderated": "Staff approved or blocked a requisite",
  "gateway.rate.updated": "An admin set the exchange rate of a currency",
};
