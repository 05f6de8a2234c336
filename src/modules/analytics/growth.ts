import type { AppContext } from "../../context";
import { prepare, preparedPer } from "../../db/prepared";
import { DAY_OF, dailySeries, type Period } from "./period";

export const GROWTH_SQL = {
  // A range of the created_at index, counted from the index alone.
  signups: `SELECT ${DAY_OF("created_at")} AS d, count(*) AS v FROM users
    WHERE created_at >= ?1 AND created_at < ?2 GROUP BY d`,
} as const;

const stmts = preparedPer((db) => ({
  signups: prepare<{ d: number; v: number }, [number, number]>(db, GROWTH_SQL.signups),
}));

/** Sign-ups per UTC date of the period, oldest first, every date present. */
export function userGrowth(ctx: AppContext, p: Period) {
  return {
    period_days: p.days,
    data: dailySeries(p, stmts(ctx.db).signups.all(p.from, p.end), "new_users"),
  };
}

export type UserGrowth = ReturnType<typeof userGrowth>;
