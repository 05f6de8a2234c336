import { and, asc, count, eq, type SQL, sql } from "drizzle-orm";
import type { Queryable } from "../../../db/client";
import { gatewayRequisites, gatewayTraders, users } from "../../../db/schema";
import { offset } from "../../../lib/pagination";
import { serializeRequisite } from "../requisites/service";
import type { OnlineRequisitesQuery } from "./schemas";

/**
 * Approved requisites of online traders (in work, traffic on, not banned): what selection can
 * route to now, with today's use of their limits. A teamlead passes their id and sees their team's.
 * Admins walk gateway_requisites_status_idx (status, id) in id order; a team starts from
 * gateway_traders_teamlead_idx and reads each trader's requisites by gateway_requisites_trader_idx.
 */
export function onlineRequisites(db: Queryable, now: number, q: OnlineRequisitesQuery, teamleadId?: number) {
  const conds: SQL[] = [
    // For a team, `+status` keeps the planner from walking every approved requisite of the
    // platform: it starts from the team's traders instead.
    teamleadId === undefined
      ? eq(gatewayRequisites.status, "approved")
      : sql`+${gatewayRequisites.status} = 'approved'`,
    eq(gatewayTraders.inWork, true),
    eq(gatewayTraders.trafficEnabled, true),
    eq(users.isBanned, false),
  ];
  if (teamleadId !== undefined) conds.push(eq(gatewayTraders.teamleadId, teamleadId));
  if (q.currency) conds.push(eq(gatewayRequisites.currency, q.currency));
  if (q.direction === "payin") conds.push(eq(gatewayRequisites.payIn, true));
  if (q.direction === "payout") conds.push(eq(gatewayRequisites.payOut, true));
  const where = and(...conds);
  const total = db
    .select({ n: count() })
    .from(gatewayRequisites)
    .innerJoin(gatewayTraders, eq(gatewayTraders.id, gatewayRequisites.traderId))
    .innerJoin(users, eq(users.id, gatewayTraders.userId))
    .where(where)
    .get()!.n;
  const rows = db
    .select({
      r: gatewayRequisites,
      userId: gatewayTraders.userId,
      teamleadId: gatewayTraders.teamleadId,
      username: users.username,
    })
    .from(gatewayRequisites)
    .innerJoin(gatewayTraders, eq(gatewayTraders.id, gatewayRequisites.traderId))
    .innerJoin(users, eq(users.id, gatewayTraders.userId))
    .where(where)
    .orderBy(asc(gatewayRequisites.id))
    .limit(q.page_size)
    .offset(offset(q))
    .all();
  const results = rows.map((x) => ({
    ...serializeRequisite(x.r, now),
    trader: { id: x.r.traderId, user_id: x.userId, username: x.username, teamlead_id: x.teamleadId },
  }));
  return { total, results };
}
