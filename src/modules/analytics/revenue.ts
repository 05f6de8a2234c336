import type { AppContext } from "../../context";
import { prepare, preparedPer } from "../../db/prepared";
import { accountOf, platformRevenue } from "../ledger/service";
import { dailySeries, type Period } from "./period";

const oneDay = (side: "credit" | "debit") =>
  `SELECT coalesce(sum(amount), 0) AS amount, count(*) AS n FROM ledger_transfers
    WHERE ${side}_account_id = ?1 AND created_at >= ?2 AND created_at < ?3`;

export const REVENUE_SQL = {
  // What reached the revenue account in a day: package sales, order and course commissions.
  earned: oneDay("credit"),
  // What left it: refunds of package purchases.
  refunded: oneDay("debit"),
} as const;

type Day = { amount: number; n: number };
const stmts = preparedPer((db) => ({
  earned: prepare<Day, [number, number, number]>(db, REVENUE_SQL.earned),
  refunded: prepare<Day, [number, number, number]>(db, REVENUE_SQL.refunded),
}));

/**
 * Money the platform earned in the period, in one currency: every transfer into the platform
 * revenue account, less every transfer out of it (refunds). Each such transfer is a transaction;
 * avg_transaction = total_revenue / transaction_count, in whole minor units.
 */
export function revenueAnalytics(ctx: AppContext, p: Period, currency: string) {
  const account = accountOf(ctx.db, platformRevenue(currency));
  const s = stmts(ctx.db);
  let total = 0;
  let count = 0;
  const daily_revenue = dailySeries(p, "revenue", (from, to) => {
    if (!account) return 0;
    const inn = s.earned.get(account.id, from, to)!;
    const out = s.refunded.get(account.id, from, to)!;
    total += inn.amount - out.amount;
    count += inn.n + out.n;
    return inn.amount - out.amount;
  });
  return {
    period_days: p.days,
    analytics: {
      total_revenue: total,
      transaction_count: count,
      avg_transaction: count > 0 ? Math.round(total / count) : null,
      currency,
      daily_revenue,
    },
  };
}

export type RevenueAnalytics = ReturnType<typeof revenueAnalytics>;
