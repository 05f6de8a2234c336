import { createRoute } from "@hono/zod-openapi";
import { and, count, desc, eq } from "drizzle-orm";
import { toJSONSchema } from "zod";
import { auditLog, jobs, users } from "../../../db/schema";
import { principalOf } from "../../../http/auth";
import { clientIpOf } from "../../../http/client-ip";
import { ApiError } from "../../../lib/errors";
import { createRouter, errors, json, jsonBody, secured, z } from "../../../lib/openapi";
import { PageQuery, page, pageOf, pageSchema } from "../../../lib/pagination";
import { iso } from "../../../lib/time";
import { audit } from "../audit";
import { emit } from "../events/service";
import type { Schedule } from "../jobs/cron";
import { SETTINGS } from "../settings/registry";

const tags = ["admin: system"];

const SettingsSchema = z
  .object({
    values: z.record(z.string(), z.unknown()),
    definitions: z.array(
      z.object({
        key: z.string(),
        default: z.unknown(),
        description: z.string(),
        schema: z.record(z.string(), z.unknown()).openapi({
          description:
            "The value's JSON Schema (type, minimum/maximum, pattern, enum, items; format `cron` for a 5-field cron expression in UTC): what a form needs to pick its control",
        }),
      }),
    ),
  })
  .openapi("Settings");

/** Built once: the registry does not change while the process runs. */
const DEFINITIONS = Object.entries(SETTINGS).map(([key, d]) => {
  const { $schema: _, ...schema } = toJSONSchema(d.schema, { unrepresentable: "any", io: "input" });
  return { key, default: d.default, description: d.description, schema };
});

const SettingsBody = z.record(z.string(), z.unknown()).openapi("SettingsBody");

