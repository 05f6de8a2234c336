import type { AppContext } from "../../../context";
import { prepare, preparedPer } from "../../../db/prepared";
import { write } from "../../../db/write";
import { releaseOrderHold, returnRequisiteShare } from "./moves";
import { findGatewayOrder, moveOrder } from "./status";

/** Orders per transaction: a backlog expires in short transactions that let requests in between. */
export const EXPIRY_BATCH = 200;

// Walks gateway_orders_expiry_idx (its WHERE repeats the index's) in deadline order from a cursor,
// so an order that cannot expire is passed over, not read again forever.
const stmts = preparedPer((db) => ({
  due: prepare<{ id: number; expires_at: number }, [number, number, number, number]>(
    db,
    `SELECT id, expires_at FROM gateway_orders INDEXED BY gateway_orders_expiry_idx
     WHERE status IN ('assigned', 'customer_confirmed') AND expires_at <= ?1
       AND (expires_at > ?2 OR (expires_at = ?2 AND id > ?3))
     ORDER BY expires_at, id LIMIT ?4`,
  ),
}));

/**
 * Moves assigned and customer-confirmed orders past their deadline to expired (every minute): the
 * hold goes back (the trader's deposit for a pay-in, the store's balance for a pay-out) and so does
 * the requisite's daily share. One transaction per batch; each order under its own savepoint, so
 * one that fails stays as it is (and is logged) without holding back the rest.
 */
export function expireGatewayOrders(ctx: AppContext): { expired: number } {
  const now = ctx.clock.now();
  let expired = 0;
  let cursor = { at: Number.MIN_SAFE_INTEGER, id: 0 };
  for (;;) {
    const due = stmts(ctx.db).due.all(now, cursor.at, cursor.id, EXPIRY_BATCH);
    if (due.length === 0) break;
    const last = due[due.length - 1]!;
    cursor = { at: last.expires_at, id: last.id };
    expired += write(ctx, (tx) => {
      let n = 0;
      for (const { id } of due) {
        try {
          tx.transaction((sp) => {
            // Read again inside the transaction: a trader may have confirmed it meanwhile.
            const o = findGatewayOrder(sp, id);
            if (!o || (o.status !== "assigned" && o.status !== "customer_confirmed")) return;
            if (o.expiresAt == null || o.expiresAt > now) return;
            moveOrder(ctx, sp, o, "expired", { actor: { id: null }, reason: "payment window passed" });
            releaseOrderHold(ctx, sp, o);
            returnRequisiteShare(sp, o);
            n++;
          });
        } catch (err) {
          ctx.logger.error({ err, order_id: id }, "gateway order could not expire");
        }
      }
      return n;
    });
    if (due.length < EXPIRY_BATCH) break;
  }
  return { expired };
}
