import { createRoute } from "@hono/zod-openapi";
import { createRouter, errors, IdParam, json, jsonBody, secured, z } from "../../../lib/openapi";
import { PageQuery, page, pageSchema } from "../../../lib/pagination";
import { actorOf } from "../../accounts/admin-routes";
import { MP } from "../permissions";
import {
  AdminCatalogEntrySchema,
  CatalogActiveQuery,
  CatalogCreateBody,
  CatalogEntrySchema,
  CatalogPatchBody,
} from "./schemas";
import {
  CATALOG_KINDS,
  CATALOGS,
  createCatalogEntry,
  deactivateCatalogEntry,
  listActiveCatalog,
  listCatalogAdmin,
  updateCatalogEntry,
} from "./service";

/**
 * Public lists and admin CRUD of the three catalogs (subjects, work types, complexities): the
 * same five routes for each, registered from one definition.
 */
export const catalogRoutes = createRouter();

for (const kind of CATALOG_KINDS) {
  const { label } = CATALOGS[kind];
  const admin = `/admin/catalog/${kind}`;
  const adminTags = ["admin: catalog"];

  catalogRoutes
    .openapi(
      createRoute({
        method: "get",
        path: `/catalog/${kind}`,
        tags: ["catalog"],
        summary: `Active ${label} entries, by sort_order then name (public)`,
        responses: { 200: json(z.object({ results: z.array(CatalogEntrySchema) })), ...errors() },
      }),
      (c) => c.json({ results: listActiveCatalog(c.get("ctx"), kind) }, 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: admin,
        tags: adminTags,
        summary: `Every ${label} entry, inactive ones included`,
        ...secured(MP.catalogWrite),
        request: { query: PageQuery.extend(CatalogActiveQuery.shape) },
        responses: { 200: json(pageSchema(AdminCatalogEntrySchema)), ...errors(401, 403) },
      }),
      (c) => {
        const q = c.req.valid("query");
        const { total, results } = listCatalogAdmin(c.get("ctx"), kind, q);
        return c.json(page(c.req.url, q, total, results), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: admin,
        tags: adminTags,
        summary: `Create a ${label} entry (409 when the name is taken)`,
        ...secured(MP.catalogWrite),
        request: jsonBody(CatalogCreateBody),
        responses: { 201: json(AdminCatalogEntrySchema, "Created"), ...errors(401, 403, 409) },
      }),
      (c) => c.json(createCatalogEntry(c.get("ctx"), actorOf(c), kind, c.req.valid("json")), 201),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: `${admin}/{id}`,
        tags: adminTags,
        summary: `Change a ${label} entry (is_active: true turns it back on)`,
        ...secured(MP.catalogWrite),
        request: { params: IdParam, ...jsonBody(CatalogPatchBody) },
        responses: { 200: json(AdminCatalogEntrySchema), ...errors(401, 403, 404, 409) },
      }),
      (c) =>
        c.json(
          updateCatalogEntry(c.get("ctx"), actorOf(c), kind, c.req.valid("param").id, c.req.valid("json")),
          200,
        ),
    )
    .openapi(
      createRoute({
        method: "delete",
        path: `${admin}/{id}`,
        tags: adminTags,
        summary: `Deactivate a ${label} entry (the row stays: orders reference it)`,
        ...secured(MP.catalogWrite),
        request: { params: IdParam },
        responses: { 200: json(AdminCatalogEntrySchema), ...errors(401, 403, 404) },
      }),
      (c) => c.json(deactivateCatalogEntry(c.get("ctx"), actorOf(c), kind, c.req.valid("param").id), 200),
    );
}
