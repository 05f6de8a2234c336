import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppContext } from "../../../context";
import { principalOf, requirePermission } from "../../../http/auth";
import type { AppEnv } from "../../../http/types";
import { ApiError, validation } from "../../../lib/errors";
import { createRouter, errors, json, optionalJsonBody, secured, z } from "../../../lib/openapi";
import { type StreamSink, streamHub } from "./hub";
import {
  NOTIFICATION_COLUMNS,
  type NotificationRow,
  notificationFrame,
  sseFrame,
  unreadFrame,
} from "./serialize";
import { unreadCount } from "./service";
import {
  assertStreamable,
  issueStreamTicket,
  peekStreamTicket,
  redeemStreamTicket,
  TICKET_TTL_MS,
} from "./tickets";

const tags = ["notifications"];

/**
 * Opening a stream or getting a ticket for one. Kept out of a bot's reach when it acts as a user
 * (it is a credential, like API keys): the bot's own server never needs a user's live feed.
 */
export const STREAM_PERMISSION = "notifications:stream";
/** Notifications replayed on reconnect at most; more missed than this sends `resync` first. */
export const REPLAY_LIMIT = 100;
/** Frames a stream may have queued for a client that stopped reading before it is closed. */
const MAX_QUEUED_FRAMES = 256;
/** Query parameters that would carry a credential in the URL: refused, never read. */
const URL_CREDENTIALS = ["token", "access_token", "api_key", "key", "authorization", "jwt", "bearer"];

const LastEventId = z.string().regex(/^(\d{1,15})?$/, "a notification id (digits)");

const StreamQuery = z.strictObject({
  ticket: z.string().min(1).max(200).optional().openapi({
    description: "A ticket from `POST /notifications/stream-ticket` (single use, 60 s), for EventSource",
  }),
  last_event_id: LastEventId.optional().openapi({
    description: "Resume after this notification id (what `Last-Event-ID` says, for a new EventSource)",
  }),
});

const StreamHeaders = z.object({
  "last-event-id": LastEventId.optional().openapi({
    description: "Resume after this notification id (sent by EventSource when it reconnects by itself)",
  }),
});

const TicketSchema = z
  .object({ ticket: z.string(), expires_at: z.string() })
  .openapi("StreamTicket", { example: { ticket: "st_3q2…", expires_at: "2026-11-22T10:01:00.000Z" } });

/**
 * Auth of the stream, before validation: a credential in the URL is refused outright; a ticket
 * (redeemed by the handler, after validation, so a bad request does not burn it) or a bearer
 * credential with `notifications:stream`.
 */
const streamGuard = createMiddleware<AppEnv>(async (c, next) => {
  for (const name of URL_CREDENTIALS) {
    if (c.req.query(name) !== undefined) {
      throw new ApiError("validation_failed", "credentials are never accepted in a URL", {
        issues: [
          {
            path: `query.${name}`,
            message:
              "send the token in the Authorization header, or pass a ticket from POST /notifications/stream-ticket as ?ticket=",
          },
        ],
      });
    }
  }
  if (c.req.query("ticket") === undefined) return requirePermission(STREAM_PERMISSION)(c, next);
  if (c.req.header("authorization")) {
    throw validation("query.ticket", "send either an Authorization header or a ticket, not both");
  }
  await next();
});

/** The newest missed notifications (up to REPLAY_LIMIT), oldest first. */
function missedSince(ctx: AppContext, userId: number, after: number) {
  const rows = ctx.sqlite
    .query<NotificationRow, [number, number, number]>(
      `SELECT ${NOTIFICATION_COLUMNS} FROM notifications WHERE user_id = ? AND id > ? ORDER BY id DESC LIMIT ?`,
    )
    .all(userId, after, REPLAY_LIMIT + 1);
  const truncated = rows.length > REPLAY_LIMIT;
  if (truncated) rows.length = REPLAY_LIMIT;
  return { rows: rows.reverse(), truncated };
}

// x-accel-buffering: nginx would otherwise hold frames back until its buffer fills.
const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};

/** Bun closes a connection idle for 10 s by default; a stream is idle between heartbeats. */
function keepOpen(c: Context<AppEnv>) {
  const env = c.env as { server?: unknown; timeout?: unknown } | undefined;
  const server = (env && "server" in env ? env.server : env) as
    | { timeout?: (req: Request, seconds: number) => void }
    | undefined;
  if (typeof server?.timeout === "function") server.timeout(c.req.raw, 0);
}

/**
 * One plain ReadableStream per connection, fed by the hub. Not Hono's streamSSE: it pipes a
 * TransformStream through a second, pulling ReadableStream and keeps the request's context alive
 * for the stream's life; measured with 10,000 streams in bench/sse.ts that was ~17 KB of RSS per
 * stream (172 MB) against ~6.6 KB (65 MB) for this. The frames are preformatted bytes
 * (serialize.ts), shared by all of a user's streams.
 */
