import { registerSubjectHandler } from "../../platform/rules/subjects";
import { findGatewayOrder } from "./status";

/**
 * Gateway orders as rule subjects: rules read their facts (to notify, tag, raise attention) but
 * never move them. Every status change of an order moves money, so it stays with people and the
 * gateway's own jobs.
 */
export function registerGatewayOrderRuleSubject() {
  registerSubjectHandler("gateway_order", {
    fields: ["status", "direction", "amount", "currency", "amount_crypto", "store_id", "trader_id"],
    load(db, id) {
      const o = /^\d{1,15}$/.test(id) ? findGatewayOrder(db, Number(id)) : undefined;
      return (
        o && {
          status: o.status,
          direction: o.direction,
          amount: o.amount,
          currency: o.currency,
          amount_crypto: o.amountCrypto,
          store_id: o.storeId,
          trader_id: o.traderId,
        }
      );
    },
  });
}
