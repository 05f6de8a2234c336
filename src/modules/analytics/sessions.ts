import type { AppContext } from "../../context";
import { prepare, preparedPer } from "../../db/prepared";
import { ORDER_STATUSES, type OrderStatus } from "../../db/schema";
import { mean2, type Period } from "./period";

export const TOP_MENTORS = 5;

const IN_PERIOD = "kind = 'session' AND created_at >= ?1 AND created_at < ?2";

export const SESSIONS_SQL = {
  // One range of orders_kind_status_expert_idx per status; durations, experts read from the index.
  oneStatus: `SELECT count(*) AS n, coalesce(sum(duration_minutes), 0) AS minutes, count(duration_minutes) AS timed
    FROM orders WHERE ${IN_PERIOD} AND status = ?3`,
  topMentors: `SELECT expert_id, count(*) AS n FROM orders
    WHERE ${IN_PERIOD} AND status = 'completed' AND expert_id IS NOT NULL
    GROUP BY expert_id ORDER BY n DESC, expert_id LIMIT ${TOP_MENTORS}`,
} as const;

type StatusRow = { n: number; minutes: number; timed: number };
const stmts = preparedPer((db) => ({
  oneStatus: prepare<StatusRow, [number, number, string]>(db, SESSIONS_SQL.oneStatus),
  topMentors: prepare<{ expert_id: number; n: number }, [number, number]>(db, SESSIONS_SQL.topMentors),
}));

function statusRows(ctx: AppContext, p: Period): (StatusRow & { status: OrderStatus })[] {
  const s = stmts(ctx.db);
  return ORDER_STATUSES.map((status) => ({ status, ...s.oneStatus.get(p.from, p.end, status)! }));
}

/**
 * Sessions (orders of kind `session`) created in the period: every status with its count (zeros
 * included), the mean booked length of the completed ones, and the experts who completed most.
 */
export function sessionAnalytics(ctx: AppContext, p: Period) {
  const by_status = Object.fromEntries(ORDER_STATUSES.map((st) => [st, 0])) as Record<OrderStatus, number>;
  let total = 0;
  let minutes = 0;
  let timed = 0;
  for (const r of statusRows(ctx, p)) {
    by_status[r.status] = r.n;
    total += r.n;
    if (r.status === "completed") {
      minutes = r.minutes;
      timed = r.timed;
    }
  }
  return {
    period_days: p.days,
    analytics: {
      total,
      by_status,
      avg_duration_minutes: mean2(minutes, timed, null),
      top_mentors: stmts(ctx.db)
        .topMentors.all(p.from, p.end)
        .map((r) => ({ mentor_id: r.expert_id, sessions: r.n })),
    },
  };
}

export type SessionAnalytics = ReturnType<typeof sessionAnalytics>;
