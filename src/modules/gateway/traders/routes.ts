import { createRoute } from "@hono/zod-openapi";
import { principalOf } from "../../../http/auth";
import { createRouter, errors, IdParam, json, jsonBody, secured } from "../../../lib/openapi";
import { page, pageSchema } from "../../../lib/pagination";
import { actorOf } from "../../accounts/admin-routes";
import { GW } from "../permissions";
import { BalanceSchema } from "../stores/schemas";
import {
  AdminTraderSchema,
  DepositBody,
  TraderCreateBody,
  TraderDepositSchema,
  TraderPatchBody,
  TraderSchema,
  TradersQuery,
  TrafficBody,
  WorkBody,
} from "./schemas";
import {
  adminTrader,
  createTrader,
  depositToTrader,
  listTraders,
  ownTrader,
  setInWork,
  setTraffic,
  traderBalance,
  updateTrader,
} from "./service";

const adminTags = ["admin: gateway"];
const traderTags = ["gateway: trader"];
const teamleadTags = ["gateway: teamlead"];

/** Traders: the admins' profiles and deposits, the trader's own balance and switch, the teamlead's traffic switch. */
export const traderRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/gateway/traders",
      tags: adminTags,
      summary:
        "Make a user a trader (a client gets the role trader; staff and other roles are refused with 409; one profile per user)",
      ...secured(GW.adminTraders),
      request: jsonBody(TraderCreateBody),
      responses: { 201: json(AdminTraderSchema, "Created"), ...errors(401, 403, 404, 409) },
    }),
    (c) => c.json(createTrader(c.get("ctx"), actorOf(c), c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/gateway/traders",
      tags: adminTags,
      summary: "Every trader with their deposit (available and held), newest first; filter `teamlead_id`",
      ...secured(GW.adminTraders),
      request: { query: TradersQuery },
      responses: { 200: json(pageSchema(AdminTraderSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listTraders(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/gateway/traders/{id}",
      tags: adminTags,
      summary: "One trader with their deposit",
      ...secured(GW.adminTraders),
      request: { params: IdParam },
      responses: { 200: json(AdminTraderSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(adminTrader(c.get("ctx"), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/admin/gateway/traders/{id}",
      tags: adminTags,
      summary:
        "Change a trader's teamlead, priority, commissions or switches (audited with before and after); a new priority applies to the trader's requisites at once",
      ...secured(GW.adminTraders),
      request: { params: IdParam, ...jsonBody(TraderPatchBody) },
      responses: { 200: json(AdminTraderSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(updateTrader(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/gateway/traders/{id}/deposit",
      tags: adminTags,
      summary: "Credit a trader's deposit with USDT received outside souk (audited)",
      ...secured(GW.adminMoney),
      description: `Requires permission \`${GW.adminMoney}\`. Adds \`amount\` USDT micro-units to the trader's available deposit. With an \`Idempotency-Key\` a retry never credits twice (the first deposit is answered again).`,
      request: { params: IdParam, ...jsonBody(DepositBody) },
      responses: {
        201: json(TraderDepositSchema, "Deposited"),
        200: json(TraderDepositSchema, "This deposit was already made under the same Idempotency-Key"),
        ...errors(401, 403, 404, 409),
      },
    }),
    (c) => {
      const { result, applied } = depositToTrader(
        c.get("ctx"),
        actorOf(c),
        c.req.valid("param").id,
        c.req.valid("json"),
        c.req.header("idempotency-key"),
      );
      return applied ? c.json(result, 201) : c.json(result, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/trader/balance",
      tags: traderTags,
      summary: "The caller's deposit in USDT micro-units: available for pay-ins, and held by open ones",
      ...secured(GW.traderBalance),
      responses: { 200: json(BalanceSchema), ...errors(401, 403) },
    }),
    (c) => {
      const db = c.get("ctx").db;
      return c.json(traderBalance(db, ownTrader(db, principalOf(c).user.id).id), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/trader/work",
      tags: traderTags,
      summary: "Start or stop taking orders (orders reach a trader who is in work and whose traffic is on)",
      ...secured(GW.traderWork),
      request: jsonBody(WorkBody),
      responses: { 200: json(TraderSchema), ...errors(401, 403) },
    }),
    (c) => c.json(setInWork(c.get("ctx"), principalOf(c).user.id, c.req.valid("json").in_work), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/teamlead/traders/{id}/traffic",
      tags: teamleadTags,
      summary: "Switch the traffic of a trader of the caller's team on or off (audited)",
      ...secured(GW.teamleadTraffic),
      request: { params: IdParam, ...jsonBody(TrafficBody) },
      responses: { 200: json(TraderSchema), ...errors(401, 403, 404) },
    }),
    (c) =>
      c.json(setTraffic(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json").enabled), 200),
  );
