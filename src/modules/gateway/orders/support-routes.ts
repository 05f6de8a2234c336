import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, gte, lte, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { gatewayOrders } from "../../../db/schema";
import { createRouter, errors, IdParam, json, jsonBody, secured, type z } from "../../../lib/openapi";
import { page, pageOf, pageSchema } from "../../../lib/pagination";
import { periodConditions } from "../../../lib/period";
import { GW } from "../permissions";
import { resolveDispute } from "./dispute";
import { gatewayActorOf, reviewOrder } from "./lifecycle";
import { ResolveBody, ReviewBody, StaffOrderSchema, SupportOrdersQuery } from "./lifecycle-schemas";
import { serializeOrderForStaff } from "./serialize";
import { requisitesOf } from "./trader-routes";

const tags = ["gateway: support"];

/** The filters of support's list as conditions; a bare `to` date covers that whole (UTC) day. */
export function supportFilters(q: z.infer<typeof SupportOrdersQuery>): SQL | undefined {
  const w: SQL[] = [];
  // Status and direction have indexes for when they are the only filter; next to a narrower one
  // (a store, a trader, a period, an amount) the unary + keeps the planner on the narrow index
  // instead of walking 700k completed orders (docs/gateway-operations.md has the plans).
  const narrow =
    q.store_id ||
    q.trader_id ||
    q.client_order_id ||
    q.amount_exact ||
    q.from ||
    q.to ||
    q.amount_min ||
    q.amount_max;
  const coarse = (col: SQLiteColumn, v: string) => (narrow ? sql`+${col} = ${v}` : eq(col, v));
  if (q.status) w.push(coarse(gatewayOrders.status, q.status));
  if (q.direction) w.push(coarse(gatewayOrders.direction, q.direction));
  if (q.store_id) w.push(eq(gatewayOrders.storeId, q.store_id));
  if (q.trader_id) w.push(eq(gatewayOrders.traderId, q.trader_id));
  if (q.client_order_id) w.push(eq(gatewayOrders.clientOrderId, q.client_order_id));
  if (q.amount_exact) w.push(eq(gatewayOrders.amount, q.amount_exact));
  if (q.amount_min) w.push(gte(gatewayOrders.amount, q.amount_min));
  if (q.amount_max) w.push(lte(gatewayOrders.amount, q.amount_max));
  w.push(...periodConditions(gatewayOrders.createdAt, q));
  return w.length ? and(...w) : undefined;
}

export const supportOrderRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/support/gateway/orders",
      tags,
      summary: "Any gateway order, newest first, with its selection log and fraud decision",
      ...secured(GW.supportOrders),
      request: { query: SupportOrdersQuery },
      responses: { 200: json(pageSchema(StaffOrderSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const { db } = c.get("ctx");
      const q = c.req.valid("query");
      const { total, rows } = pageOf(db, gatewayOrders, supportFilters(q), q, desc(gatewayOrders.id));
      const reqs = requisitesOf(db, rows);
      const results = rows.map((o) => serializeOrderForStaff(o, reqs.get(o.requisiteId ?? 0)));
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/support/gateway/orders/{id}/resolve",
      tags,
      summary:
        "Resolve a dispute: completed moves the money as a completion (402 if the trader's deposit is short), cancelled keeps it cancelled",
      ...secured(GW.supportResolve, "gateway_orders:{id}:resolve"),
      request: { params: IdParam, ...jsonBody(ResolveBody) },
      responses: { 200: json(StaffOrderSchema), ...errors(401, 402, 403, 404, 409) },
    }),
    (c) => {
      const body = c.req.valid("json");
      const row = resolveDispute(
        c.get("ctx"),
        gatewayActorOf(c),
        c.req.valid("param").id,
        body.outcome,
        body.reason,
      );
      return c.json(row, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/support/gateway/orders/{id}/review",
      tags,
      summary:
        "Decide an order held for fraud review: allow routes it (a pay-out first holds from the store: 402 if short), deny fails it",
      ...secured(GW.supportReview, "gateway_orders:{id}:review"),
      request: { params: IdParam, ...jsonBody(ReviewBody) },
      responses: { 200: json(StaffOrderSchema), ...errors(401, 402, 403, 404, 409) },
    }),
    (c) => {
      const body = c.req.valid("json");
      const row = reviewOrder(
        c.get("ctx"),
        gatewayActorOf(c),
        c.req.valid("param").id,
        body.decision,
        body.reason,
      );
      return c.json(row, 200);
    },
  );
