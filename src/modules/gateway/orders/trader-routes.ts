import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, inArray, type SQL } from "drizzle-orm";
import type { Queryable } from "../../../db/client";
import { gatewayOrders, gatewayRequisites } from "../../../db/schema";
import { principalOf } from "../../../http/auth";
import { createRouter, errors, IdParam, json, jsonBody, secured } from "../../../lib/openapi";
import { page, pageOf, pageSchema } from "../../../lib/pagination";
import { GW } from "../permissions";
import {
  gatewayActorOf,
  readBodyWithReceipt,
  serializeOrderForTrader,
  traderCancel,
  traderConfirm,
  traderFor,
  traderOrder,
} from "./lifecycle";
import {
  CancelBody,
  ConfirmBody,
  receiptPart,
  TraderOrderSchema,
  TraderOrdersQuery,
} from "./lifecycle-schemas";
import type { GatewayOrderRow, RequisiteRow } from "./serialize";

const tags = ["gateway: trader"];

/** The requisites of a page of orders, read at once. */
export function requisitesOf(db: Queryable, rows: GatewayOrderRow[]): Map<number, RequisiteRow> {
  const ids = [...new Set(rows.flatMap((o) => (o.requisiteId == null ? [] : [o.requisiteId])))];
  if (ids.length === 0) return new Map();
  return new Map(
    db
      .select()
      .from(gatewayRequisites)
      .where(inArray(gatewayRequisites.id, ids))
      .all()
      .map((r) => [r.id, r]),
  );
}

export const traderOrderRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/trader/orders",
      tags,
      summary: "Orders routed to me, newest first (filters: status, direction)",
      ...secured(GW.traderOrders),
      request: { query: TraderOrdersQuery },
      responses: { 200: json(pageSchema(TraderOrderSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const { db } = c.get("ctx");
      const q = c.req.valid("query");
      const trader = traderFor(db, principalOf(c));
      const where: SQL[] = [eq(gatewayOrders.traderId, trader.id)];
      if (q.status) where.push(eq(gatewayOrders.status, q.status));
      if (q.direction) where.push(eq(gatewayOrders.direction, q.direction));
      const { total, rows } = pageOf(db, gatewayOrders, and(...where), q, desc(gatewayOrders.id));
      const reqs = requisitesOf(db, rows);
      const results = rows.map((o) => serializeOrderForTrader(o, reqs.get(o.requisiteId ?? 0)));
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/trader/orders/{id}/confirm",
      tags,
      summary:
        "Confirm an order -> completed: a pay-in's money arrived, or a pay-out was paid (multipart `receipt` required)",
      ...secured(GW.traderOrders),
      request: {
        params: IdParam,
        body: {
          required: false,
          content: { "application/json": { schema: ConfirmBody }, ...receiptPart({}, []) },
        },
      },
      responses: { 200: json(TraderOrderSchema), ...errors(401, 403, 404, 409, 413, 415) },
    }),
    async (c) => {
      const ctx = c.get("ctx");
      const p = principalOf(c);
      const id = c.req.valid("param").id;
      // Strangers are refused before their bytes are read.
      traderOrder(ctx.db, traderFor(ctx.db, p).id, id);
      const { receipt } = await readBodyWithReceipt(c, ConfirmBody);
      return c.json(await traderConfirm(ctx, p, gatewayActorOf(c), id, receipt), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/trader/orders/{id}/cancel",
      tags,
      summary: "Give an order up: a pay-in is cancelled (hold released); a pay-out goes to another trader",
      ...secured(GW.traderOrders),
      request: { params: IdParam, ...jsonBody(CancelBody) },
      responses: { 200: json(TraderOrderSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(
        traderCancel(
          c.get("ctx"),
          principalOf(c),
          gatewayActorOf(c),
          c.req.valid("param").id,
          c.req.valid("json").reason,
        ),
        200,
      ),
  );
