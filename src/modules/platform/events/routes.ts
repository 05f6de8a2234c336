import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import { events } from "../../../db/schema";
import { createRouter, errors, json, secured, z } from "../../../lib/openapi";
import { PageQuery, page, pageOf, pageSchema } from "../../../lib/pagination";
import { iso } from "../../../lib/time";
import { listEventTypes } from "./types";

const tags = ["events"];

const EventsQuery = PageQuery.extend({
  type: z
    .string()
    .regex(/^(\*|[a-z_]+\.\*?|[a-z_]+(\.[a-z_]+)+)$/, "an event type, or a prefix such as order. or order.*")
    .optional()
    .openapi({ description: "An exact type (`order.created`) or a prefix (`order.` or `order.*`)" }),
  subject_type: z.string().min(1).max(50).optional(),
  subject_id: z.string().min(1).max(50).optional(),
  actor_id: z.coerce.number().int().positive().optional(),
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: "Events at or after this instant" }),
  to: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: "Events at or before this instant" }),
}).strict();

export const EventSchema = z
  .object({
    id: z.number().int(),
    type: z.string(),
    actor_id: z.number().int().nullable(),
    subject_type: z.string().nullable(),
    subject_id: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    created_at: z.string(),
  })
  .openapi("Event");

const EventTypeSchema = z
  .object({ type: z.string(), module: z.string(), description: z.string() })
  .openapi("EventType");

/** A prefix is a range on the (type, id) index: `order.` up to `order/`, the next character after the dot. */
function typeFilter(type: string): SQL | undefined {
  if (type === "*") return undefined;
  if (!type.endsWith(".") && !type.endsWith(".*")) return eq(events.type, type);
  const prefix = type.replace(/\*$/, "");
  return and(gte(events.type, prefix), lt(events.type, `${prefix.slice(0, -1)}/`));
}

/** The platform's event log: what happened, to what, by whom (staff only). */
export const eventRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/events",
      tags,
      summary: "Platform events, newest first, filtered by type (or prefix), subject, actor and time",
      ...secured("events:read"),
      request: { query: EventsQuery },
      responses: { 200: json(pageSchema(EventSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const q = c.req.valid("query");
      const where = and(
        q.type ? typeFilter(q.type) : undefined,
        q.subject_type ? eq(events.subjectType, q.subject_type) : undefined,
        q.subject_id ? eq(events.subjectId, q.subject_id) : undefined,
        q.actor_id ? eq(events.actorId, q.actor_id) : undefined,
        q.from ? gte(events.createdAt, Date.parse(q.from)) : undefined,
        q.to ? lte(events.createdAt, Date.parse(q.to)) : undefined,
      );
      const { total, rows } = pageOf(ctx.db, events, where, q, desc(events.id));
      const results = rows.map((r) => ({
        id: r.id,
        type: r.type,
        actor_id: r.actorId,
        subject_type: r.subjectType,
        subject_id: r.subjectId,
        payload: r.payload,
        created_at: iso(r.createdAt),
      }));
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/event-types",
      tags,
      summary: "Every event type souk emits, by module: what rules and webhook subscriptions can name",
      ...secured("events:read"),
      responses: { 200: json(z.object({ results: z.array(EventTypeSchema) })), ...errors(401, 403) },
    }),
    (c) => c.json({ results: listEventTypes() }, 200),
  );
