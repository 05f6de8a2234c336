import { and, asc, count, eq, gt, isNull, max, ne, or, sql } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { type OrderStatus, orderMessages, orderReads, orders } from "../../../db/schema";
import { write } from "../../../db/write";
import type { Principal } from "../../../http/types";
import { conflict, forbidden, notFound, validation } from "../../../lib/errors";
import { page, pageOf } from "../../../lib/pagination";
import { iso, isoOrNull } from "../../../lib/time";
import { emit } from "../../platform/events/service";
import { notify } from "../../platform/notifications/service";
import { type OrderRow, orderFor } from "../orders/access";
import type { Message, MessageInput, MessagesQuery, ReadInput } from "./schemas";

type MessageRow = typeof orderMessages.$inferSelect;

/**
 * Statuses in which the chat is read-only: the order never went ahead. A completed order keeps its
 * chat open (follow-up questions, disputes about the delivered work).
 */
export const CHAT_CLOSED_STATUSES: readonly OrderStatus[] = ["cancelled", "declined_by_expert"];

/** A deleted message keeps its row (and its text, for moderation) but the API shows no body. */
export const serializeMessage = (m: MessageRow): Message => ({
  id: m.id,
  order_id: m.orderId,
  sender_id: m.senderId,
  body: m.deletedAt == null ? m.body : null,
  is_deleted: m.deletedAt != null,
  deleted_at: isoOrNull(m.deletedAt),
  deleted_by: m.deletedBy,
  created_at: iso(m.createdAt),
});

/** The order for one of its two participants: 404 for strangers, 403 for staff (who may only look). */
function participantOrder(ctx: AppContext, tx: Tx, p: Principal, orderId: number, what: string) {
  const { order, role } = orderFor(ctx, p, orderId, tx);
  if (role === "staff") throw forbidden(`only the order's client and expert may ${what}`);
  return { order, role };
}

const otherParty = (o: OrderRow, role: "client" | "expert") => (role === "client" ? o.expertId : o.clientId);

/** The caller's read marker in an order (0 when they never marked anything read). */
const markerOf = (db: Queryable, orderId: number, userId: number) =>
  db
    .select({ id: orderReads.lastReadMessageId })
    .from(orderReads)
    .where(and(eq(orderReads.orderId, orderId), eq(orderReads.userId, userId)))
    .get()?.id ?? 0;

/** Messages of the order after the user's marker, sent by someone else, not deleted. */
export function unreadMessages(db: Queryable, orderId: number, userId: number): number {
  const marker = sql`coalesce((select ${orderReads.lastReadMessageId} from ${orderReads}
    where ${orderReads.orderId} = ${orderId} and ${orderReads.userId} = ${userId}), 0)`;
  return db
    .select({ n: count() })
    .from(orderMessages)
    .where(
      and(
        eq(orderMessages.orderId, orderId),
        ne(orderMessages.senderId, userId),
        isNull(orderMessages.deletedAt),
        gt(orderMessages.id, marker),
      ),
    )
    .get()!.n;
}

/**
 * The order's chat, oldest first, paginated; `after_id` narrows it to newer messages (polling).
 * Staff see the chat but are not in it: their unread_count is always 0.
 */
export function listMessages(ctx: AppContext, p: Principal, orderId: number, q: MessagesQuery, url: string) {
  const { role } = orderFor(ctx, p, orderId);
  const where = and(
    eq(orderMessages.orderId, orderId),
    q.after_id === undefined ? undefined : gt(orderMessages.id, q.after_id),
  );
  const { total, rows } = pageOf(ctx.db, orderMessages, where, q, asc(orderMessages.id));
  const unread = role === "staff" ? 0 : unreadMessages(ctx.db, orderId, p.user.id);
  return { ...page(url, q, total, rows.map(serializeMessage)), unread_count: unread };
}

