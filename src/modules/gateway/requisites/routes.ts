import { createRoute } from "@hono/zod-openapi";
import { principalOf } from "../../../http/auth";
import { createRouter, errors, IdParam, json, jsonBody, secured } from "../../../lib/openapi";
import { page, pageSchema } from "../../../lib/pagination";
import { actorOf } from "../../accounts/admin-routes";
import { GW } from "../permissions";
import {
  ModerationBody,
  ModerationQueueQuery,
  RequisiteCreateBody,
  RequisitePatchBody,
  RequisiteSchema,
  StaffRequisiteSchema,
  TraderRequisitesQuery,
} from "./schemas";
import {
  createRequisite,
  listOwnRequisites,
  listRequisitesForStaff,
  moderateRequisite,
  ownRequisite,
  updateOwnRequisite,
} from "./service";

const traderTags = ["gateway: trader"];
const adminTags = ["admin: gateway"];

/** Traders' requisites, and staff's moderation of them. */
export const requisiteRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/trader/requisites",
      tags: traderTags,
      summary: "The caller's requisites, newest first; filter `status`",
      ...secured(GW.traderRequisites),
      request: { query: TraderRequisitesQuery },
      responses: { 200: json(pageSchema(RequisiteSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listOwnRequisites(c.get("ctx"), principalOf(c).user.id, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/trader/requisites",
      tags: traderTags,
      summary: "Add a requisite; it is `pending` (gets no orders) until staff approve it",
      ...secured(GW.traderRequisites),
      request: jsonBody(RequisiteCreateBody),
      responses: { 201: json(RequisiteSchema, "Created"), ...errors(401, 403) },
    }),
    (c) => c.json(createRequisite(c.get("ctx"), principalOf(c).user.id, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/trader/requisites/{id}",
      tags: traderTags,
      summary: "One of the caller's requisites, with today's use of its limits",
      ...secured(GW.traderRequisites),
      request: { params: IdParam },
      responses: { 200: json(RequisiteSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(ownRequisite(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/trader/requisites/{id}",
      tags: traderTags,
      summary:
        "Change a requisite. Changing the method, bank, details, owner name or currency of an approved one sends it back to `pending`; limits and the pay-in/pay-out switches do not",
      ...secured(GW.traderRequisites),
      request: { params: IdParam, ...jsonBody(RequisitePatchBody) },
      responses: { 200: json(RequisiteSchema), ...errors(401, 403, 404) },
    }),
    (c) =>
      c.json(
        updateOwnRequisite(
          c.get("ctx"),
          principalOf(c).user.id,
          c.req.valid("param").id,
          c.req.valid("json"),
        ),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/gateway/requisites",
      tags: adminTags,
      summary: "Requisites oldest first: `status=pending` is the moderation queue; filter `trader_id`",
      ...secured(GW.requisiteModerate),
      description: `Requires permission \`${GW.requisiteModerate}\` for every requisite (admins and support hold it); a grant for single requisites does not open the list. Each requisite comes with its trader (id, user id, username, teamlead).`,
      request: { query: ModerationQueueQuery },
      responses: { 200: json(pageSchema(StaffRequisiteSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listRequisitesForStaff(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/gateway/requisites/{id}/status",
      tags: adminTags,
      summary: "Approve or block a requisite (audited); the trader is notified with the reason",
      ...secured(GW.requisiteModerate),
      description: `Requires permission \`${GW.requisiteModerate}\` for this requisite's id: admins and support hold it for every requisite, other staff by a grant such as \`requisites:12:moderate\`.`,
      request: { params: IdParam, ...jsonBody(ModerationBody) },
      responses: { 200: json(RequisiteSchema), ...errors(401, 403, 404) },
    }),
    (c) =>
      c.json(moderateRequisite(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  );
