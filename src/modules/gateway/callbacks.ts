import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { prepare, preparedPer } from "../../db/prepared";
import { enqueueDelivery } from "../platform/webhooks/deliveries";
import { ensureOwnedEndpoint } from "../platform/webhooks/endpoints";
import { type GatewayOrderRow, type RequisiteRow, serializeOrder } from "./orders/serialize";

const stmts = preparedPer((db) => ({
  store: prepare<{ callback_url: string | null; callback_secret_sealed: string }, [number]>(
    db,
    "SELECT callback_url, callback_secret_sealed FROM gateway_stores WHERE id = ?",
  ),
}));

export const storeOwner = (storeId: number) => ({ type: "store", id: storeId });

/**
 * The signed callback of one status change, in its transaction: to the order's own url if it
 * was created with one, else the store's; nothing when neither is set. Delivered by the webhook
 * engine (Standard Webhooks headers, retries, the private-address guard at each attempt).
 */
export function sendOrderCallback(
  ctx: AppContext,
  tx: Tx,
  o: GatewayOrderRow,
  eventId: number,
  /** Read only when a callback goes out: most stores on the hot path have no url. */
  requisiteOf: () => RequisiteRow | null | undefined,
) {
  const store = stmts(tx).store.get(o.storeId);
  const url = o.callbackUrl ?? store?.callback_url;
  if (!store || !url) return null;
  const endpointId = ensureOwnedEndpoint(ctx, tx, storeOwner(o.storeId), url, store.callback_secret_sealed, [
    "gateway.order.*",
  ]);
  return enqueueDelivery(ctx, tx, endpointId, {
    type: `gateway.order.${o.status}`,
    payload: serializeOrder(o, requisiteOf()),
    eventId,
  });
}
