import { z } from "@hono/zod-openapi";
import { PageQuery } from "../../../lib/pagination";

export const MESSAGE_MAX_CHARS = 4000;

export const MessageSchema = z
  .object({
    id: z.number().int(),
    order_id: z.number().int(),
    sender_id: z.number().int(),
    /** null once deleted: the row stays, the text goes. */
    body: z.string().nullable(),
    is_deleted: z.boolean(),
    deleted_at: z.string().nullable(),
    deleted_by: z.number().int().nullable(),
    created_at: z.string(),
  })
  .openapi("OrderMessage");
export type Message = z.infer<typeof MessageSchema>;

export const MessagePage = z
  .object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    unread_count: z.number().int(),
    results: z.array(MessageSchema),
  })
  .openapi("OrderMessagePage");

export const MessagesQuery = PageQuery.extend({
  /** Polling: only messages with a greater id (the list stays oldest first). */
  after_id: z.coerce.number().int().min(0).optional().openapi({ example: 0 }),
});
export type MessagesQuery = z.infer<typeof MessagesQuery>;

export const MessageBody = z
  .strictObject({
    body: z.string().trim().min(1, "must not be empty").max(MESSAGE_MAX_CHARS),
  })
  .openapi("OrderMessageBody", { example: { body: "Problem 4 is done; sending the rest tonight." } });
export type MessageInput = z.infer<typeof MessageBody>;

export const ReadBody = z
  .strictObject({
    /** Read up to this message; absent: the order's latest message. */
    message_id: z.number().int().positive().optional(),
  })
  .openapi("ChatReadBody", { example: { message_id: 42 } });
export type ReadInput = z.infer<typeof ReadBody>;

export const ReadStateSchema = z
  .object({
    order_id: z.number().int(),
    last_read_message_id: z.number().int(),
    unread_count: z.number().int(),
  })
  .openapi("ChatReadState");

export const UnreadSchema = z
  .object({
    total: z.number().int(),
    orders: z.array(z.object({ order_id: z.number().int(), unread_count: z.number().int() })),
  })
  .openapi("ChatUnread");
