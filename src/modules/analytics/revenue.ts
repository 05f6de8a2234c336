import type { AppContext } from "../../context";
import { prepare, preparedPer } from "../../db/prepared";
import { accountOf, platformRevenue } from "../ledger/service";
import { DAY_OF, dailySeries, type Period } from "./period";

const perDay = (side: "credit" | "debit") =>
  `SELECT ${DAY_OF("created_at")} AS d, coalesce(sum(amount), 0) AS v, count(*) AS n FROM ledger_transfers
    WHERE ${side}_account_id = ?3 AND created_at >= ?1 AND created_at < ?2 GROUP BY d`;

export const REVENUE_SQL = {
  // What reached the revenue account per day: package sales, order and course commissions.
  earned: perDay("credit"),
  // What left it: refunds of package purchases.
  refunded: perDay("debit"),
} as const;

type Day = { d: number; v: number; n: number };
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
  const earned = account ? s.earned.all(p.from, p.end, account.id) : [];
  const refunded = account ? s.refunded.all(p.from, p.end, account.id) : [];
  const days = [...earned, ...refunded.map((r) => ({ ...r, v: -r.v }))];
  const total = days.reduce((a, r) => a + r.v, 0);
  const count = days.reduce((a, r) => a + r.n, 0);
  return {
    period_days: p.days,
    analytics: {
      total_revenue: total,
      transaction_count: count,
      avg_transaction: count > 0 ? Math.round(total / count) : null,
      currency,
      daily_revenue: dailySeries(p, days, "revenue"),
    },
  };
}

export type RevenueAnalytics = ReturnType<typeof revenueAnalytics>;
