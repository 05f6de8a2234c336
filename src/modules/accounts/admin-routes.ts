import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { principalOf } from "../../http/auth";
import { clientIpOf } from "../../http/client-ip";
import type { AppEnv } from "../../http/types";
import {
  createRouter,
  errors,
  IdParam,
  json,
  jsonBody,
  optionalJsonBody,
  secured,
  z,
} from "../../lib/openapi";
import { PageQuery, page, pageSchema } from "../../lib/pagination";
import { type AdminActor, adminUser, allUsers, banUser, listUsers, setRole, unbanUser } from "./admin";
import { AdminUserSchema, BanBody, RoleBody, UsersQuery } from "./schemas";

const tags = ["admin: users"];

export const actorOf = (c: Context<AppEnv>): AdminActor => ({
  id: principalOf(c).user.id,
  permissions: principalOf(c).permissions,
  ip: clientIpOf(c),
  requestId: c.get("requestId"),
});

/** A staff action on one user: the flat permission covers every user, `users:{id}:<action>` one. */
const userAction = <T extends z.ZodType>(path: string, summary: string, action: string, body: T) =>
  createRoute({
    method: "post",
    path,
    tags,
    summary,
    ...secured(`users:${action}`, `users:{id}:${action}`),
    request: { params: IdParam, ...optionalJsonBody(body) },
    responses: { 200: json(AdminUserSchema), ...errors(401, 403, 404, 409) },
  });

export const adminUserRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/users",
      tags,
      summary: "Users, filtered and paginated",
      ...secured("users:read"),
      request: { query: PageQuery.extend(UsersQuery.shape) },
      responses: { 200: json(pageSchema(AdminUserSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listUsers(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/users/all",
      tags,
      summary: "Every user, compact (for pickers)",
      ...secured("users:read"),
      responses: {
        200: json(
          z.object({
            results: z.array(
              z.object({
                id: z.number(),
                username: z.string().nullable(),
                email: z.string().nullable(),
                role: z.string(),
                is_banned: z.boolean(),
              }),
            ),
          }),
        ),
        ...errors(401, 403),
      },
    }),
    (c) => c.json({ results: allUsers(c.get("ctx")) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/users/{id}",
      tags,
      summary: "One user, with their client risk",
      ...secured("users:read", "users:{id}:read"),
      request: { params: IdParam },
      responses: { 200: json(AdminUserSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(adminUser(c.get("ctx"), c.req.valid("param").id), 200),
  )
  .openapi(
    userAction("/admin/users/{id}/ban", "Ban a user (sessions revoked, refused at once)", "ban", BanBody),
    (c) =>
      c.json(banUser(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  )
  .openapi(userAction("/admin/users/{id}/unban", "Unban a user", "ban", z.strictObject({})), (c) =>
    c.json(unbanUser(c.get("ctx"), actorOf(c), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/users/{id}/role",
      tags,
      summary: "Change a user's role and granted permissions",
      ...secured("users:role", "users:{id}:role"),
      request: { params: IdParam, ...jsonBody(RoleBody) },
      responses: { 200: json(AdminUserSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) => {
      const b = c.req.valid("json");
      return c.json(
        setRole(c.get("ctx"), actorOf(c), c.req.valid("param").id, b.role, b.granted_permissions),
        200,
      );
    },
  );
