import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { platformRevenue, transfer, userAvailable, userHeld } from "../ledger/service";
import type { OrderRow } from "./order-access";

const ref = (o: OrderRow) => ({ type: "order", id: o.id });
const meta = (o: OrderRow) => ({ order_id: o.id, expert_id: o.expertId, client_id: o.clientId });

/** Platform share of `gross`, rounded to the nearest minor unit (half up). */
export function commissionOf(ctx: Pick<AppContext, "settings">, gross: number) {
  return Math.round((gross * ctx.settings.get("order_commission_percent")) / 100);
}

/** Client pays the order's price into escrow: available -> held (402 insufficient_funds when short). */
export function holdEscrow(ctx: AppContext, tx: Tx, o: OrderRow, amount: number) {
  transfer(ctx, tx, {
    from: userAvailable(o.clientId, o.currency),
    to: userHeld(o.clientId, o.currency),
    amount,
    kind: "hold",
    idempotencyKey: `order:${o.id}:hold`,
    reference: ref(o),
    metadata: meta(o),
  });
}

/**
 * Settles the escrow: `toClient` goes back to the client's wallet, the rest is the expert's gross,
 * of which the commission goes to platform revenue. Returns the amounts moved.
 */
export function settleEscrow(ctx: AppContext, tx: Tx, o: OrderRow, toClient: number) {
  const held = o.escrowAmount;
  if (toClient < 0 || toClient > held) throw new Error(`refund ${toClient} outside escrow ${held}`);
  const gross = held - toClient;
  const commission = commissionOf(ctx, gross);
  const payout = gross - commission;
  const from = userHeld(o.clientId, o.currency);
  const move = (
    to: ReturnType<typeof userHeld>,
    amount: number,
    kind: "refund" | "payout" | "commission",
  ) => {
    if (amount > 0) {
      transfer(ctx, tx, {
        from,
        to,
        amount,
        kind,
        idempotencyKey: `order:${o.id}:${kind}`,
        reference: ref(o),
        metadata: meta(o),
      });
    }
  };
  move(userAvailable(o.clientId, o.currency), toClient, "refund");
  if (gross > 0 && o.expertId == null) throw new Error(`order ${o.id} releases escrow without an expert`);
  move(userAvailable(o.expertId ?? 0, o.currency), payout, "payout");
  move(platformRevenue(o.currency), commission, "commission");
  return { refunded: toClient, payout, commission };
}
