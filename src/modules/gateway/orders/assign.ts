import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { prepare, preparedPer, sqliteOf } from "../../../db/prepared";
import type { SelectionAttempt } from "../../../db/schema";
import { iso } from "../../../lib/time";
import { backoffMs } from "../../platform/jobs/queue";
import { commission, USDT } from "../money";
import { dayOf } from "./machine";
import { holdPayin, releasePayoutStore, takeRequisiteShare } from "./moves";
// A cycle (retry.ts runs assignOrRetry) that is safe: the constant is read only when a call runs.
import { GATEWAY_RETRY_JOB } from "./retry";
import type { GatewayOrderRow } from "./serialize";
import { type GatewayActor, moveOrder } from "./status";

/** A requisite in selection order, with what the filters need of its trader. */
type Candidate = {
  id: number;
  trader_id: number;
  payment_method: string;
  bank: string;
  min_amount: number;
  max_amount: number;
  daily_limit: number;
  daily_count_limit: number;
  used_amount: number;
  used_count: number;
  in_work: number;
  traffic_enabled: number;
  trader_bps: number;
  is_banned: number;
  deposit: number;
};

/**
 * Candidates of one currency in selection order: trader priority, then least recently used (never
 * used first: NULLs sort first), then id. Each direction walks its partial index in that order
 * (no sort), and the caller stops at the first candidate that passes, so a pay-in usually reads a
 * handful of rows however many requisites there are. The filters run in JS so every requisite
 * turned away ahead of the chosen one is logged with its reason.
 */
export const candidatesSql = (direction: "payin" | "payout") => `
  SELECT r.id, r.trader_id, r.payment_method, r.bank, r.min_amount, r.max_amount, r.daily_limit, r.daily_count_limit,
    CASE WHEN r.usage_day = ?2 THEN r.used_amount ELSE 0 END AS used_amount,
    CASE WHEN r.usage_day = ?2 THEN r.used_count ELSE 0 END AS used_count,
    t.in_work, t.traffic_enabled, t.${direction === "payin" ? "pay_in_bps" : "pay_out_bps"} AS trader_bps,
    u.is_banned, coalesce(la.balance, 0) AS deposit
  FROM gateway_requisites r INDEXED BY gateway_requisites_${direction}_idx
  JOIN gateway_traders t ON t.id = r.trader_id
  JOIN users u ON u.id = t.user_id
  LEFT JOIN ledger_accounts la ON la.owner_type = 'trader' AND la.owner_id = CAST(t.id AS TEXT)
    AND la.kind = 'available' AND la.currency = '${USDT}'
  WHERE r.status = 'approved' AND r.${direction === "payin" ? "pay_in" : "pay_out"} = 1 AND r.currency = ?1
  ORDER BY r.trader_priority, r.last_used_at, r.id`;

const stmts = preparedPer((db) => ({
  payin: prepare<Candidate, [string, number]>(db, candidatesSql("payin")),
  payout: prepare<Candidate, [string, number]>(db, candidatesSql("payout")),
  lastStamp: prepare<{ t: number | null }, []>(db, "SELECT max(last_used_at) AS t FROM gateway_requisites"),
}));

/**
 * Two uses in one millisecond (thousands of orders a second) would tie on `last_used_at` and the
 * id would pick the same requisite twice: each use gets a stamp past the last one, so least
 * recently used stays a strict order. Kept per connection, read from the table once.
 */
const stamps = new WeakMap<object, { last: number }>();
function useStamp(tx: Tx, now: number): number {
  const db = sqliteOf(tx);
  let s = stamps.get(db);
  if (!s) {
    s = { last: stmts(tx).lastStamp.get()?.t ?? 0 };
    stamps.set(db, s);
  }
  s.last = Math.max(now, s.last + 1);
  return s.last;
}

/** How many rejected candidates an attempt lists one by one (all are counted). */
const LOGGED_REJECTIONS = 50;

/** Why a candidate cannot take the order, or null when it can. Checked in this order. */
function rejection(c: Candidate, o: GatewayOrderRow, method: string | null, excluded: ReadonlySet<number>) {
  if (excluded.has(c.trader_id)) return "trader_cancelled_this_order";
  if (method && c.payment_method !== method) return "payment_method";
  if (o.direction === "payin" && o.bank && c.bank.toLowerCase() !== o.bank.toLowerCase()) return "bank";
  if (o.amount < c.min_amount) return "below_min_amount";
  if (o.amount > c.max_amount) return "above_max_amount";
  if (c.is_banned) return "trader_banned";
  if (!c.in_work) return "trader_not_in_work";
  if (!c.traffic_enabled) return "trader_traffic_off";
  // The platform never pays out more commission than the store pays it.
  if (commission(o.amountCrypto, c.trader_bps) > o.storeCommission) return "trader_commission_above_store";
  if (o.direction === "payin" && c.deposit < o.amountCrypto) return "deposit_too_low";
  if (c.used_amount + o.amount > c.daily_limit) return "daily_limit";
  if (c.used_count >= c.daily_count_limit) return "daily_count_limit";
  return null;
}

