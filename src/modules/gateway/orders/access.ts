import type { AppContext } from "../../../context";
import { prepare, preparedPer } from "../../../db/prepared";
import type { GatewayDirection } from "../../../db/schema";
import { can } from "../../../http/auth";
import type { Principal } from "../../../http/types";
import { notFound } from "../../../lib/errors";
import { GW } from "../permissions";
import { type GatewayOrderRow, type RequisiteRow, serializeOrder, serializeOrderForStaff } from "./serialize";
import { findGatewayOrder, findRequisite } from "./status";

/** How a caller sees an order: staff see routing and fraud, the merchant and the trader the rest. */
export type OrderView = "staff" | "merchant" | "trader";

const stmts = preparedPer((db) => ({
  storeOwner: prepare<{ merchant_id: number }, [number]>(
    db,
    "SELECT merchant_id FROM gateway_stores WHERE id = ?",
  ),
  traderUser: prepare<{ user_id: number }, [number]>(db, "SELECT user_id FROM gateway_traders WHERE id = ?"),
}));

/** Does the caller own this store (their JWT, or a key of theirs with the merchant scope)? */
export function ownsStore(ctx: AppContext, p: Principal, storeId: number): boolean {
  return can(p, GW.merchantOrders) && stmts(ctx.db).storeOwner.get(storeId)?.merchant_id === p.user.id;
}

/** The caller's view of an order, or null when it is none of their business. */
export function viewOf(ctx: AppContext, p: Principal, o: GatewayOrderRow): OrderView | null {
  if (can(p, GW.supportOrders)) return "staff";
  if (ownsStore(ctx, p, o.storeId)) return "merchant";
  if (
    o.traderId != null &&
    can(p, GW.traderOrders) &&
    stmts(ctx.db).traderUser.get(o.traderId)?.user_id === p.user.id
  )
    return "trader";
  return null;
}

/**
 * An order the caller may read (of `direction` when given); anything else is 404, so ids of
 * others' orders reveal nothing. A pay-out trader who cancelled is no longer its trader.
 */
export function readableOrder(
  ctx: AppContext,
  p: Principal,
  id: number,
  opts: { direction?: GatewayDirection; views?: readonly OrderView[] } = {},
): { order: GatewayOrderRow; view: OrderView } {
  const order = findGatewayOrder(ctx.db, id);
  const view = order && viewOf(ctx, p, order);
  if (
    !order ||
    !view ||
    (opts.direction && order.direction !== opts.direction) ||
    (opts.views && !opts.views.includes(view))
  )
    throw notFound("gateway order");
  return { order, view };
}

export function serializeFor(view: OrderView, o: GatewayOrderRow, requisite?: RequisiteRow | null) {
  return view === "staff" ? serializeOrderForStaff(o, requisite) : serializeOrder(o, requisite);
}

/** The order as the caller sees it, with its requisite. */
export function orderOut(ctx: AppContext, view: OrderView, o: GatewayOrderRow) {
  return serializeFor(view, o, findRequisite(ctx.db, o.requisiteId));
}
