import type { AppContext } from "../../context";
import { prepare, preparedPer } from "../../db/prepared";
import { dailySeries, type Period } from "./period";

export const GROWTH_SQL = {
  // One UTC day of sign-ups, counted from the created_at index alone.
  signups: "SELECT count(*) AS n FROM users WHERE created_at >= ?1 AND created_at < ?2",
} as const;

const stmts = preparedPer((db) => ({
  signups: prepare<{ n: number }, [number, number]>(db, GROWTH_SQL.signups),
}));

/** Sign-ups per UTC date of the period, oldest first, every date present. */
export function userGrowth(ctx: AppContext, p: Period) {
  const s = stmts(ctx.db).signups;
  return { period_days: p.days, data: dailySeries(p, "new_users", (from, to) => s.get(from, to)!.n) };
}

export type UserGrowth = ReturnType<typeof userGrowth>;
