import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { CRITICAL_ERROR_KINDS, criticalErrors } from "../../../db/schema";
import { createRouter, errors, json, secured, z } from "../../../lib/openapi";
import { PageQuery, page, pageOf, pageSchema } from "../../../lib/pagination";
import { periodConditions } from "../../../lib/period";
import { iso } from "../../../lib/time";

const IsoDate = z.iso.datetime({ offset: true }).or(z.iso.date());

const CriticalErrorsQuery = PageQuery.extend({
  kind: z.enum(CRITICAL_ERROR_KINDS).optional().openapi({ description: "`http` (a 5xx answer) or `job`" }),
  from: IsoDate.optional().openapi({ description: "At or after (ISO date or date-time)" }),
  to: IsoDate.optional().openapi({
    description: "At or before (a date-time), or on or before (a date: the whole day)",
  }),
  route: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .openapi({ description: "A route pattern exactly as listed, e.g. `/api/v1/orders/:id`" }),
  request_id: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: "The `X-Request-Id` of the failed call" }),
  job_type: z.string().min(1).max(100).optional(),
});

const CriticalErrorSchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(CRITICAL_ERROR_KINDS),
    message: z.string(),
    error_name: z.string().nullable(),
    stack: z.string().nullable(),
    request_id: z.string().nullable(),
    method: z.string().nullable(),
    route: z.string().nullable().openapi({ description: "The route pattern, never the raw path" }),
    status: z.number().int().nullable(),
    actor_id: z.number().int().nullable(),
    job_id: z.number().int().nullable(),
    job_type: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    created_at: z.string(),
  })
  .openapi("CriticalError");

function conditions(q: z.infer<typeof CriticalErrorsQuery>): SQL | undefined {
  const where: SQL[] = [];
  if (q.kind) where.push(eq(criticalErrors.kind, q.kind));
  where.push(...periodConditions(criticalErrors.createdAt, q));
  if (q.route) where.push(eq(criticalErrors.route, q.route));
  if (q.request_id) where.push(eq(criticalErrors.requestId, q.request_id));
  if (q.job_type) where.push(eq(criticalErrors.jobType, q.job_type));
  return where.length ? and(...where) : undefined;
}

/**
 * The critical errors log. `system:read` (admins, and support by default): support is who a user
 * brings a failed request id to. Rows hold messages and stacks, never request bodies or headers.
 */
export const criticalErrorRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/admin/logs/critical-errors",
    tags: ["admin: system"],
    summary: "Unhandled 5xx answers and jobs that failed for good, newest first",
    ...secured("system:read"),
    request: { query: CriticalErrorsQuery },
    responses: { 200: json(pageSchema(CriticalErrorSchema)), ...errors(401, 403) },
  }),
  (c) => {
    const ctx = c.get("ctx");
    const q = c.req.valid("query");
    const { total, rows } = pageOf(
      ctx.db,
      criticalErrors,
      conditions(q),
      q,
      desc(criticalErrors.createdAt),
      desc(criticalErrors.id),
    );
    const results = rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      message: r.message,
      error_name: r.errorName,
      stack: r.stack,
      request_id: r.requestId,
      method: r.method,
      route: r.route,
      status: r.status,
      actor_id: r.actorId,
      job_id: r.jobId,
      job_type: r.jobType,
      details: r.details,
      created_at: iso(r.createdAt),
    }));
    return c.json(page(c.req.url, q, total, results), 200);
  },
);
