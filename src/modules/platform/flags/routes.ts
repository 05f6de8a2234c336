import { createRoute } from "@hono/zod-openapi";
import { notFound } from "../../../lib/errors";
import { createRouter, errors, json, jsonBody, secured, z } from "../../../lib/openapi";
import { PageQuery, page, pageSchema } from "../../../lib/pagination";
import { actorOf } from "../../accounts/admin-routes";
import { createFlag, deleteFlag, updateFlag } from "./admin";
import { CallerFlagsSchema, FlagCreateBody, FlagKeyParam, FlagPatchBody, FlagSchema } from "./schemas";
import { callerFlags, flagView, listFlagViews } from "./service";

const tags = ["admin: flags"];
const READ = "flags:read";
const WRITE = "flags:write";

/** Feature flags: the admin CRUD, and every flag's value for the caller. */
export const flagRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/flags",
      tags,
      summary: "Every feature flag by key, the built-in ones included (with their default until saved)",
      ...secured(READ),
      request: { query: PageQuery.strict() },
      responses: { 200: json(pageSchema(FlagSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const all = listFlagViews(c.get("ctx"));
      const from = (q.page - 1) * q.page_size;
      return c.json(page(c.req.url, q, all.length, all.slice(from, from + q.page_size)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/flags",
      tags,
      summary: "Create a feature flag (409 when the key exists)",
      ...secured(WRITE),
      request: jsonBody(FlagCreateBody),
      responses: { 201: json(FlagSchema, "Created"), ...errors(401, 403, 409) },
    }),
    (c) => c.json(createFlag(c.get("ctx"), actorOf(c), c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/flags/{key}",
      tags,
      summary: "One feature flag",
      ...secured(READ),
      request: { params: FlagKeyParam },
      responses: { 200: json(FlagSchema), ...errors(401, 403, 404) },
    }),
    (c) => {
      const view = flagView(c.get("ctx"), c.req.valid("param").key);
      if (!view) throw notFound("flag");
      return c.json(view, 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/admin/flags/{key}",
      tags,
      summary: "Change a feature flag's fields (a built-in flag is saved by its first change)",
      ...secured(WRITE),
      request: { params: FlagKeyParam, ...jsonBody(FlagPatchBody) },
      responses: { 200: json(FlagSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(updateFlag(c.get("ctx"), actorOf(c), c.req.valid("param").key, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/admin/flags/{key}",
      tags,
      summary: "Delete a feature flag (a built-in flag returns to its default)",
      ...secured(WRITE),
      request: { params: FlagKeyParam },
      responses: { 204: { description: "Deleted" }, ...errors(401, 403, 404) },
    }),
    (c) => {
      deleteFlag(c.get("ctx"), actorOf(c), c.req.valid("param").key);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/flags",
      tags: ["flags"],
      summary: "Every feature flag's value for the caller (signed in or anonymous)",
      description:
        "Open to anyone. Without credentials the answers are an anonymous caller's: a flag is on only when it is enabled for 100 % of users with no roles and no user ids listed. Credentials that are sent must be valid (401 otherwise).",
      request: { query: z.strictObject({}) },
      responses: { 200: json(CallerFlagsSchema), ...errors(401) },
    }),
    (c) => {
      const p = c.get("principal");
      // A client that sent credentials expects answers for its user, not an anonymous caller's.
      const authError = c.get("authError");
      if (!p && authError) throw authError;
      const user = p ? { id: p.user.id, role: p.user.role } : null;
      return c.json({ flags: callerFlags(c.get("ctx"), user) }, 200);
    },
  );
