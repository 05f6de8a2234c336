import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, inArray, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import type { AppContext } from "../../../context";
import { prepare, preparedPer } from "../../../db/prepared";
import { type GatewayDirection, gatewayOrders, gatewayRequisites, gatewayStores } from "../../../db/schema";
import { can, principalOf } from "../../../http/auth";
import { clientIpOf } from "../../../http/client-ip";
import type { AppEnv, Principal } from "../../../http/types";
import { notFound } from "../../../lib/errors";
import { createRouter, errors, IdParam, json, jsonBody, secured, z } from "../../../lib/openapi";
import { page, pageOf, pageSchema } from "../../../lib/pagination";
import { iso, isoOrNull } from "../../../lib/time";
import { storeOwner } from "../callbacks";
import { GW } from "../permissions";
import { orderOut, ownsStore, readableOrder } from "./access";
import { createGatewayOrder } from "./create";
import {
  GatewayOrderSchema,
  OrderCallbackSchema,
  OrderForCaller,
  OrderListQuery,
  PayinBody,
  PayoutBody,
} from "./schemas";
import { type RequisiteRow, serializeOrder } from "./serialize";
import { findGatewayOrder, type GatewayActor } from "./status";

const tags = ["gateway: orders"];

const actorOf = (c: Context<AppEnv>): GatewayActor => ({
  id: principalOf(c).user.id,
  ip: clientIpOf(c),
  requestId: c.get("requestId"),
});

const createRouteOf = (direction: GatewayDirection, summary: string, description: string) => ({
  method: "post" as const,
  path: `/gateway/${direction}` as const,
  tags,
  summary,
  ...secured(GW.merchantOrders),
  description: `Requires permission \`${GW.merchantOrders}\`. ${description}`,
  responses: {
    201: json(GatewayOrderSchema, "Created"),
    200: json(GatewayOrderSchema, "The same request was made before: the order it created"),
    ...errors(401, 402, 403, 404, 409),
  },
});

/** A grant for one order (`gateway_orders:12:read`) reads that order as support does. */
const ORDER_READ = "gateway_orders:{id}:read";

/** readableOrder(), plus the staff view for a caller granted this order. */
function readableBy(
  ctx: AppContext,
  p: Principal,
  id: number,
  opts: Parameters<typeof readableOrder>[3] = {},
): ReturnType<typeof readableOrder> {
  if (can(p, GW.supportOrders) || !can(p, ORDER_READ, { id })) return readableOrder(ctx, p, id, opts);
  const order = findGatewayOrder(ctx.db, id);
  if (!order || (opts.direction && order.direction !== opts.direction)) throw notFound("gateway order");
  return { order, view: "staff" };
}

const readRoute = (path: string, summary: string) =>
  createRoute({
    method: "get",
    path,
    tags,
    summary,
    ...secured(GW.merchantOrders, GW.traderOrders, GW.supportOrders, ORDER_READ),
    request: { params: IdParam },
    responses: { 200: json(OrderForCaller), ...errors(401, 403, 404) },
  });

const IDEMPOTENCY_TEXT =
  "The same `client_order_id` for the same store answers 200 with the order it created; with a different body, 409 `idempotency_conflict`. The fraud check (deny: `failed`; review: `review`, decided by support) and the choice of a requisite happen in this request; with no requisite free the order is `retrying`. Amounts are fiat minor units; `amount_crypto` is USDT micro-units at the currency's rate, fixed on the order. Status changes are sent to `callback_url` (or the store's) signed with the store's secret (Standard Webhooks).";

// The callbacks of one order: the store's endpoints' deliveries of the order's events.
const stmts = preparedPer((db) => ({
  callbacks: prepare<
    {
      id: number;
      message_id: string;
      event_type: string;
      url: string;
      status: "pending" | "succeeded" | "failed";
      attempts: number;
      last_status_code: number | null;
      delivered_at: number | null;
      created_at: number;
    },
    [string, string, string]
  >(
    db,
    `SELECT d.id, d.message_id, d.event_type, w.url, d.status, d.attempts, d.last_status_code,
            d.delivered_at, d.created_at
     FROM events e
     JOIN webhook_deliveries d ON d.event_id = e.id
     JOIN webhook_endpoints w ON w.id = d.endpoint_id
     WHERE e.subject_type = 'gateway_order' AND e.subject_id = ?1
       AND w.owner_type = ?2 AND w.owner_id = ?3
     ORDER BY d.id`,
  ),
}));

function requisitesOf(ctx: AppContext, ids: (number | null)[]): Map<number, RequisiteRow> {
  const wanted = [...new Set(ids.filter((x): x is number => x != null))];
  if (!wanted.length) return new Map();
  const rows = ctx.db.select().from(gatewayRequisites).where(inArray(gatewayRequisites.id, wanted)).all();
  return new Map(rows.map((r) => [r.id, r]));
}