function select(tx: Tx, o: GatewayOrderRow, now: number) {
  const day = dayOf(now);
  const method = o.paymentMethod ?? (o.direction === "payout" ? (o.recipient?.payment_method ?? null) : null);
  const excluded = new Set(o.excludedTraders);
  const attempt: SelectionAttempt = {
    attempt: o.selectionLog.length + 1,
    at: iso(now),
    considered: 0,
    chosen: null,
    rejected_counts: {},
    rejected: [],
  };
  let chosen: Candidate | null = null;
  for (const c of stmts(tx)[o.direction].iterate(o.currency, day)) {
    attempt.considered++;
    const why = rejection(c, o, method, excluded);
    if (why === null) {
      chosen = c;
      break;
    }
    attempt.rejected_counts[why] = (attempt.rejected_counts[why] ?? 0) + 1;
    if (attempt.rejected.length < LOGGED_REJECTIONS)
      attempt.rejected.push({ requisite_id: c.id, trader_id: c.trader_id, reason: why });
  }
  if (chosen) attempt.chosen = { requisite_id: chosen.id, trader_id: chosen.trader_id };
  return { chosen, attempt, day };
}

/**
 * Routes an order (new, review allowed by support, retrying, or a pay-out whose trader cancelled)
 * to a requisite, in the caller's transaction: selection (logged on the order), then for a pay-in
 * the hold from the trader's deposit, the requisite's daily share, and `assigned` with its expiry.
 * With no requisite: `retrying` with a retry job while attempts remain, else `failed` (a pay-out's
 * store hold is released). Returns the order as it now is.
 *
 * One process and synchronous transactions make this serializable: the counters and the deposit
 * read by selection are the ones the hold and the share update, so no limit can be passed.
 */
export function assignOrRetry(
  ctx: AppContext,
  tx: Tx,
  o: GatewayOrderRow,
  actor: GatewayActor,
): GatewayOrderRow {
  const now = ctx.clock.now();
  const { chosen, attempt, day } = select(tx, o, now);
  const selectionLog = [...o.selectionLog, attempt];
  if (chosen) {
    const traderCommission = commission(o.amountCrypto, chosen.trader_bps);
    const ttl = ctx.settings.get(
      o.direction === "payin" ? "gateway_payin_ttl_seconds" : "gateway_payout_ttl_seconds",
    );
    const assigned = { ...o, traderId: chosen.trader_id };
    if (o.direction === "payin") holdPayin(ctx, tx, assigned);
    takeRequisiteShare(tx, chosen.id, o.amount, day, useStamp(tx, now));
    return moveOrder(ctx, tx, o, "assigned", {
      actor,
      reason: null,
      set: {
        requisiteId: chosen.id,
        traderId: chosen.trader_id,
        traderBps: chosen.trader_bps,
        traderCommission,
        paymentMethod: chosen.payment_method as GatewayOrderRow["paymentMethod"],
        bank: o.direction === "payin" ? chosen.bank : o.bank,
        usageDay: day,
        assignedAt: now,
        expiresAt: now + ttl * 1000,
        selectionLog,
      },
    });
  }
  const unassigned = {
    requisiteId: null,
    traderId: null,
    traderBps: null,
    traderCommission: null,
    usageDay: 0,
  };
  if (o.retries < ctx.settings.get("MAX_ORDER_RETRIES")) {
    const retries = o.retries + 1;
    ctx.jobs.enqueue(ctx, tx, {
      type: GATEWAY_RETRY_JOB,
      payload: { order_id: o.id },
      runAt: now + backoffMs(ctx, retries),
    });
    return moveOrder(ctx, tx, o, "retrying", {
      actor,
      reason: "no requisite can take the order yet",
      set: { ...unassigned, retries, selectionLog, expiresAt: null },
      details: { retries, rejected_counts: attempt.rejected_counts },
    });
  }
  if (o.direction === "payout") releasePayoutStore(ctx, tx, o);
  return moveOrder(ctx, tx, o, "failed", {
    actor,
    reason: "no requisite could take the order",
    set: { ...unassigned, selectionLog, expiresAt: null },
    details: { retries: o.retries, rejected_counts: attempt.rejected_counts },
  });
}