function openStream(
  c: Context<AppEnv>,
  ctx: AppContext,
  who: { userId: number; keyId?: number },
  after: number,
) {
  const { userId, keyId } = who;
  const hub = streamHub(ctx);
  const missed = after > 0 ? missedSince(ctx, userId, after) : { rows: [], truncated: false };
  const unread = unreadCount(ctx.db, userId);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  const sink: StreamSink = {
    userId,
    keyId,
    lastId: after,
    write(frame) {
      if (closed) return;
      // desiredSize goes negative by the frames the client has not taken yet.
      if ((controller.desiredSize ?? 0) < -MAX_QUEUED_FRAMES) return sink.close();
      controller.enqueue(frame);
    },
    close() {
      if (closed) return;
      closed = true;
      hub.detach(sink);
      try {
        controller.close();
      } catch {
        // already closed by the client
      }
    },
  };
  const body = new ReadableStream<Uint8Array>({
    // start() runs inside the constructor: the rows read above, the frames and attach() happen in
    // one synchronous step, so no publish runs in between (nothing committed is lost) and lastId
    // keeps a replayed notification from being sent again live.
    start(ctrl) {
      controller = ctrl;
      if (missed.truncated)
        sink.write(sseFrame("resync", { reason: "replay_truncated", replayed: REPLAY_LIMIT }));
      for (const r of missed.rows) {
        sink.write(notificationFrame(r));
        sink.lastId = r.id;
      }
      sink.write(unreadFrame(unread));
      hub.attach(sink);
    },
    // The client went away.
    cancel() {
      closed = true;
      hub.detach(sink);
    },
  });
  return c.body(body, 200, SSE_HEADERS);
}

export const notificationStreamRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/notifications/stream",
      tags,
      summary: "The caller's notifications, live (Server-Sent Events)",
      ...secured(STREAM_PERMISSION),
      middleware: [streamGuard],
      description: [
        `Requires permission \`${STREAM_PERMISSION}\`, or a \`ticket\`.`,
        "A `text/event-stream` that stays open: `event: notification` (the notification as in the list, `id:` = its id) for each notification created for the caller after the stream opened, `event: unread_count` (`{unread_count}`) on connect and after every change, and a `: ping` comment every 15 s.",
        "Authenticate with `Authorization: Bearer` or, from a browser's EventSource (which cannot send headers), with `?ticket=` from `POST /notifications/stream-ticket`. An access token or API key in the URL is refused (400).",
        `To resume, send \`Last-Event-ID\` (or \`?last_event_id=\`): the notifications after that id are replayed first, oldest first, at most ${REPLAY_LIMIT}; when more were missed, an \`event: resync\` comes first and the client should reload the list.`,
        "The stream ends when the account is banned, the API key it was opened with is revoked, or the server shuts down. A bot acting as a user cannot open one.",
      ].join("\n\n"),
      request: { query: StreamQuery, headers: StreamHeaders },
      responses: {
        200: {
          description: "The event stream",
          content: {
            "text/event-stream": {
              schema: z.string(),
              example:
                'event: unread_count\ndata: {"unread_count":2}\n\nevent: notification\nid: 42\ndata: {"id":42,"type":"order_assigned","title":"Order #7 taken","message":"…","data":{"order_id":7},"is_read":false,"created_at":"2026-11-22T10:00:00.000Z"}\n\n: ping\n\n',
            },
          },
        },
        ...errors(401, 403),
      },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const q = c.req.valid("query");
      const header = c.req.valid("header")["last-event-id"];
      const after = Math.max(Number(q.last_event_id || 0), Number(header || 0));
      // Hono answers HEAD by running this handler and dropping the body unread: open nothing then
      // (an attached stream nobody reads would linger), and do not spend the ticket.
      if (c.req.method === "HEAD") {
        assertStreamable(
          ctx,
          q.ticket === undefined ? principalOf(c).user.id : peekStreamTicket(ctx, q.ticket),
        );
        return c.body(null, 200, SSE_HEADERS);
      }
      const who =
        q.ticket === undefined
          ? { userId: principalOf(c).user.id, keyId: principalOf(c).keyId }
          : { userId: redeemStreamTicket(ctx, q.ticket) };
      assertStreamable(ctx, who.userId);
      keepOpen(c);
      return openStream(c, ctx, who, after);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/notifications/stream-ticket",
      tags,
      summary: "A single-use ticket to open the notification stream from a browser",
      ...secured(STREAM_PERMISSION),
      description: `Requires permission \`${STREAM_PERMISSION}\`. The ticket opens one stream of the caller's notifications as \`GET /notifications/stream?ticket=…\` within ${TICKET_TTL_MS / 1000} s; it is spent on use. EventSource cannot send an Authorization header, and tokens never go in URLs: get a fresh ticket for each (re)connection.`,
      request: optionalJsonBody(z.strictObject({})),
      responses: { 201: json(TicketSchema, "The ticket"), ...errors(401, 403) },
    }),
    (c) => c.json(issueStreamTicket(c.get("ctx"), principalOf(c).user.id), 201),
  );