export const gatewayOrderRoutes = createRouter()
  .openapi(
    createRoute({
      ...createRouteOf(
        "payin",
        "Create a pay-in: the customer pays fiat to a trader's requisite",
        IDEMPOTENCY_TEXT,
      ),
      request: jsonBody(PayinBody),
    }),
    async (c) => {
      const r = await createGatewayOrder(c.get("ctx"), principalOf(c).user.id, actorOf(c), {
        direction: "payin",
        body: c.req.valid("json"),
      });
      return c.json(serializeOrder(r.order, r.requisite), r.created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      ...createRouteOf(
        "payout",
        "Create a pay-out: a trader pays fiat to the merchant's customer",
        `The store's balance must cover \`amount_crypto\` plus the store's commission, which are held at once (402 \`insufficient_funds\` otherwise, and nothing is created). ${IDEMPOTENCY_TEXT}`,
      ),
      request: jsonBody(PayoutBody),
    }),
    async (c) => {
      const r = await createGatewayOrder(c.get("ctx"), principalOf(c).user.id, actorOf(c), {
        direction: "payout",
        body: c.req.valid("json"),
      });
      return c.json(serializeOrder(r.order, r.requisite), r.created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/gateway/orders",
      tags,
      summary: "The orders of the caller's stores, newest first",
      ...secured(GW.merchantOrders),
      request: { query: OrderListQuery },
      responses: { 200: json(pageSchema(GatewayOrderSchema)), ...errors(401, 403, 404) },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const p = principalOf(c);
      const q = c.req.valid("query");
      if (q.store_id !== undefined && !ownsStore(ctx, p, q.store_id)) throw notFound("store");
      const storeIds =
        q.store_id !== undefined
          ? [q.store_id]
          : ctx.db
              .select({ id: gatewayStores.id })
              .from(gatewayStores)
              .where(eq(gatewayStores.merchantId, p.user.id))
              .all()
              .map((s) => s.id);
      // One store (the usual case) walks its index newest first with no sort.
      const conds: (SQL | undefined)[] = [
        storeIds.length === 1
          ? eq(gatewayOrders.storeId, storeIds[0]!)
          : inArray(gatewayOrders.storeId, storeIds),
        q.status && eq(gatewayOrders.status, q.status),
        q.direction && eq(gatewayOrders.direction, q.direction),
      ];
      const where = and(...conds);
      const { total, rows } = pageOf(ctx.db, gatewayOrders, where, q, desc(gatewayOrders.id));
      const reqs = requisitesOf(
        ctx,
        rows.map((o) => o.requisiteId),
      );
      const results = rows.map((o) =>
        serializeOrder(o, o.requisiteId == null ? null : reqs.get(o.requisiteId)),
      );
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    readRoute("/gateway/orders/{id}", "One gateway order (its merchant, its trader, or support)"),
    (c) => {
      const ctx = c.get("ctx");
      const { order, view } = readableBy(ctx, principalOf(c), c.req.valid("param").id);
      return c.json(orderOut(ctx, view, order), 200);
    },
  )
  .openapi(readRoute("/gateway/payin/status/{id}", "A pay-in's status and requisite"), (c) => {
    const ctx = c.get("ctx");
    const { order, view } = readableBy(ctx, principalOf(c), c.req.valid("param").id, {
      direction: "payin",
    });
    return c.json(orderOut(ctx, view, order), 200);
  })
  .openapi(readRoute("/gateway/payout/status/{id}", "A pay-out's status"), (c) => {
    const ctx = c.get("ctx");
    const { order, view } = readableBy(ctx, principalOf(c), c.req.valid("param").id, {
      direction: "payout",
    });
    return c.json(orderOut(ctx, view, order), 200);
  })
  .openapi(
    createRoute({
      method: "get",
      path: "/gateway/orders/{id}/callbacks",
      tags,
      summary: "The status callbacks sent to the store for one order",
      ...secured(GW.merchantOrders, GW.supportOrders, ORDER_READ),
      request: { params: IdParam },
      responses: {
        200: json(z.object({ count: z.number().int(), results: z.array(OrderCallbackSchema) })),
        ...errors(401, 403, 404),
      },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const { order } = readableBy(ctx, principalOf(c), c.req.valid("param").id, {
        views: ["merchant", "staff"],
      });
      const owner = storeOwner(order.storeId);
      const results = stmts(ctx.db)
        .callbacks.all(String(order.id), owner.type, String(owner.id))
        .map((d) => ({
          id: d.id,
          message_id: d.message_id,
          event_type: d.event_type,
          url: d.url,
          status: d.status,
          attempts: d.attempts,
          last_status_code: d.last_status_code,
          delivered_at: isoOrNull(d.delivered_at),
          created_at: iso(d.created_at),
        }));
      return c.json({ count: results.length, results }, 200);
    },
  );
