import { createRoute } from "@hono/zod-openapi";
import { createRouter, errors, IdParam, json, jsonBody, secured } from "../../lib/openapi";
import { PageQuery, page, pageSchema } from "../../lib/pagination";
import { actorOf } from "../accounts/admin-routes";
import { adjustUserMinutes, listPurchasesAdmin, listUsageAdmin } from "./admin";
import {
  AdminPurchaseSchema,
  AdminUsageSchema,
  MinutesBody,
  MinutesResult,
  PurchasesQuery,
  UsageQuery,
} from "./package-schemas";

const tags = ["admin: billing"];

/** Admin views of purchases and usage, manual minute adjustments. */
export const billingAdminRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/purchases",
      tags,
      summary: "Every user's purchases and top-ups, newest first",
      ...secured("purchases:read_all"),
      request: { query: PageQuery.extend(PurchasesQuery.shape) },
      responses: { 200: json(pageSchema(AdminPurchaseSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listPurchasesAdmin(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/usage",
      tags,
      summary: "Every user's usage events with their allocations, newest first",
      ...secured("usage:read_all"),
      request: { query: PageQuery.extend(UsageQuery.shape) },
      responses: { 200: json(pageSchema(AdminUsageSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listUsageAdmin(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/users/{id}/minutes",
      tags,
      summary: "Give (seconds > 0) or take back (seconds < 0) a user's minutes",
      ...secured("minutes:adjust"),
      request: { params: IdParam, ...jsonBody(MinutesBody) },
      responses: { 200: json(MinutesResult), ...errors(401, 402, 403, 404) },
    }),
    (c) =>
      c.json(adjustUserMinutes(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  );
