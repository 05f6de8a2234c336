import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { platformRevenue, transfer, userAvailable, userHeld } from "../../ledger/service";
import type { OrderRow } from "./access";

const ref = (o: OrderRow) => ({ type: "order", id: o.id });
const meta = (o: OrderRow) => ({ order_id: o.id, expert_id: o.expertId, client_id: o.clientId });

/** Platform share of `gross`, rounded to the nearest minor unit (half up). */
export function commissionOf(ctx: Pick<AppContext, "settings">, gross: number) {
  return Math.round((gross * ctx.settings.get("order_commission_percent")) / 100);
}

type EscrowLeg = "hold" | "refund" | "payout" | "commission";

/**
 * The ledger key of one leg of the order's current wallet payment. Each payment (`payment_round`
 * 1, 2, …) has its own family, `order:{id}:r{round}:{leg}`, so a second payment of a reopened
 * order holds real money instead of replaying the first hold. Round 0 is the family used before
 * rounds existed (`order:{id}:{leg}`): orders paid then still settle against their own hold.
 */
export function escrowKey(o: Pick<OrderRow, "id" | "paymentRound">, leg: EscrowLeg) {
  return o.paymentRound > 0 ? `order:${o.id}:r${o.paymentRound}:${leg}` : `order:${o.id}:${leg}`;
}

/**
 * Client pays the order's price into escrow: available -> held (402 insufficient_funds when short).
 * `o` is the order as paid, its `payment_round` already counting this payment.
 */
export function holdEscrow(ctx: AppContext, tx: Tx, o: OrderRow, amount: number) {
  transfer(ctx, tx, {
    from: userAvailable(o.clientId, o.currency),
    to: userHeld(o.clientId, o.currency),
    amount,
    kind: "hold",
    idempotencyKey: escrowKey(o, "hold"),
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
        idempotencyKey: escrowKey(o, kind),
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