/** Admin routes of the platform: settings, status, run a schedule now, the audit log. */
export function platformAdminRoutes(schedules: Schedule[], startedAt: number) {
  const settingsView = (values: Record<string, unknown>) => ({ values, definitions: DEFINITIONS });

  const writeSettings = (mode: "put" | "patch") =>
    createRoute({
      method: mode,
      path: "/admin/system/settings",
      tags,
      summary:
        mode === "put"
          ? "Replace every setting: the body lists each key (null returns one to its default)"
          : "Change the given settings, keep the rest (null returns a key to its default)",
      ...secured("settings:write"),
      request: jsonBody(SettingsBody),
      responses: { 200: json(SettingsSchema), ...errors(401, 403) },
    });

  const handleWrite =
    (mode: "put" | "patch") =>
    async (c: Parameters<Parameters<ReturnType<typeof createRouter>["openapi"]>[1]>[0]) => {
      const ctx = c.get("ctx");
      // The raw parsed body, not c.req.valid(): zod's record drops an own "__proto__" key,
      // which would then be accepted silently instead of refused as an unknown setting.
      // Without a JSON content type the validator lets an empty body through; refuse it here.
      const body = (await c.req.json().catch(() => {
        throw new ApiError("invalid_json", "the body must be a JSON object of settings");
      })) as Record<string, unknown>;
      if (body === null || typeof body !== "object" || Array.isArray(body)) {
        throw new ApiError("invalid_json", "the body must be a JSON object of settings");
      }
      // A replacement names every key: `PUT {}` (a client that sent too little) must not wipe them all.
      if (mode === "put") {
        const missing = Object.keys(SETTINGS).filter((k) => !Object.hasOwn(body, k));
        if (missing.length) {
          throw new ApiError("validation_failed", "PUT replaces every setting: list each key, or use PATCH", {
            issues: missing.map((path) => ({ path, message: "required (null returns it to its default)" })),
          });
        }
      }
      const resets = Object.keys(body).filter((k) => body[k] === null);
      const valid = ctx.settings.validate(
        Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null)),
      );
      for (const k of resets) ctx.settings.validate({ [k]: SETTINGS[k as keyof typeof SETTINGS]?.default });
      const actor = principalOf(c).user.id;
      const now = ctx.clock.now();
      ctx.db.transaction(
        (tx) => {
          for (const k of resets) ctx.settings.remove(tx, k);
          ctx.settings.write(tx, valid, now, actor);
          const details = { mode, values: valid, ...(resets.length ? { reset: resets } : {}) };
          audit(tx, now, {
            actorId: actor,
            action: "settings.updated",
            targetType: "settings",
            details,
            ip: clientIpOf(c),
            requestId: c.get("requestId"),
          });
          emit(tx, now, {
            type: "settings.updated",
            actorId: actor,
            subjectType: "settings",
            payload: details,
          });
        },
        { behavior: "immediate" },
      );
      ctx.settings.reload();
      return c.json(settingsView(ctx.settings.all()), 200);
    };

  return createRouter()
    .openapi(
      createRoute({
        method: "get",
        path: "/admin/system/settings",
        tags,
        summary: "Every setting with its current value, default and meaning",
        ...secured("settings:read"),
        responses: { 200: json(SettingsSchema), ...errors(401, 403) },
      }),
      (c) => c.json(settingsView(c.get("ctx").settings.all()), 200),
    )
    .openapi(writeSettings("put"), handleWrite("put"))
    .openapi(writeSettings("patch"), handleWrite("patch"))
    .openapi(
      createRoute({
        method: "get",
        path: "/admin/system/status",
        tags,
        summary: "Process, database and queue status",
        ...secured("system:read"),
        responses: { 200: json(z.record(z.string(), z.unknown())), ...errors(401, 403) },
      }),
      (c) => {
        const ctx = c.get("ctx");
        const jobCounts = Object.fromEntries(
          ctx.db
            .select({ status: jobs.status, n: count() })
            .from(jobs)
            .groupBy(jobs.status)
            .all()
            .map((r) => [r.status, r.n]),
        );
        const pageCount = ctx.sqlite.query<{ page_count: number }, []>("PRAGMA page_count").get()!.page_count;
        const pageSize = ctx.sqlite.query<{ page_size: number }, []>("PRAGMA page_size").get()!.page_size;
        return c.json(
          {
            status: "ok",
            version: "1.0.0",
            uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
            time: iso(ctx.clock.now()),
            database: { ok: true, size_bytes: pageCount * pageSize },
            users: ctx.db.select({ n: count() }).from(users).get()!.n,
            admins: ctx.db.select({ n: count() }).from(users).where(eq(users.role, "admin")).get()!.n,
            jobs: jobCounts,
            cron_enabled: ctx.env.CRON_ENABLED,
            schedules: schedules.map((s) => ({
              name: s.name,
              pattern: s.pattern,
              description: s.description,
            })),
            memory_rss_bytes: process.memoryUsage().rss,
          },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/admin/system/run-action",
        tags,
        summary: "Run a named schedule now",
        ...secured("system:run"),
        request: jsonBody(z.strictObject({ action: z.string().min(1).max(100) })),
        responses: {
          200: json(z.object({ action: z.string(), result: z.unknown() })),
          ...errors(401, 403, 404),
        },
      }),
      async (c) => {
        const ctx = c.get("ctx");
        const { action } = c.req.valid("json");
        const s = schedules.find((x) => x.name === action);
        if (!s)
          throw new ApiError("not_found", `no action named ${action}`, {
            actions: schedules.map((x) => x.name),
          });
        const result = (await s.run(ctx)) ?? null;
        const actor = principalOf(c).user.id;
        const now = ctx.clock.now();
        ctx.db.transaction(
          (tx) => {
            audit(tx, now, {
              actorId: actor,
              action: "system.run_action",
              targetType: "schedule",
              targetId: action,
              details: { result },
              ip: clientIpOf(c),
              requestId: c.get("requestId"),
            });
            emit(tx, now, {
              type: "system.action_run",
              actorId: actor,
              subjectType: "schedule",
              subjectId: action,
            });
          },
          { behavior: "immediate" },
        );
        return c.json({ action, result }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/admin/audit-log",
        tags,
        summary: "Audit log of staff actions, logins and gateway status changes, newest first",
        ...secured("audit:read"),
        request: {
          query: PageQuery.extend({
            actor_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
            target_type: z.string().min(1).max(64).optional(),
            target_id: z.string().min(1).max(64).optional(),
          })
            .strict()
            .refine((q) => q.target_id === undefined || q.target_type !== undefined, {
              path: ["target_id"],
              message: "target_id needs target_type",
            }),
        },
        responses: {
          200: json(
            pageSchema(
              z.object({
                id: z.number(),
                actor_id: z.number().nullable(),
                action: z.string(),
                target_type: z.string().nullable(),
                target_id: z.string().nullable(),
                details: z.record(z.string(), z.unknown()),
                ip: z.string().nullable(),
                request_id: z.string().nullable(),
                created_at: z.string(),
              }),
            ),
          ),
          ...errors(401, 403),
        },
      }),
      (c) => {
        const ctx = c.get("ctx");
        const q = c.req.valid("query");
        // Both filters walk an index (audit_actor_idx, audit_target_idx) newest first.
        const where = and(
          q.actor_id === undefined ? undefined : eq(auditLog.actorId, q.actor_id),
          q.target_type === undefined ? undefined : eq(auditLog.targetType, q.target_type),
          q.target_id === undefined ? undefined : eq(auditLog.targetId, q.target_id),
        );
        const { total, rows } = pageOf(ctx.db, auditLog, where, q, desc(auditLog.id));
        const results = rows.map((r) => ({
          id: r.id,
          actor_id: r.actorId,
          action: r.action,
          target_type: r.targetType,
          target_id: r.targetId,
          details: r.details,
          ip: r.ip,
          request_id: r.requestId,
          created_at: iso(r.createdAt),
        }));
        return c.json(page(c.req.url, q, total, results), 200);
      },
    );
}
