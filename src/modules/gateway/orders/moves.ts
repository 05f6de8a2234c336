import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import { transfer } from "../../ledger/service";
import { gatewayRevenue, storeAvailable, storeHeld, traderAvailable, traderHeld } from "../money";
import type { GatewayOrderRow } from "./serialize";

type Ctx = Pick<AppContext, "clock">;
type OrderMoney = Pick<
  GatewayOrderRow,
  "id" | "direction" | "storeId" | "traderId" | "amountCrypto" | "storeCommission" | "traderCommission"
>;

/**
 * Every money move of a gateway order is its own ledger transfer with its own key
 * (`gw:<order>:<movement>`): a pay-in holds once, releases once and settles once in its life, so a
 * movement's key can never collide with another movement of the same order.
 */
const key = (o: { id: number }, movement: string) => `gw:${o.id}:${movement}`;
const refOf = (o: { id: number }) => ({ type: "gateway_order", id: o.id });

const traderOf = (o: OrderMoney): number => {
  if (o.traderId == null) throw new Error(`gateway order ${o.id} has no trader`);
  return o.traderId;
};

/** Pay-in assigned: the trader's deposit covers the USDT the customer's fiat will be worth. */
export function holdPayin(ctx: Ctx, tx: Tx, o: OrderMoney) {
  const t = traderOf(o);
  transfer(ctx, tx, {
    from: traderAvailable(t),
    to: traderHeld(t),
    amount: o.amountCrypto,
    kind: "hold",
    idempotencyKey: key(o, "hold"),
    reference: refOf(o),
  });
}

/** Pay-in cancelled, expired or failed while assigned: the hold goes back to the deposit. */
export function releasePayin(ctx: Ctx, tx: Tx, o: OrderMoney) {
  const t = traderOf(o);
  transfer(ctx, tx, {
    from: traderHeld(t),
    to: traderAvailable(t),
    amount: o.amountCrypto,
    kind: "release",
    idempotencyKey: key(o, "release"),
    reference: refOf(o),
  });
}

/** Pay-out created: the store's balance covers the amount and its commission (402 otherwise). */
export function holdPayoutStore(ctx: Ctx, tx: Tx, o: OrderMoney) {
  transfer(ctx, tx, {
    from: storeAvailable(o.storeId),
    to: storeHeld(o.storeId),
    amount: o.amountCrypto + o.storeCommission,
    kind: "hold",
    idempotencyKey: key(o, "store-hold"),
    reference: refOf(o),
  });
}

/** Pay-out cancelled, expired or failed: the store gets its hold back. */
export function releasePayoutStore(ctx: Ctx, tx: Tx, o: OrderMoney) {
  transfer(ctx, tx, {
    from: storeHeld(o.storeId),
    to: storeAvailable(o.storeId),
    amount: o.amountCrypto + o.storeCommission,
    kind: "release",
    idempotencyKey: key(o, "store-release"),
    reference: refOf(o),
  });
}

/** Releases whatever the order holds, by direction (the order must still hold it). */
export function releaseOrderHold(ctx: Ctx, tx: Tx, o: OrderMoney) {
  if (o.direction === "payin") releasePayin(ctx, tx, o);
  else releasePayoutStore(ctx, tx, o);
}

/**
 * Completion. Pay-in: the trader's held USDT goes to the store (minus its commission), the
 * platform (store commission minus trader commission) and back to the trader (their commission).
 * A pay-in completed after its hold was released (a dispute resolved for the merchant) takes the
 * same amounts from the trader's deposit instead: 402 when it cannot cover them.
 * Pay-out: the store's hold goes to the trader (amount plus their commission) and the platform.
 */
export function settleOrder(ctx: Ctx, tx: Tx, o: OrderMoney, opts: { holdReleased?: boolean } = {}) {
  const t = traderOf(o);
  const traderFee = o.traderCommission ?? 0;
  const platformCut = o.storeCommission - traderFee;
  const move = (
    from: ReturnType<typeof storeHeld>,
    to: ReturnType<typeof storeHeld>,
    amount: number,
    kind: "payment" | "commission",
    part: string,
  ) => {
    if (amount > 0)
      transfer(ctx, tx, {
        from,
        to,
        amount,
        kind,
        idempotencyKey: key(o, `settle:${part}`),
        reference: refOf(o),
      });
  };
  if (o.direction === "payin") {
    const from = opts.holdReleased ? traderAvailable(t) : traderHeld(t);
    if (opts.holdReleased) {
      // The whole amount must be there before anything moves: one 402, never a partial settlement.
      transfer(ctx, tx, {
        from,
        to: traderHeld(t),
        amount: o.amountCrypto,
        kind: "hold",
        idempotencyKey: key(o, "dispute-hold"),
        reference: refOf(o),
      });
    }
    const held = traderHeld(t);
    move(held, storeAvailable(o.storeId), o.amountCrypto - o.storeCommission, "payment", "store");
    move(held, gatewayRevenue(), platformCut, "commission", "platform");
    move(held, traderAvailable(t), traderFee, "commission", "trader");
  } else {
    const held = storeHeld(o.storeId);
    move(held, traderAvailable(t), o.amountCrypto + traderFee, "payment", "trader");
    move(held, gatewayRevenue(), platformCut, "commission", "platform");
  }
}

// Selection and every release touch one requisite's counters: prepared once per connection.
const stmts = preparedPer((db) => ({
  take: prepare<unknown, [number, number, number, number]>(
    db,
    `UPDATE gateway_requisites SET
       used_amount = CASE WHEN usage_day = ?1 THEN used_amount ELSE 0 END + ?2,
       used_count = CASE WHEN usage_day = ?1 THEN used_count ELSE 0 END + 1,
       usage_day = ?1, last_used_at = ?3, updated_at = ?3
     WHERE id = ?4`,
  ),
  give: prepare<unknown, [number, number, number]>(
    db,
    `UPDATE gateway_requisites SET used_amount = max(used_amount - ?1, 0), used_count = max(used_count - 1, 0)
     WHERE id = ?2 AND usage_day = ?3`,
  ),
}));

/**
 * An assignment takes its amount and one order from the requisite's daily limits of `day`, and
 * marks it used at `usedAt`.
 */
export function takeRequisiteShare(tx: Tx, requisiteId: number, amount: number, day: number, usedAt: number) {
  stmts(tx).take.run(day, amount, usedAt, requisiteId);
}

/**
 * An order that leaves its requisite without completing gives its share back, if the counters
 * still belong to the day it was assigned (yesterday's shares are gone with yesterday).
 */
export function returnRequisiteShare(
  tx: Tx,
  o: Pick<GatewayOrderRow, "requisiteId" | "amount" | "usageDay">,
) {
  if (o.requisiteId == null || o.usageDay === 0) return;
  stmts(tx).give.run(o.amount, o.requisiteId, o.usageDay);
}
