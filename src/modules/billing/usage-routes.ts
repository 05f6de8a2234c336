import { createRoute } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import { usageEvents } from "../../db/schema";
import { principalOf } from "../../http/auth";
import { ApiError } from "../../lib/errors";
import { createRouter, errors, IdParam, json, jsonBody, secured } from "../../lib/openapi";
import { PageQuery, page, pageOf, pageSchema } from "../../lib/pagination";
import { iso, isoOrNull } from "../../lib/time";
import { usageBilledSeconds } from "../platform/system/metrics";
import { minuteBalance } from "./balance";
import { createHold, getHold, releaseHold } from "./holds";
import {
  BalanceSchema,
  BatchBody,
  BatchResult,
  HoldBody,
  HoldSchema,
  UsageBody,
  UsageHistoryItem,
  UsageResultSchema,
} from "./schemas";
import { recordBatch, recordUsage } from "./usage";

const tags = ["minutes"];

export function usageHistory(ctx: AppContext, userId: number, q: PageQuery) {
  const where = eq(usageEvents.userId, userId);
  const { total, rows } = pageOf(ctx.db, usageEvents, where, q, desc(usageEvents.id));
  return {
    total,
    results: rows.map((u) => ({
      id: u.usageId,
      seconds: u.seconds,
      billed_seconds: u.billedSeconds,
      service: u.service,
      occurred_at: isoOrNull(u.occurredAt),
      hold_id: u.holdId,
      created_at: iso(u.createdAt),
    })),
  };
}

export const usageRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/users/me/balance",
      tags,
      summary: "Minute balance: spendable and held seconds, active grants, wallet",
      ...secured("balance:read"),
      responses: { 200: json(BalanceSchema), ...errors(401, 403) },
    }),
    (c) => c.json(minuteBalance(c.get("ctx"), principalOf(c).user.id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/usage/record",
      tags,
      summary: "Record usage (billed in blocks, drawn from the grant that expires first)",
      description:
        "Requires permission `usage:write`. The `id` is the idempotency key: the same id and body replays 200; another body is 409.",
      security: [{ bearerAuth: [] }],
      middleware: secured("usage:write").middleware,
      request: jsonBody(UsageBody),
      responses: {
        201: json(UsageResultSchema, "Recorded"),
        200: json(UsageResultSchema, "Replay of an earlier record with this id"),
        ...errors(401, 402, 403, 404, 409),
      },
    }),
    async (c) => {
      const r = await recordUsage(c.get("ctx"), principalOf(c).user.id, c.req.valid("json"));
      if (r.status === 201) usageBilledSeconds.inc(r.result.billed_seconds);
      return r.status === 201 ? c.json(r.result, 201) : c.json(r.result, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/usage/batch",
      tags,
      summary: "Record up to 100 usages; one result per event, each atomic and idempotent on its own",
      ...secured("usage:write"),
      request: jsonBody(BatchBody),
      responses: { 200: json(BatchResult), ...errors(401, 403) },
    }),
    (c) => {
      const items = c.req.valid("json").events.map((raw) => {
        const parsed = UsageBody.safeParse(raw);
        if (parsed.success) return { ok: true as const, input: parsed.data };
        const id =
          typeof raw === "object" && raw && "id" in raw && typeof raw.id === "string" ? raw.id : null;
        const error = new ApiError("validation_failed", "invalid usage event", {
          issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
        });
        return { ok: false as const, id, error };
      });
      const results = recordBatch(c.get("ctx"), principalOf(c).user.id, items);
      const tally = { recorded: 0, replayed: 0, failed: 0 };
      for (const r of results) {
        if ("result" in r && r.status === 201) {
          tally.recorded++;
          usageBilledSeconds.inc(r.result.billed_seconds);
        } else if (r.status === 200) tally.replayed++;
        else tally.failed++;
      }
      return c.json({ results, ...tally }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/usage",
      tags,
      summary: "The caller's usage history, newest first",
      ...secured("usage:read"),
      request: { query: PageQuery },
      responses: { 200: json(pageSchema(UsageHistoryItem)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = usageHistory(c.get("ctx"), principalOf(c).user.id, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/usage/holds",
      tags,
      summary: "Reserve seconds before a recognition session",
      ...secured("usage:write"),
      request: jsonBody(HoldBody),
      responses: { 201: json(HoldSchema), ...errors(401, 402, 403) },
    }),
    (c) => {
      const b = c.req.valid("json");
      return c.json(createHold(c.get("ctx"), principalOf(c).user.id, b.seconds, b.ttl_seconds), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/usage/holds/{id}",
      tags,
      summary: "One of the caller's holds: seconds, consumed and remaining, status, expiry",
      ...secured("usage:read", "usage:write"),
      request: { params: IdParam },
      responses: { 200: json(HoldSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(getHold(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/usage/holds/{id}/release",
      tags,
      summary: "Release a hold: its unused seconds return to the balance",
      ...secured("usage:write"),
      request: { params: IdParam },
      responses: { 200: json(HoldSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) => c.json(releaseHold(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id), 200),
  );
