import { createRoute } from "@hono/zod-openapi";
import { createRouter, errors, IdParam, json, optionalJsonBody, secured, z } from "../../../lib/openapi";
import { page, pageSchema } from "../../../lib/pagination";
import { actorOf } from "../../accounts/admin-routes";
import { listAttention, listTags, removeTag, resolveAttention, userFlags } from "./attention";
import { RULE_PERMISSIONS as P } from "./permissions";
import { AttentionQuery, AttentionSchema, ResolveBody, TagSchema, TagsQuery } from "./schemas";

const tags = ["admin: rules"];

/** What rules leave for staff: attention items, tags on subjects, flags on users. */
export const attentionRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/attention",
      tags,
      summary: "Attention items rules raised, newest first (status=open is the queue)",
      ...secured(P.attentionRead),
      request: { query: AttentionQuery },
      responses: { 200: json(pageSchema(AttentionSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listAttention(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/attention/{id}/resolve",
      tags,
      summary: "Resolve an attention item, with an optional note (audited; 409 when already resolved)",
      ...secured(P.attentionWrite),
      request: { params: IdParam, ...optionalJsonBody(ResolveBody) },
      responses: { 200: json(AttentionSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(
        resolveAttention(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json")?.note),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/tags",
      tags,
      summary: "Tags and flags rules gave, by subject (subject_type and subject_id), kind or tag",
      ...secured(P.tagsRead),
      request: { query: TagsQuery },
      responses: { 200: json(pageSchema(TagSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listTags(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/admin/tags/{id}",
      tags,
      summary: "Take a tag or a user flag off its subject (audited; a rule may give it again later)",
      ...secured(P.tagsWrite),
      request: { params: IdParam },
      responses: { 204: { description: "Removed" }, ...errors(401, 403, 404) },
    }),
    (c) => {
      removeTag(c.get("ctx"), actorOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/users/{id}/flags",
      tags,
      summary: "Flags rules put on a user",
      ...secured(P.usersRead),
      request: { params: IdParam },
      responses: { 200: json(z.object({ results: z.array(TagSchema) })), ...errors(401, 403, 404) },
    }),
    (c) => c.json(userFlags(c.get("ctx"), c.req.valid("param").id), 200),
  );
