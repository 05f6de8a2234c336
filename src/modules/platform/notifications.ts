import { eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { notifications, users } from "../../db/schema";

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

/**
 * Creates an in-app notification in the caller's transaction and, for users with a Telegram id
 * when a bot token is configured, queues its Telegram delivery in the same transaction.
 */
export function notify(ctx: AppContext, tx: Tx, n: NotifyInput): number {
  const now = ctx.clock.now();
  const row = tx
    .insert(notifications)
    .values({
      userId: n.userId,
      type: n.type,
      title: n.title,
      message: n.message,
      data: n.data ?? {},
      createdAt: now,
    })
    .returning({ id: notifications.id })
    .get();
  if (ctx.env.TELEGRAM_BOT_TOKEN) {
    const user = tx.select({ telegramId: users.telegramId }).from(users).where(eq(users.id, n.userId)).get();
    if (user?.telegramId) {
      ctx.jobs.enqueue(ctx, tx, {
        type: "telegram.send",
        payload: { chat_id: user.telegramId, text: `${n.title}\n\n${n.message}`, notification_id: row.id },
        dedupeKey: `telegram:notification:${row.id}`,
      });
    }
  }
  return row.id;
}
