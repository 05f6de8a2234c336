import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import { write } from "../../../db/write";
import type { Principal } from "../../../http/types";
import { ApiError, conflict } from "../../../lib/errors";
import type { Upload } from "../../../lib/files";
import { merchantOrder, serializeOrderForStaffRow, writeWithReceipt } from "./lifecycle";
import { settleOrder } from "./moves";
import { serializeOrder } from "./serialize";
import { findRequisite, type GatewayActor, loadGatewayOrder, moveOrder } from "./status";

/**
 * The merchant disputes a pay-in that was cancelled or expired (the customer says they paid):
 * -> disputed, remembering where it came from. Nothing moves until support resolves it.
 */
export function disputeOrder(
  ctx: AppContext,
  p: Principal,
  actor: GatewayActor,
  id: number,
  reason: string,
  receipt: Upload | null,
) {
  return writeWithReceipt(ctx, p.user.id, receipt, (tx, _now, receiptId) => {
    const o = merchantOrder(tx, p, id);
    if (o.direction !== "payin") {
      throw new ApiError("invalid_transition", "only a pay-in can be disputed", {
        from: o.status,
        to: "disputed",
      });
    }
    // Cancelled before any trader took it: nobody received money, nobody could owe it.
    if (o.traderId == null) throw conflict("the order never reached a trader", { status: o.status });
    const row = moveOrder(ctx, tx, o, "disputed", {
      actor,
      set: { disputedFrom: o.status, disputeReason: reason, disputeReceiptId: receiptId },
      details: { reason, disputed_from: o.status, receipt_file_id: receiptId },
    });
    return serializeOrder(row, findRequisite(tx, row.requisiteId));
  });
}

// A completed dispute counts again in the day it was assigned, if that day's counters are still
// the requisite's (its share went back when the order was cancelled or expired).
const stmts = preparedPer((db) => ({
  recount: prepare<unknown, [number, number, number]>(
    db,
    `UPDATE gateway_requisites SET used_amount = used_amount + ?1, used_count = used_count + 1
     WHERE id = ?2 AND usage_day = ?3`,
  ),
}));

function recountShare(tx: Tx, o: { requisiteId: number | null; amount: number; usageDay: number }) {
  if (o.requisiteId == null || o.usageDay === 0) return;
  stmts(tx).recount.run(o.amount, o.requisiteId, o.usageDay);
}

/**
 * Support (or an admin) resolves a dispute. `completed` for the merchant: the money moves as a
 * completion, taken from the trader's deposit since the hold went back (402 when it cannot cover
 * it, and nothing changes). `cancelled` for the trader: the order stays without money moving.
 */
export function resolveDispute(
  ctx: AppContext,
  actor: GatewayActor,
  id: number,
  outcome: "completed" | "cancelled",
  reason?: string,
) {
  return write(ctx, (tx, now) => {
    const o = loadGatewayOrder(tx, id);
    if (o.status !== "disputed") {
      throw new ApiError("invalid_transition", `a ${o.status} order has no open dispute`, {
        from: o.status,
        to: outcome,
      });
    }
    if (outcome === "completed") {
      const row = moveOrder(ctx, tx, o, "completed", {
        actor,
        reason: reason ?? "dispute resolved for the merchant",
        set: { completedAt: now },
        details: { outcome },
      });
      settleOrder(ctx, tx, row, { holdReleased: true });
      recountShare(tx, row);
      return serializeOrderForStaffRow(tx, row);
    }
    const row = moveOrder(ctx, tx, o, "cancelled", {
      actor,
      reason: reason ?? "dispute resolved for the trader",
      details: { outcome },
    });
    return serializeOrderForStaffRow(tx, row);
  });
}
