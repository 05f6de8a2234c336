import { createRoute } from "@hono/zod-openapi";
import { createRouter, errors, json, secured } from "../../../lib/openapi";
import { page, pageSchema } from "../../../lib/pagination";
import { GW } from "../permissions";
import { onlineRequisites } from "./online";
import {
  MerchantStatsSchema,
  OnlineRequisiteSchema,
  OnlineRequisitesQuery,
  PeriodPageQuery,
  PlatformBalanceSchema,
  periodOf,
  SupportStatsSchema,
  statsPage,
  TeamleadStatsSchema,
  TraderEntityStatsSchema,
} from "./schemas";
import {
  isOnline,
  merchantFigures,
  periodView,
  platformBalance,
  storeCounts,
  supportDecisions,
  teamFigures,
  teamSizes,
  traderFigures,
  tradersPage,
  usersPage,
} from "./stats";

const tags = ["admin: gateway"];

const statsRoute = (entity: string, summary: string, item: Parameters<typeof statsPage>[0], note: string) =>
  createRoute({
    method: "get",
    path: `/admin/gateway/statistics/${entity}`,
    tags,
    summary,
    ...secured(GW.adminStats),
    description: `Requires permission \`${GW.adminStats}\`. ${note} A page of ${entity}, oldest first; \`from\` and \`to\` (ISO date or date-time) bound the period, open-ended when left out.`,
    request: { query: PeriodPageQuery },
    responses: { 200: json(statsPage(item)), ...errors(401, 403) },
  });

const FIGURES_NOTE =
  "`orders` counts them by their status now, `completed` is the completed ones' volume (USDT micro-units and fiat minor units per currency), `conversion` completed / counted, `avg_confirm_seconds` from assignment to completion.";

/** Admins' views over the whole gateway: money held, figures per merchant, trader, team and support. */
export const adminStaffRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/gateway/platform-balance",
      tags,
      summary:
        "The platform's revenue per currency, what stores and traders hold (available and held) and the clearing balance",
      ...secured(GW.adminStats),
      description: `Requires permission \`${GW.adminStats}\`. Ledger balances now, USDT in micro-units. The USDT accounts sum to zero: revenue + stores + traders + clearing.`,
      responses: { 200: json(PlatformBalanceSchema), ...errors(401, 403) },
    }),
    (c) => c.json(platformBalance(c.get("ctx").db), 200),
  )
  .openapi(
    statsRoute(
      "merchants",
      "Per merchant: stores, orders created in the period by status, completed volume, conversion",
      MerchantStatsSchema,
      `Counts the orders of the merchant's stores created in the period. ${FIGURES_NOTE}`,
    ),
    (c) => {
      const { db } = c.get("ctx");
      const q = c.req.valid("query");
      const p = periodOf(q);
      const { total, rows } = usersPage(db, "merchant", q);
      const ids = rows.map((u) => u.id);
      const figures = merchantFigures(db, ids, p);
      const stores = storeCounts(db, ids);
      const results = rows.map((u) => ({
        merchant: { id: u.id, username: u.username },
        stores: stores.get(u.id)!,
        ...figures.get(u.id)!,
      }));
      return c.json({ ...page(c.req.url, q, total, results), period: periodView(p) }, 200);
    },
  )
  .openapi(
    statsRoute(
      "traders",
      "Per trader: orders assigned to them by status, completed volume, conversion, time to confirm",
      TraderEntityStatsSchema,
      `Counts the orders created in the period that were ever assigned to the trader. ${FIGURES_NOTE}`,
    ),
    (c) => {
      const { db } = c.get("ctx");
      const q = c.req.valid("query");
      const p = periodOf(q);
      const { total, rows } = tradersPage(db, q);
      const figures = traderFigures(
        db,
        rows.map((t) => t.id),
        p,
      );
      const results = rows.map((t) => ({
        trader_id: t.id,
        user: { id: t.user_id, username: t.username },
        teamlead_id: t.teamlead_id,
        online: isOnline(t),
        ...figures.get(t.id)!,
      }));
      return c.json({ ...page(c.req.url, q, total, results), period: periodView(p) }, 200);
    },
  )
  .openapi(
    statsRoute(
      "teamleads",
      "Per teamlead: team size, who is online, the team's orders by status, completed volume, conversion",
      TeamleadStatsSchema,
      `Counts the orders created in the period that were ever assigned to a trader of the team (as the team is now). ${FIGURES_NOTE}`,
    ),
    (c) => {
      const { db } = c.get("ctx");
      const q = c.req.valid("query");
      const p = periodOf(q);
      const { total, rows } = usersPage(db, "teamlead", q);
      const ids = rows.map((u) => u.id);
      const figures = teamFigures(db, ids, p);
      const sizes = teamSizes(db, ids);
      const results = rows.map((u) => ({
        teamlead: { id: u.id, username: u.username },
        ...sizes.get(u.id)!,
        ...figures.get(u.id)!,
      }));
      return c.json({ ...page(c.req.url, q, total, results), period: periodView(p) }, 200);
    },
  )
  .openapi(
    statsRoute(
      "supports",
      "Per support user: disputes resolved and fraud reviews decided in the period",
      SupportStatsSchema,
      "Counts, from the audit log, the disputes each support user resolved (completed for the merchant, cancelled for the trader) and the fraud reviews they allowed or denied in the period.",
    ),
    (c) => {
      const { db } = c.get("ctx");
      const q = c.req.valid("query");
      const p = periodOf(q);
      const { total, rows } = usersPage(db, "support", q);
      const decisions = supportDecisions(
        db,
        rows.map((u) => u.id),
        p,
      );
      const results = rows.map((u) => ({
        support: { id: u.id, username: u.username },
        ...decisions.get(u.id)!,
      }));
      return c.json({ ...page(c.req.url, q, total, results), period: periodView(p) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/requisites/online",
      tags,
      summary:
        "Every approved requisite of an online trader (in work, traffic on, not banned) with today's use of its limits",
      ...secured(GW.onlineRequisites),
      request: { query: OnlineRequisitesQuery },
      responses: { 200: json(pageSchema(OnlineRequisiteSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const { db, clock } = c.get("ctx");
      const q = c.req.valid("query");
      const { total, results } = onlineRequisites(db, clock.now(), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  );
