import { createRoute } from "@hono/zod-openapi";
import { createRouter, errors, IdParam, json, jsonBody, secured, z } from "../../lib/openapi";
import { PageQuery, page, pageSchema } from "../../lib/pagination";
import { actorOf } from "../accounts/admin-routes";
import {
  createPackage,
  createPromoCode,
  deactivatePackage,
  deactivatePromoCode,
  listPackagesAdmin,
  listPromoCodes,
  serializePublicPackage,
  updatePackage,
  updatePromoCode,
} from "./admin";
import {
  ActiveQuery,
  AdminPackageSchema,
  PackageCreateBody,
  PackagePatchBody,
  PackageSchema,
  PromoCodeSchema,
  PromoCreateBody,
  PromoPatchBody,
} from "./package-schemas";
import { listActivePackages } from "./packages";

const READ_ALL = "packages:read_all";
const WRITE = "packages:write";

/** Public package list and admin CRUD of packages and promo codes. */
export const packageRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/packages",
      tags: ["packages"],
      summary: "Minute packages on sale (public)",
      responses: { 200: json(z.object({ results: z.array(PackageSchema) })), ...errors() },
    }),
    (c) => c.json({ results: listActivePackages(c.get("ctx")).map(serializePublicPackage) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/packages",
      tags: ["admin: packages"],
      summary: "Every package, inactive ones included",
      ...secured(READ_ALL),
      request: { query: PageQuery.extend(ActiveQuery.shape) },
      responses: { 200: json(pageSchema(AdminPackageSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listPackagesAdmin(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/packages",
      tags: ["admin: packages"],
      summary: "Create a package",
      ...secured(WRITE),
      request: jsonBody(PackageCreateBody),
      responses: { 201: json(AdminPackageSchema, "Created"), ...errors(401, 403) },
    }),
    (c) => c.json(createPackage(c.get("ctx"), actorOf(c), c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/admin/packages/{id}",
      tags: ["admin: packages"],
      summary: "Change a package (bought grants keep the terms they were bought with)",
      ...secured(WRITE),
      request: { params: IdParam, ...jsonBody(PackagePatchBody) },
      responses: { 200: json(AdminPackageSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(updatePackage(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/admin/packages/{id}",
      tags: ["admin: packages"],
      summary: "Take a package off sale (the row stays: purchases reference it)",
      ...secured(WRITE),
      request: { params: IdParam },
      responses: { 200: json(AdminPackageSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(deactivatePackage(c.get("ctx"), actorOf(c), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/promo-codes",
      tags: ["admin: packages"],
      summary: "Promo codes, newest first",
      ...secured(READ_ALL),
      request: { query: PageQuery.extend(ActiveQuery.shape) },
      responses: { 200: json(pageSchema(PromoCodeSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listPromoCodes(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/promo-codes",
      tags: ["admin: packages"],
      summary: "Create a promo code (percent_off or amount_off)",
      ...secured(WRITE),
      request: jsonBody(PromoCreateBody),
      responses: { 201: json(PromoCodeSchema, "Created"), ...errors(401, 403, 409) },
    }),
    (c) => c.json(createPromoCode(c.get("ctx"), actorOf(c), c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/admin/promo-codes/{id}",
      tags: ["admin: packages"],
      summary: "Change a promo code",
      ...secured(WRITE),
      request: { params: IdParam, ...jsonBody(PromoPatchBody) },
      responses: { 200: json(PromoCodeSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(updatePromoCode(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/admin/promo-codes/{id}",
      tags: ["admin: packages"],
      summary: "Deactivate a promo code (purchases reference it)",
      ...secured(WRITE),
      request: { params: IdParam },
      responses: { 200: json(PromoCodeSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(deactivatePromoCode(c.get("ctx"), actorOf(c), c.req.valid("param").id), 200),
  );
