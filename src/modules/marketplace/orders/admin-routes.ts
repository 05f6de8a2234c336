import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, gte, isNotNull, isNull, lt, type SQL } from "drizzle-orm";
import { orders } from "../../../db/schema";
import { principalOf } from "../../../http/auth";
import {
  createRouter,
  errors,
  IdParam,
  json,
  jsonBody,
  optionalJsonBody,
  secured,
} from "../../../lib/openapi";
import { page, pageOf, pageSchema } from "../../../lib/pagination";
import { DAY } from "../../../lib/time";
import { actorOf } from "../../accounts/admin-routes";
import { MP } from "../permissions";
import { serializeOrder } from "./access";
import { adminSetStatus, confirmPayment } from "./actions";
import { AdminOrderQuery, OrderSchema, SetStatusBody, TakeBody } from "./schemas";

const tags = ["admin: orders"];

/** Seed 001's admin appointment operations (also under /api/admin/appointments). */
export const orderAdminRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/orders",
      tags,
      summary: "Every order, newest first, with filters (created between date_from and date_to, UTC days)",
      ...secured(MP.ordersReadAny),
      request: { query: AdminOrderQuery },
      responses: { 200: json(pageSchema(OrderSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const where: (SQL | undefined)[] = [
        q.status ? eq(orders.status, q.status) : undefined,
        q.kind ? eq(orders.kind, q.kind) : undefined,
        q.client_id ? eq(orders.clientId, q.client_id) : undefined,
        q.expert_id ? eq(orders.expertId, q.expert_id) : undefined,
        q.sla_breached === "true" ? isNotNull(orders.slaBreachedAt) : undefined,
        q.sla_breached === "false" ? isNull(orders.slaBreachedAt) : undefined,
        q.date_from ? gte(orders.createdAt, Date.parse(q.date_from)) : undefined,
        q.date_to ? lt(orders.createdAt, Date.parse(q.date_to) + DAY) : undefined,
      ];
      const { total, rows } = pageOf(
        c.get("ctx").db,
        orders,
        and(...where),
        q,
        desc(orders.createdAt),
        desc(orders.id),
      );
      return c.json(page(c.req.url, q, total, rows.map(serializeOrder)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/orders/{id}/confirm-payment",
      tags,
      summary: "Confirm a manual payment as an admin (audited)",
      ...secured(MP.ordersManage),
      request: { params: IdParam, ...optionalJsonBody(TakeBody) },
      responses: { 200: json(OrderSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(
        serializeOrder(confirmPayment(c.get("ctx"), principalOf(c), actorOf(c), c.req.valid("param").id)),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/orders/{id}/set-status",
      tags,
      summary: "Override an order's status (audited; moves no money)",
      ...secured(MP.ordersManage),
      request: { params: IdParam, ...jsonBody(SetStatusBody) },
      responses: { 200: json(OrderSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(
        serializeOrder(
          adminSetStatus(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json")),
        ),
        200,
      ),
  );
