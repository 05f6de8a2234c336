import { createRoute } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { principalOf } from "../../http/auth";
import type { AppEnv } from "../../http/types";
import { forbidden } from "../../lib/errors";
import { createRouter, errors, IdParam, json, jsonBody, secured } from "../../lib/openapi";
import { PageQuery, page, pageSchema } from "../../lib/pagination";
import { actorOf } from "../accounts/admin-routes";
import { hasPermission, ROLE_PERMISSIONS } from "../accounts/permissions";
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

const END_USER_BASE = new Set([...ROLE_PERMISSIONS.client, ...ROLE_PERMISSIONS.expert]);

/**
 * A cross-user read such as `purchases:read_all`: every end user holds `purchases:*` and
 * `usage:*` for their own objects, and those wildcards would cover `…:read_all` too. So the
 * permission must come from outside the end-user base (admin `*`, or granted to staff).
 */
const staffOnly = (permission: string) => {
  const base = secured(permission);
  return {
    ...base,
    middleware: [
      ...base.middleware,
      createMiddleware<AppEnv>(async (c, next) => {
        const own = principalOf(c).permissions.filter((g) => !END_USER_BASE.has(g));
        if (!hasPermission(own, permission)) throw forbidden(`missing permission ${permission}`);
        await next();
      }),
    ],
  };
};

/** Admin views of purchases and usage, manual minute adjustments. */
export const billingAdminRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/purchases",
      tags,
      summary: "Every user's purchases and top-ups, newest first",
      ...staffOnly("purchases:read_all"),
      request: { query: PageQuery.extend(PurchasesQuery.shape) },
      responses: { 200: json(pageSchema(AdminPurchaseSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listPurchasesAdmin(c.var.ctx, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/usage",
      tags,
      summary: "Every user's usage events with their allocations, newest first",
      ...staffOnly("usage:read_all"),
      request: { query: PageQuery.extend(UsageQuery.shape) },
      responses: { 200: json(pageSchema(AdminUsageSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listUsageAdmin(c.var.ctx, q);
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
      c.json(adjustUserMinutes(c.var.ctx, actorOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  );
