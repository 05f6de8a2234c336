import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { stream } from "hono/streaming";
import type { AppContext } from "../../../context";
import { principalOf } from "../../../http/auth";
import type { AppEnv } from "../../../http/types";
import { createRouter, errors, IdParam, json, secured, z } from "../../../lib/openapi";
import { audit } from "../../platform/audit";
import { registerEventTypes } from "../../platform/events/types";
import { actorOf } from "../admin-routes";
import { ANONYMIZED_EVENT, anonymizeUser } from "./anonymize";
import { EXPORT_FORMAT, EXPORT_VERSION, userExport } from "./export";

registerEventTypes("accounts", {
  [ANONYMIZED_EVENT]:
    "Staff anonymised the user: personal data replaced, uploads deleted, sessions and keys revoked (irreversible)",
});

/** `users:<action>` over every user, or `users:{id}:<action>` granted for one (`users:12:export`). */
const securedUserAction = (action: string) => secured(`users:${action}`, `users:{id}:${action}`);

const ExportDocument = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    version: z.literal(EXPORT_VERSION),
    exported_at: z.string(),
    user: z.record(z.string(), z.unknown()),
  })
  .catchall(z.unknown())
  .openapi("UserExport", {
    description:
      "Everything souk holds about the user, without credentials: profile, sessions and API keys (metadata), notifications, expert profile, uploads (metadata), orders with their events, messages, reviews both ways, courses, purchases, minutes, wallet with its transfers, audit entries they made, and their gateway stores, trader profile and team.",
  });

const exportResponse = {
  200: {
    description: "The export as a JSON download (`souk-user-<id>.json`), streamed",
    content: { "application/json": { schema: ExportDocument } },
  },
};

/** Streams the document as a download; a failure mid-way leaves it unterminated (invalid JSON), never silently short. */
function streamExport(c: Context<AppEnv>, ctx: AppContext, userId: number) {
  const write = userExport(ctx, userId);
  c.header("content-type", "application/json; charset=utf-8");
  c.header("content-disposition", `attachment; filename="souk-user-${userId}.json"`);
  c.header("cache-control", "private, no-store");
  c.header("x-content-type-options", "nosniff");
  return stream(
    c,
    async (s) => {
      await write(async (chunk) => {
        if (s.aborted) throw new Error("export download aborted by the client");
        await s.write(chunk);
      });
    },
    async (err) => {
      ctx.logger.error({ err, user_id: userId, request_id: c.get("requestId") }, "user export failed");
    },
  );
}

const SummarySchema = z
  .object({
    id: z.number(),
    anonymized_at: z.string(),
    sessions_revoked: z.number(),
    api_keys_revoked: z.number(),
    files_deleted: z.number(),
    messages_redacted: z.number(),
    reviews_redacted: z.number(),
    requisites_redacted: z.number(),
    notifications_deleted: z.number(),
    records_redacted: z.number().openapi({
      description: "Rows elsewhere (events, audit details, payloads, others' texts) that named the user",
    }),
    jobs_cancelled: z.number(),
  })
  .openapi("AnonymizeSummary");

/** Personal data: a user's export (their own, or by staff) and staff's irreversible anonymisation. */
export const privacyRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/me/export",
      tags: ["me"],
      summary: "Download everything souk holds about the caller, as one JSON document",
      ...secured("me:read"),
      responses: { ...exportResponse, ...errors(401, 403) },
    }),
    (c) => streamExport(c, c.get("ctx"), principalOf(c).user.id) as never,
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/users/{id}/export",
      tags: ["admin: users"],
      summary: "Download everything souk holds about a user, as one JSON document (audited)",
      ...securedUserAction("export"),
      request: { params: IdParam },
      responses: { ...exportResponse, ...errors(401, 403, 404) },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const id = c.req.valid("param").id;
      const actor = actorOf(c);
      const res = streamExport(c, ctx, id);
      // Reading someone's whole record is itself recorded (after the 404 check above).
      ctx.db.transaction(
        (tx) =>
          audit(tx, ctx.clock.now(), {
            actorId: actor.id,
            action: "user.exported",
            targetType: "user",
            targetId: id,
            ip: actor.ip,
            requestId: actor.requestId,
          }),
        { behavior: "immediate" },
      );
      return res as never;
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/users/{id}/anonymize",
      tags: ["admin: users"],
      summary:
        "Irreversibly replace a user's personal data; money records are kept (audited). Not for admins or yourself",
      ...securedUserAction("anonymize"),
      request: { params: IdParam },
      responses: { 200: json(SummarySchema), ...errors(401, 403, 404, 409) },
    }),
    (c) => c.json(anonymizeUser(c.get("ctx"), actorOf(c), c.req.valid("param").id), 200),
  );
