import { and, count, eq } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import { notifications } from "../../../db/schema";
import { streamHub } from "./hub";

/** Seed 000's notification types plus the billing notices of seed 002. */
export const NOTIFICATION_TYPES = [
  "new_order",
  "order_assigned",
  "order_status_changed",
  "order_completed",
  "review_received",
  "document_verified",
  "specialization_verified",
  "application_approved",
  "application_rejected",
  "payment_received",
  "message_received",
  "order_sla_breached",
  "dispute_opened",
  "course_enrolled",
  "course_completed",
  "grant_expiring",
  "grant_expired",
  "low_balance",
  "balance_exhausted",
  "account_banned",
  "system",
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export type NotifyInput = {
  userId: number;
  type: NotificationType;
  title: string;
  message: string;
  data?: Record<string, unknown>;
};

// Every order step notifies someone: prepared once per connection (DESIGN.md §1).
const stmts = preparedPer((db) => ({
  insert: prepare<{ id: number }, [number, string, string, string, string, number]>(
    db,
    "INSERT INTO notifications (user_id, type, title, message, data, is_read, read_at, created_at) VALUES (?, ?, ?, ?, ?, 0, NULL, ?) RETURNING id",
  ),
  contact: prepare<
    { telegram_id: number | null; email: string | null; email_verified_at: number | null },
    [number]
  >(db, "SELECT telegram_id, email, email_verified_at FROM users WHERE id = ?"),
}));

/**
 * Creates an in-app notification in the caller's transaction and queues its delivery, in the same
 * transaction, on each channel the user can be reached on: Telegram (a Telegram id, when a bot
 * token is configured) and email (a verified address, when SMTP_URL is set). One job per channel,
 * so one channel failing does not hold up the other. The user's open notification streams get it
 * once the transaction has committed.
 */
export function notify(ctx: AppContext, tx: Tx, n: NotifyInput): number {
  const now = ctx.clock.now();
  const s = stmts(tx);
  const row = s.insert.get(n.userId, n.type, n.title, n.message, JSON.stringify(n.data ?? {}), now)!;
  // Open streams get it after this transaction commits (hub.ts), never from inside it.
  streamHub(ctx).notificationCreated(row.id, n.userId);
  const telegram = Boolean(ctx.env.TELEGRAM_BOT_TOKEN);
  const email = Boolean(ctx.env.SMTP_URL);
  if (!telegram && !email) return row.id;
  const user = s.contact.get(n.userId);
  if (telegram && user?.telegram_id) {
    ctx.jobs.enqueue(ctx, tx, {
      type: "telegram.send",
      payload: { chat_id: user.telegram_id, text: `${n.title}\n\n${n.message}`, notification_id: row.id },
      dedupeKey: `telegram:notification:${row.id}`,
    });
  }
  if (email && user?.email && user.email_verified_at !== null) {
    ctx.jobs.enqueue(ctx, tx, {
      type: "email.send",
      payload: { to: user.email, subject: n.title, text: `${n.message}\n`, notification_id: row.id },
      dedupeKey: `email:notification:${row.id}`,
    });
  }
  return row.id;
}

/** A user's unread notifications (seed 000's unread_count). */
export function unreadCount(db: Queryable, userId: number): number {
  return db
    .select({ n: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), eq(notifications.isRead, false)))
    .get()!.n;
}
