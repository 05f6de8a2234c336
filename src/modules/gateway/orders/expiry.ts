import type { AppContext } from "../../../context";

/** Moves assigned and customer-confirmed orders past their deadline to expired (every minute). */
export function expireGatewayOrders(_ctx: AppContext): { expired: number } {
  return { expired: 0 };
}
