import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

/** Rule documents are validated on save; evaluation reads them from an in-process index by event type. */
export const rules = sqliteTable(
  "rules",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    /** An exact type, a prefix pattern such as `order.*`, or `*`. */
    eventType: text("event_type").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    priority: integer("priority").notNull().default(0),
    conditions: text("conditions", { mode: "json" }).$type<unknown>().notNull(),
    actions: text("actions", { mode: "json" }).$type<unknown[]>().notNull(),
    stopProcessing: integer("stop_processing", { mode: "boolean" }).notNull().default(false),
    /** Bumped by every edit; each run records the version it evaluated. */
    version: integer("version").notNull().default(1),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [index("rules_event_type_idx").on(t.eventType, t.enabled)],
);

export const ruleRuns = sqliteTable(
  "rule_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    ruleId: integer("rule_id")
      .notNull()
      .references(() => rules.id),
    ruleVersion: integer("rule_version").notNull(),
    eventId: integer("event_id").notNull(),
    matched: integer("matched", { mode: "boolean" }).notNull(),
    /** Whether the actions ran (and committed) on this run. */
    applied: integer("applied", { mode: "boolean" }).notNull().default(false),
    actions: text("actions", { mode: "json" })
      .$type<{ type: string; ok: boolean; error?: string }[]>()
      .notNull(),
    depth: integer("depth").notNull().default(0),
    replay: integer("replay", { mode: "boolean" }).notNull().default(false),
    durationUs: integer("duration_us").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    // A rule's run log, newest first.
    index("rule_runs_rule_idx").on(t.ruleId, t.id),
    // An action of a rule is applied at most once per event, replays included.
    uniqueIndex("rule_runs_applied_uq").on(t.ruleId, t.eventId).where(sql`applied = 1`),
  ],
);

/** Tags that rules put on subjects (`assign_tag`), and flags on users (`assign_flag`, subject `user`). */
export const subjectTags = sqliteTable(
  "subject_tags",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: ["tag", "flag"] }).notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    tag: text("tag").notNull(),
    ruleId: integer("rule_id").references(() => rules.id),
    eventId: integer("event_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("subject_tags_uq").on(t.subjectType, t.subjectId, t.kind, t.tag)],
);

export const attentionItems = sqliteTable(
  "attention_items",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    reason: text("reason").notNull(),
    status: text("status", { enum: ["open", "resolved"] })
      .notNull()
      .default("open"),
    ruleId: integer("rule_id").references(() => rules.id),
    eventId: integer("event_id"),
    subjectType: text("subject_type"),
    subjectId: text("subject_id"),
    resolvedBy: integer("resolved_by").references(() => users.id),
    resolvedAt: integer("resolved_at"),
    note: text("note"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("attention_status_idx").on(t.status, t.id)],
);

export const featureFlags = sqliteTable("feature_flags", {
  key: text("key").primaryKey(),
  description: text("description").notNull().default(""),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(false),
  rolloutPercent: integer("rollout_percent").notNull().default(100),
  roles: text("roles", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  userIds: text("user_ids", { mode: "json" }).$type<number[]>().notNull().default(sql`'[]'`),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: integer("updated_by"),
});

/** Single-use tickets that let a browser's EventSource open the notification stream. */
export const streamTickets = sqliteTable(
  "stream_tickets",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
  },
  (t) => [index("stream_tickets_expiry_idx").on(t.expiresAt)],
);

/** Receivers of outgoing webhooks: admin endpoints, and later the gateway's store callbacks (owner). */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    /** `whsec_…`, sealed with a key derived from the server secret (signing needs it back). */
    secretSealed: text("secret_sealed").notNull(),
    disabledReason: text("disabled_reason"),
    ownerType: text("owner_type"),
    ownerId: text("owner_id"),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [index("webhook_endpoints_owner_idx").on(t.ownerType, t.ownerId)],
);

export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    endpointId: integer("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id),
    /** `webhook-id`: stable across retries and redeliveries of this message. */
    messageId: text("message_id").notNull(),
    eventId: integer("event_id"),
    eventType: text("event_type").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: ["pending", "succeeded", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** When the next attempt is due; null once the delivery succeeded or failed. The row is its own durable job. */
    nextAttemptAt: integer("next_attempt_at"),
    /** Attempts made in this round (a redelivery starts a new round of webhook_max_attempts). */
    roundAttempts: integer("round_attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    lastDurationMs: integer("last_duration_ms"),
    deliveredAt: integer("delivered_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // The delivery log of an endpoint, newest first.
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
    // One message per endpoint and event (test pings have no event). Event first: the deliveries
    // of one event sit side by side, so an event fanned out to N endpoints writes one leaf page of
    // this index, not N (27 -> 17 WAL pages per event with 10 endpoints; docs/platform.md).
    uniqueIndex("webhook_deliveries_event_uq").on(t.eventId, t.endpointId),
    // The sender's queue: only deliveries still due are in it, so it stays a few pages however long the log.
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`next_attempt_at IS NOT NULL`),
  ],
);

/**
 * The fan-out's cursor: events up to this id have been matched against the endpoints. One row.
 * Fanning out after commit, a batch at a time, keeps delivery writes out of the event's transaction.
 */
export const webhookFanout = sqliteTable("webhook_fanout", {
  id: integer("id").primaryKey(),
  lastEventId: integer("last_event_id").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