/** Posts a message as the order's client or expert; the other party is notified. */
export const sendMessage = (ctx: AppContext, p: Principal, orderId: number, b: MessageInput) =>
  write(ctx, (tx, now) => {
    const { order, role } = participantOrder(ctx, tx, p, orderId, "write in its chat");
    if (order.expertId == null) {
      throw conflict("the chat opens once an expert takes the order", { status: order.status });
    }
    if (CHAT_CLOSED_STATUSES.includes(order.status)) {
      throw conflict(`the chat of a ${order.status} order is read-only`, { status: order.status });
    }
    const m = tx
      .insert(orderMessages)
      .values({ orderId, senderId: p.user.id, body: b.body, createdAt: now })
      .returning()
      .get();
    emit(tx, now, {
      type: "order.message_sent",
      actorId: p.user.id,
      subjectType: "order",
      subjectId: orderId,
      // Never the text: it would outlive a deletion of the message in the timeline.
      payload: { message_id: m.id, sender_role: role },
    });
    notify(ctx, tx, {
      userId: otherParty(order, role)!,
      type: "message_received",
      title: "New message",
      message: `New message in order #${order.id} «${order.title}»`,
      data: { order_id: order.id, message_id: m.id },
    });
    return serializeMessage(m);
  });

/** Soft-deletes one of the caller's own messages (anyone else's is 404); twice is 409. */
export const deleteMessage = (ctx: AppContext, p: Principal, messageId: number) =>
  write(ctx, (tx, now) => {
    const m = tx.select().from(orderMessages).where(eq(orderMessages.id, messageId)).get();
    if (!m || m.senderId !== p.user.id) throw notFound("message");
    if (m.deletedAt != null) {
      throw conflict("the message is already deleted", { deleted_at: iso(m.deletedAt) });
    }
    const row = tx
      .update(orderMessages)
      .set({ deletedAt: now, deletedBy: p.user.id })
      .where(eq(orderMessages.id, messageId))
      .returning()
      .get()!;
    emit(tx, now, {
      type: "order.message_deleted",
      actorId: p.user.id,
      subjectType: "order",
      subjectId: m.orderId,
      payload: { message_id: m.id },
    });
    return serializeMessage(row);
  });

/**
 * Moves the caller's read marker up to `message_id` (default: the order's latest message). The
 * marker never moves back; an event is recorded only when it moves.
 */
export const markRead = (ctx: AppContext, p: Principal, orderId: number, b: ReadInput) =>
  write(ctx, (tx, now) => {
    participantOrder(ctx, tx, p, orderId, "mark its chat read");
    let target: number;
    if (b.message_id !== undefined) {
      const m = tx
        .select({ id: orderMessages.id })
        .from(orderMessages)
        .where(and(eq(orderMessages.id, b.message_id), eq(orderMessages.orderId, orderId)))
        .get();
      if (!m) throw validation("json.message_id", "no such message in this order");
      target = m.id;
    } else {
      target =
        tx
          .select({ id: max(orderMessages.id) })
          .from(orderMessages)
          .where(eq(orderMessages.orderId, orderId))
          .get()?.id ?? 0;
    }
    const before = markerOf(tx, orderId, p.user.id);
    const marker = Math.max(before, target);
    if (marker > before) {
      tx.insert(orderReads)
        .values({ orderId, userId: p.user.id, lastReadMessageId: marker, readAt: now })
        .onConflictDoUpdate({
          target: [orderReads.orderId, orderReads.userId],
          set: { lastReadMessageId: marker, readAt: now },
        })
        .run();
      emit(tx, now, {
        type: "order.messages_read",
        actorId: p.user.id,
        subjectType: "order",
        subjectId: orderId,
        payload: { last_read_message_id: marker, previous_message_id: before },
      });
    }
    return {
      order_id: orderId,
      last_read_message_id: marker,
      unread_count: unreadMessages(tx, orderId, p.user.id),
    };
  });

/** The caller's unread messages per order they take part in, in one aggregate query. */
export function unreadSummary(db: Queryable, userId: number) {
  const rows = db
    .select({ order_id: orderMessages.orderId, unread_count: count() })
    .from(orderMessages)
    .innerJoin(orders, eq(orders.id, orderMessages.orderId))
    .leftJoin(orderReads, and(eq(orderReads.orderId, orderMessages.orderId), eq(orderReads.userId, userId)))
    .where(
      and(
        or(eq(orders.clientId, userId), eq(orders.expertId, userId)),
        ne(orderMessages.senderId, userId),
        isNull(orderMessages.deletedAt),
        gt(orderMessages.id, sql`coalesce(${orderReads.lastReadMessageId}, 0)`),
      ),
    )
    .groupBy(orderMessages.orderId)
    .orderBy(orderMessages.orderId)
    .all();
  return { total: rows.reduce((s, r) => s + r.unread_count, 0), orders: rows };
}
