import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).notNull(),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: integer("updated_by"),
});

export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type").notNull(),
    actorId: integer("actor_id"),
    subjectType: text("subject_type"),
    subjectId: text("subject_id"),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    // Timelines read one subject's events oldest first.
    index("events_subject_idx").on(t.subjectType, t.subjectId, t.id),
    index("events_type_idx").on(t.type, t.id),
  ],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    actorId: integer("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    ip: text("ip"),
    requestId: text("request_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("audit_actor_idx").on(t.actorId, t.id),
    index("audit_target_idx").on(t.targetType, t.targetId),
  ],
);

export const notifications = sqliteTable(
  "notifications",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    title: text("title").notNull(),
    message: text("message").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    isRead: integer("is_read", { mode: "boolean" }).notNull().default(false),
    readAt: integer("read_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    // The list is per recipient, newest first; the unread count filters on is_read.
    index("notifications_user_created_idx").on(t.userId, t.createdAt),
    index("notifications_user_unread_idx").on(t.userId, t.isRead),
  ],
);

export const JOB_STATUSES = ["queued", "running", "done", "failed"] as const;

export const jobs = sqliteTable(
  "jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    runAt: integer("run_at").notNull(),
    lockedAt: integer("locked_at"),
    lastError: text("last_error"),
    dedupeKey: text("dedupe_key"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // The worker polls "queued and due" in run_at order.
    index("jobs_due_idx").on(t.status, t.runAt),
    uniqueIndex("jobs_dedupe_uq").on(t.dedupeKey),
  ],
);

export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    caller: text("caller").notNull(),
    /** SHA-256 of the Idempotency-Key: the key itself decrypts the kept response, so it is never stored. */
    key: text("key").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status"),
    responseBody: text("response_body"),
    contentType: text("content_type"),
    /** The process (pid:boot nonce) running the request while status is null; a dead owner frees the key. */
    owner: text("owner"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("idempotency_caller_key_uq").on(t.caller, t.key),
    // Cleanup deletes rows older than 24 h.
    index("idempotency_created_idx").on(t.createdAt),
  ],
);

export const CRITICAL_ERROR_KINDS = ["http", "job"] as const;

/**
 * What went wrong for good: an unhandled error behind a 5xx answer, or a job that used up its
 * attempts. Kept for staff to list (and sent to Sentry when configured).
 */
export const criticalErrors = sqliteTable(
  "critical_errors",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: CRITICAL_ERROR_KINDS }).notNull(),
    message: text("message").notNull(),
    /** The error's class name (`TypeError`, `SQLiteError`, …). */
    errorName: text("error_name"),
    stack: text("stack"),
    requestId: text("request_id"),
    method: text("method"),
    /** The route pattern (`/api/v1/orders/:id`), not the path: ids and tokens stay out of it. */
    route: text("route"),
    status: integer("status"),
    actorId: integer("actor_id"),
    jobId: integer("job_id"),
    jobType: text("job_type"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    // The list is newest first, optionally one kind.
    index("critical_errors_created_idx").on(t.createdAt),
    index("critical_errors_kind_idx").on(t.kind, t.createdAt),
  ],
);
