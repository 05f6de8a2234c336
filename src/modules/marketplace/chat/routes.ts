import { createRoute } from "@hono/zod-openapi";
import { principalOf } from "../../../http/auth";
import {
  createRouter,
  errors,
  IdParam,
  json,
  jsonBody,
  optionalJsonBody,
  secured,
} from "../../../lib/openapi";
import { MP } from "../permissions";
import {
  MessageBody,
  MessagePage,
  MessageSchema,
  MessagesQuery,
  ReadBody,
  type ReadInput,
  ReadStateSchema,
  UnreadSchema,
} from "./schemas";
import { deleteMessage, listMessages, markRead, sendMessage, unreadSummary } from "./service";

const tags = ["chat"];

/** The chat of an order between its client and its expert (seed 001; `/api/appointments/{id}/messages`). */
export const chatRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/messages/unread",
      tags,
      summary: "The caller's unread chat messages per order",
      ...secured(MP.messagesRead),
      responses: { 200: json(UnreadSchema), ...errors(401, 403) },
    }),
    (c) => c.json(unreadSummary(c.get("ctx").db, principalOf(c).user.id), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/orders/{id}/messages",
      tags,
      summary: "An order's chat, oldest first (`after_id` for polling); participants and staff",
      ...secured(MP.messagesRead),
      request: { params: IdParam, query: MessagesQuery },
      responses: { 200: json(MessagePage), ...errors(401, 403, 404) },
    }),
    (c) =>
      c.json(
        listMessages(c.get("ctx"), principalOf(c), c.req.valid("param").id, c.req.valid("query"), c.req.url),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/orders/{id}/messages",
      tags,
      summary: "Post a message (the order's client or expert, once an expert is assigned)",
      ...secured(MP.messagesWrite),
      request: { params: IdParam, ...jsonBody(MessageBody) },
      responses: { 201: json(MessageSchema, "Created"), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(sendMessage(c.get("ctx"), principalOf(c), c.req.valid("param").id, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/messages/{id}",
      tags,
      summary: "Soft-delete one of your own messages (body hidden, row kept)",
      ...secured(MP.messagesWrite),
      request: { params: IdParam },
      responses: { 200: json(MessageSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) => c.json(deleteMessage(c.get("ctx"), principalOf(c), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/orders/{id}/read",
      tags,
      summary: "Move your read marker (default: to the latest message); it never moves back",
      ...secured(MP.messagesRead),
      request: { params: IdParam, ...optionalJsonBody(ReadBody) },
      responses: { 200: json(ReadStateSchema), ...errors(401, 403, 404) },
    }),
    (c) => {
      const body = (c.req.valid("json" as never) ?? {}) as ReadInput;
      return c.json(markRead(c.get("ctx"), principalOf(c), c.req.valid("param").id, body), 200);
    },
  );
