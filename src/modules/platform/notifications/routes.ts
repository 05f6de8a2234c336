import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, type SQL } from "drizzle-orm";
import type { AppContext } from "../../../context";
import { notifications } from "../../../db/schema";
import { principalOf } from "../../../http/auth";
import { notFound } from "../../../lib/errors";
import { createRouter, errors, IdParam, json, secured, z } from "../../../lib/openapi";
import { PageQuery, page, pageOf } from "../../../lib/pagination";
import { streamHub } from "./hub";
import { notificationJson } from "./serialize";
import { NOTIFICATION_TYPES, unreadCount } from "./service";

const tags = ["notifications"];

export const NotificationSchema = z
  .object({
    id: z.number().int(),
    type: z.string(),
    title: z.string(),
    message: z.string(),
    data: z.record(z.string(), z.unknown()),
    is_read: z.boolean(),
    created_at: z.string(),
  })
  .openapi("Notification");

export const NotificationsQuery = PageQuery.extend({
  unread_only: z.enum(["true", "false", "1", "0"]).optional(),
  type: z.enum(NOTIFICATION_TYPES).optional(),
});

const NotificationPage = z.object({
  count: z.number().int(),
  next: z.string().nullable(),
  previous: z.string().nullable(),
  unread_count: z.number().int(),
  results: z.array(NotificationSchema),
});

/** Seed 000's notification list: newest first, filters, and the unread count. Shared with the expert dashboard. */
export function listNotifications(
  ctx: AppContext,
  userId: number,
  url: string,
  q: z.infer<typeof NotificationsQuery>,
) {
  const conds: SQL[] = [eq(notifications.userId, userId)];
  if (q.unread_only === "true" || q.unread_only === "1") conds.push(eq(notifications.isRead, false));
  if (q.type) conds.push(eq(notifications.type, q.type));
  const where = and(...conds);
  const { total, rows } = pageOf(
    ctx.db,
    notifications,
    where,
    q,
    desc(notifications.createdAt),
    desc(notifications.id),
  );
  const unread = unreadCount(ctx.db, userId);
  const results = rows.map(notificationJson);
  return { ...page(url, q, total, results), unread_count: unread };
}

export function markRead(ctx: AppContext, userId: number, id: number) {
  const row = ctx.db
    .update(notifications)
    .set({ isRead: true, readAt: ctx.clock.now() })
    .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
    .returning({ id: notifications.id })
    .get();
  if (!row) throw notFound("notification");
  streamHub(ctx).unreadChanged(userId);
}

/** Marks every unread notification of the user read; returns how many changed. */
export function markAllRead(ctx: AppContext, userId: number): number {
  const updated = ctx.db
    .update(notifications)
    .set({ isRead: true, readAt: ctx.clock.now() })
    .where(and(eq(notifications.userId, userId), eq(notifications.isRead, false)))
    .returning({ id: notifications.id })
    .all().length;
  if (updated) streamHub(ctx).unreadChanged(userId);
  return updated;
}

const ReadResult = z.object({ success: z.boolean(), message: z.string() });

export const notificationRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/notifications",
      tags,
      summary: "The caller's notifications, newest first, with the unread count",
      ...secured("notifications:read"),
      request: { query: NotificationsQuery },
      responses: { 200: json(NotificationPage), ...errors(401, 403) },
    }),
    (c) =>
      c.json(listNotifications(c.get("ctx"), principalOf(c).user.id, c.req.url, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/notifications/{id}/read",
      tags,
      summary: "Mark one notification read",
      ...secured("notifications:write"),
      request: { params: IdParam },
      responses: { 200: json(ReadResult), ...errors(401, 403, 404) },
    }),
    (c) => {
      markRead(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id);
      return c.json({ success: true, message: "notification marked as read" }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/notifications/read-all",
      tags,
      summary: "Mark every notification of the caller read",
      ...secured("notifications:write"),
      responses: {
        200: json(z.object({ success: z.boolean(), updated: z.number().int() })),
        ...errors(401, 403),
      },
    }),
    (c) => c.json({ success: true, updated: markAllRead(c.get("ctx"), principalOf(c).user.id) }, 200),
  );
