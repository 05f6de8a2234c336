import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import type { GatewayOrderRow } from "./serialize";
import type { GatewayActor } from "./status";

/**
 * Routes an order (new, review allowed by support, retrying, or a pay-out whose trader cancelled)
 * to a requisite, in the caller's transaction: selection (logged on the order), then for a pay-in
 * the hold from the trader's deposit, the requisite's daily share, and `assigned` with its expiry.
 * With no requisite: `retrying` with a retry job while attempts remain, else `failed` (a pay-out's
 * store hold is released). Returns the order as it now is.
 */
export function assignOrRetry(_ctx: AppContext, _tx: Tx, _o: GatewayOrderRow, _actor: GatewayActor): GatewayOrderRow {
  throw new Error("selection lands in the next commit");
}
