import { createRoute } from "@hono/zod-openapi";
import { principalOf } from "../../../http/auth";
import { notFound } from "../../../lib/errors";
import { createRouter, errors, IdParam, json, secured } from "../../../lib/openapi";
import { PageQuery, page, pageSchema } from "../../../lib/pagination";
import { GW } from "../permissions";
import { traderBalance } from "../traders/service";
import { onlineRequisites } from "./online";
import {
  OnlineRequisiteSchema,
  OnlineRequisitesQuery,
  PeriodQuery,
  periodOf,
  TeamStatsSchema,
  TeamTraderSchema,
  TraderStatsSchema,
} from "./schemas";
import {
  isOnline,
  periodView,
  teamFigures,
  teamSizes,
  teamTrader,
  teamTradersPage,
  todayVolumes,
  traderFigures,
} from "./stats";

const tags = ["gateway: teamlead"];

const PERIOD_NOTE =
  "Counts the orders created in the period (`from`, `to`; open-ended when left out) that were ever assigned to a trader of the team, whatever their status now. `conversion` is completed / assigned; `avg_confirm_seconds` runs from assignment to completion. USDT in micro-units, fiat in minor units per currency.";

/** A teamlead's views of their own team: traders, their figures and the requisites online now. */
export const teamleadStaffRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/teamlead/traders",
      tags,
      summary:
        "The traders of the caller's team: online state, deposit (available and held) and today's (UTC) volume",
      ...secured(GW.teamleadRead),
      request: { query: PageQuery.strict() },
      responses: { 200: json(pageSchema(TeamTraderSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const { db, clock } = c.get("ctx");
      const q = c.req.valid("query");
      const { total, rows } = teamTradersPage(db, principalOf(c).user.id, q);
      const today = todayVolumes(
        db,
        rows.map((t) => t.id),
        clock.now(),
      );
      const results = rows.map((t) => ({
        id: t.id,
        user: { id: t.user_id, username: t.username },
        online: isOnline(t),
        in_work: t.in_work === 1,
        traffic_enabled: t.traffic_enabled === 1,
        banned: t.is_banned === 1,
        balance: traderBalance(db, t.id),
        today: today.get(t.id)!,
      }));
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/teamlead/traders/{id}/stats",
      tags,
      summary:
        "One trader of the caller's team: orders by status, completed volume, conversion, time to confirm",
      ...secured(GW.teamleadRead),
      description: `Requires permission \`${GW.teamleadRead}\`. A trader of another team is not found (404). ${PERIOD_NOTE}`,
      request: { params: IdParam, query: PeriodQuery },
      responses: { 200: json(TraderStatsSchema), ...errors(401, 403, 404) },
    }),
    (c) => {
      const { db } = c.get("ctx");
      const id = c.req.valid("param").id;
      if (!teamTrader(db, principalOf(c).user.id, id)) throw notFound("trader");
      const p = periodOf(c.req.valid("query"));
      return c.json({ trader_id: id, period: periodView(p), ...traderFigures(db, [id], p).get(id)! }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/teamlead/statistics",
      tags,
      summary: "The caller's whole team: orders by status, completed volume, conversion, time to confirm",
      ...secured(GW.teamleadRead),
      description: `Requires permission \`${GW.teamleadRead}\`. ${PERIOD_NOTE} \`traders\` and \`online\` are the team now.`,
      request: { query: PeriodQuery },
      responses: { 200: json(TeamStatsSchema), ...errors(401, 403) },
    }),
    (c) => {
      const { db } = c.get("ctx");
      const me = principalOf(c).user.id;
      const p = periodOf(c.req.valid("query"));
      const size = teamSizes(db, [me]).get(me)!;
      return c.json({ ...size, period: periodView(p), ...teamFigures(db, [me], p).get(me)! }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/teamlead/requisites/online",
      tags,
      summary:
        "Approved requisites of the team's online traders (in work, traffic on, not banned) with today's use of their limits",
      ...secured(GW.teamleadRead),
      request: { query: OnlineRequisitesQuery },
      responses: { 200: json(pageSchema(OnlineRequisiteSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const { db, clock } = c.get("ctx");
      const q = c.req.valid("query");
      const { total, results } = onlineRequisites(db, clock.now(), q, principalOf(c).user.id);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  );
