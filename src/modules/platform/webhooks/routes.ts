import { createRoute } from "@hono/zod-openapi";
import {
  createRouter,
  errors,
  IdParam,
  json,
  jsonBody,
  optionalJsonBody,
  secured,
  z,
} from "../../../lib/openapi";
import { page, pageSchema } from "../../../lib/pagination";
import { actorOf } from "../../accounts/admin-routes";
import {
  adminCreateEndpoint,
  adminDeleteEndpoint,
  adminRedeliver,
  adminRotateSecret,
  adminTestEndpoint,
  adminUpdateEndpoint,
} from "./admin";
import { listDeliveries } from "./deliveries";
import { listEndpoints, loadEndpoint, serializeEndpoint } from "./endpoints";
import {
  DeliveriesQuery,
  EndpointsQuery,
  WebhookCreateBody,
  WebhookDeliverySchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
  WebhookPatchBody,
} from "./schemas";

const tags = ["admin: webhooks"];
const READ = "webhooks:read";
const WRITE = "webhooks:write";
/** The bodiless actions take no fields (an empty body or `{}`). */
const NoFields = optionalJsonBody(z.strictObject({}));

/** Outgoing webhooks (Standard Webhooks): endpoints, their secrets, deliveries and redelivery. */
export const webhookRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/webhooks",
      tags,
      summary: "Webhook endpoints, newest first (secrets are never listed)",
      ...secured(READ),
      request: { query: EndpointsQuery },
      responses: { 200: json(pageSchema(WebhookEndpointSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listEndpoints(c.get("ctx"), null, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/webhooks",
      tags,
      summary:
        "Create a webhook endpoint: the url must be https and resolve to public addresses; the signing secret is in this answer only",
      ...secured(WRITE),
      request: jsonBody(WebhookCreateBody),
      responses: { 201: json(WebhookEndpointWithSecretSchema, "Created"), ...errors(401, 403) },
    }),
    async (c) => c.json(await adminCreateEndpoint(c.get("ctx"), actorOf(c), c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/webhooks/{id}",
      tags,
      summary: "One webhook endpoint",
      ...secured(READ),
      request: { params: IdParam },
      responses: { 200: json(WebhookEndpointSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(serializeEndpoint(loadEndpoint(c.get("ctx").db, c.req.valid("param").id, null)), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/admin/webhooks/{id}",
      tags,
      summary:
        "Change a webhook endpoint's url, event types, description or enabled (enabling clears disabled_reason)",
      ...secured(WRITE),
      request: { params: IdParam, ...jsonBody(WebhookPatchBody) },
      responses: { 200: json(WebhookEndpointSchema), ...errors(401, 403, 404) },
    }),
    async (c) =>
      c.json(
        await adminUpdateEndpoint(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json")),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/admin/webhooks/{id}",
      tags,
      summary: "Delete a webhook endpoint (its queued deliveries fail; the delivery log is kept)",
      ...secured(WRITE),
      request: { params: IdParam },
      responses: { 204: { description: "Deleted" }, ...errors(401, 403, 404) },
    }),
    (c) => {
      adminDeleteEndpoint(c.get("ctx"), actorOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/webhooks/{id}/rotate-secret",
      tags,
      summary: "Replace the signing secret at once; the new one is in this answer only",
      ...secured(WRITE),
      request: { params: IdParam, ...NoFields },
      responses: { 200: json(WebhookEndpointWithSecretSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(adminRotateSecret(c.get("ctx"), actorOf(c), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/webhooks/{id}/test",
      tags,
      summary: "Send a webhook.test ping to this endpoint (delivered by the job queue; see its deliveries)",
      ...secured(WRITE),
      request: { params: IdParam, ...NoFields },
      responses: { 202: json(WebhookDeliverySchema, "Queued"), ...errors(401, 403, 404, 409) },
    }),
    (c) => c.json(adminTestEndpoint(c.get("ctx"), actorOf(c), c.req.valid("param").id), 202),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/webhooks/{id}/deliveries",
      tags,
      summary:
        "An endpoint's deliveries, newest first: status, attempts, last response code, error and duration",
      ...secured(READ),
      request: { params: IdParam, query: DeliveriesQuery },
      responses: { 200: json(pageSchema(WebhookDeliverySchema)), ...errors(401, 403, 404) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listDeliveries(c.get("ctx"), c.req.valid("param").id, null, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/webhooks/deliveries/{id}/redeliver",
      tags,
      summary: "Send a finished delivery again with the same webhook-id and a fresh round of attempts",
      ...secured(WRITE),
      request: { params: IdParam, ...NoFields },
      responses: { 202: json(WebhookDeliverySchema, "Queued"), ...errors(401, 403, 404, 409) },
    }),
    (c) => c.json(adminRedeliver(c.get("ctx"), actorOf(c), c.req.valid("param").id), 202),
  );
