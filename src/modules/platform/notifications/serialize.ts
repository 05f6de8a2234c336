import { iso } from "../../../lib/time";

/** A notification as the list endpoint and the live stream show it. */
export type NotificationJson = {
  id: number;
  type: string;
  title: string;
  message: string;
  data: Record<string, unknown>;
  is_read: boolean;
  created_at: string;
};

export const notificationJson = (n: {
  id: number;
  type: string;
  title: string;
  message: string;
  data: Record<string, unknown>;
  isRead: boolean;
  createdAt: number;
}): NotificationJson => ({
  id: n.id,
  type: n.type,
  title: n.title,
  message: n.message,
  data: n.data,
  is_read: n.isRead,
  created_at: iso(n.createdAt),
});

/** A notification row read with raw SQL (data as JSON text, is_read as 0/1). */
export type NotificationRow = {
  id: number;
  user_id: number;
  type: string;
  title: string;
  message: string;
  data: string;
  is_read: number;
  created_at: number;
};

export const NOTIFICATION_COLUMNS = "id, user_id, type, title, message, data, is_read, created_at";

export const rowJson = (r: NotificationRow): NotificationJson =>
  notificationJson({
    id: r.id,
    type: r.type,
    title: r.title,
    message: r.message,
    data: JSON.parse(r.data) as Record<string, unknown>,
    isRead: r.is_read === 1,
    createdAt: r.created_at,
  });

const encoder = new TextEncoder();

/** One SSE frame. JSON.stringify never emits a raw newline, so the data fits on one `data:` line. */
export function sseFrame(event: string, data: unknown, id?: number): Uint8Array {
  const idLine = id === undefined ? "" : `id: ${id}\n`;
  return encoder.encode(`event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
}

export const notificationFrame = (r: NotificationRow) => sseFrame("notification", rowJson(r), r.id);
export const unreadFrame = (count: number) => sseFrame("unread_count", { unread_count: count });
/** A comment line: ignored by EventSource, but it keeps proxies and idle timers from closing the stream. */
export const PING_FRAME = encoder.encode(": ping\n\n");
