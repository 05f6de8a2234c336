import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ORDER_STATUSES } from "../enums";
import { users } from "./accounts";

/** Subjects, work types and complexities share one shape: a named, orderable, deactivatable entry. */
const catalogTable = (name: string) =>
  sqliteTable(
    name,
    {
      id: integer("id").primaryKey({ autoIncrement: true }),
      name: text("name").notNull(),
      description: text("description"),
      isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
      sortOrder: integer("sort_order").notNull().default(0),
      createdAt: integer("created_at").notNull(),
      updatedAt: integer("updated_at").notNull(),
    },
    (t) => [uniqueIndex(`${name}_name_uq`).on(t.name)],
  );

export const subjects = catalogTable("subjects");
export const workTypes = catalogTable("work_types");
export const complexities = catalogTable("complexities");

export const FILE_PURPOSES = ["payment_proof", "expert_document", "gateway_receipt"] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

/** An uploaded file: bytes live under DATA_DIR/uploads/<storage_key>, the row says who may see them. */
export const files = sqliteTable(
  "files",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    ownerId: integer("owner_id")
      .notNull()
      .references(() => users.id),
    purpose: text("purpose", { enum: FILE_PURPOSES }).notNull(),
    storageKey: text("storage_key").notNull(),
    originalName: text("original_name").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("files_storage_key_uq").on(t.storageKey), index("files_owner_idx").on(t.ownerId)],
);

export const APPLICATION_STATUSES = ["pending", "approved", "rejected"] as const;

export const expertApplications = sqliteTable(
  "expert_applications",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    status: text("status", { enum: APPLICATION_STATUSES }).notNull().default("pending"),
    bio: text("bio"),
    experienceYears: integer("experience_years"),
    education: text("education"),
    skills: text("skills"),
    reviewedBy: integer("reviewed_by").references(() => users.id),
    reviewedAt: integer("reviewed_at"),
    rejectReason: text("reject_reason"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // At most one application under review per user.
    uniqueIndex("expert_applications_pending_uq").on(t.userId).where(sql`status = 'pending'`),
    index("expert_applications_status_idx").on(t.status, t.createdAt),
  ],
);

export const expertDocuments = sqliteTable(
  "expert_documents",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    fileId: integer("file_id")
      .notNull()
      .references(() => files.id),
    title: text("title").notNull(),
    isVerified: integer("is_verified", { mode: "boolean" }).notNull().default(false),
    verifiedBy: integer("verified_by").references(() => users.id),
    verifiedAt: integer("verified_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("expert_documents_user_idx").on(t.userId)],
);

export const expertSpecializations = sqliteTable(
  "expert_specializations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    subjectId: integer("subject_id")
      .notNull()
      .references(() => subjects.id),
    isVerified: integer("is_verified", { mode: "boolean" }).notNull().default(false),
    verifiedBy: integer("verified_by").references(() => users.id),
    verifiedAt: integer("verified_at"),
    createdAt: integer("created_at").notNull(),
  },
  // The unique (user, subject) index also serves "which subjects may this expert take".
  (t) => [uniqueIndex("expert_specializations_user_subject_uq").on(t.userId, t.subjectId)],
);

/** One row per approved expert: admins suspend and re-activate experts here (seed 001 masters). */
export const expertProfiles = sqliteTable("expert_profiles", {
  userId: integer("user_id")
    .primaryKey()
    .references(() => users.id),
  isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
  suspendedReason: text("suspended_reason"),
  approvedAt: integer("approved_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export { ORDER_STATUSES };
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const ORDER_KINDS = ["work", "session"] as const;
export const PAYMENT_METHODS = ["wallet", "manual"] as const;

/** Seed 000's orders and seed 001's appointments: one entity, `kind` work or session. */
export const orders = sqliteTable(
  "orders",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: ORDER_KINDS }).notNull().default("work"),
    status: text("status", { enum: ORDER_STATUSES }).notNull().default("new"),
    clientId: integer("client_id")
      .notNull()
      .references(() => users.id),
    expertId: integer("expert_id").references(() => users.id),
    title: text("title").notNull(),
    description: text("description"),
    subjectId: integer("subject_id")
      .notNull()
      .references(() => subjects.id),
    workTypeId: integer("work_type_id").references(() => workTypes.id),
    complexityId: integer("complexity_id").references(() => complexities.id),
    deadline: integer("deadline"),
    scheduledAt: integer("scheduled_at"),
    durationMinutes: integer("duration_minutes"),
    budget: integer("budget"),
    price: integer("price"),
    currency: text("currency").notNull().default("RUB"),
    paymentMethod: text("payment_method", { enum: PAYMENT_METHODS }),
    paymentProofFileId: integer("payment_proof_file_id").references(() => files.id),
    /** Minor units held in escrow for this order (wallet route); 0 once released or returned. */
    escrowAmount: integer("escrow_amount").notNull().default(0),
    /** Wallet payments made into escrow so far: each one keys its ledger transfers apart. */
    paymentRound: integer("payment_round").notNull().default(0),
    slaDueAt: integer("sla_due_at"),
    slaBreachedAt: integer("sla_breached_at"),
    takenAt: integer("taken_at"),
    paidAt: integer("paid_at"),
    startedAt: integer("started_at"),
    deliveredAt: integer("delivered_at"),
    completedAt: integer("completed_at"),
    cancelledAt: integer("cancelled_at"),
    statusReason: text("status_reason"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // Available orders: status 'new' in the expert's subjects, newest first.
    index("orders_status_subject_created_idx").on(t.status, t.subjectId, t.createdAt),
    // An expert's active and recent orders.
    index("orders_expert_status_created_idx").on(t.expertId, t.status, t.createdAt),
    index("orders_client_created_idx").on(t.clientId, t.createdAt),
    // The auto-accept schedule scans delivered orders by delivery time.
    index("orders_status_delivered_idx").on(t.status, t.deliveredAt),
    // The SLA schedule only looks at orders whose breach is not yet recorded.
    index("orders_sla_due_idx").on(t.slaDueAt).where(sql`sla_breached_at IS NULL AND sla_due_at IS NOT NULL`),
    // Daily metrics and analytics count orders by the day they were created, completed, cancelled or breached.
    index("orders_created_idx").on(t.createdAt),
    // Covering (currency, price): a day's GMV is read from the index alone.
    index("orders_completed_idx").on(t.completedAt, t.currency, t.price).where(sql`completed_at IS NOT NULL`),
    index("orders_cancelled_idx").on(t.cancelledAt).where(sql`cancelled_at IS NOT NULL`),
    index("orders_sla_breached_idx").on(t.slaBreachedAt).where(sql`sla_breached_at IS NOT NULL`),
    // Session analytics from the index alone (a cache miss reads no order row): counts by status,
    // and the top experts grouped in index order. expert_id before created_at keeps that grouping
    // free of a sort whatever the period (a period is then filtered inside each status's range).
    index("orders_kind_status_expert_idx").on(t.kind, t.status, t.expertId, t.createdAt, t.durationMinutes),
    check("orders_price_non_negative", sql`${t.price} IS NULL OR ${t.price} >= 0`),
    check("orders_escrow_non_negative", sql`${t.escrowAmount} >= 0`),
  ],
);

export const orderMessages = sqliteTable(
  "order_messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    orderId: integer("order_id")
      .notNull()
      .references(() => orders.id),
    senderId: integer("sender_id")
      .notNull()
      .references(() => users.id),
    body: text("body").notNull(),
    deletedAt: integer("deleted_at"),
    deletedBy: integer("deleted_by").references(() => users.id),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("order_messages_order_idx").on(t.orderId, t.id)],
);

/** How far each participant has read an order's chat (unread = messages after the marker). */
export const orderReads = sqliteTable(
  "order_reads",
  {
    orderId: integer("order_id")
      .notNull()
      .references(() => orders.id),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    lastReadMessageId: integer("last_read_message_id").notNull().default(0),
    readAt: integer("read_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.userId] })],
);

export const REVIEW_DIRECTIONS = ["client_to_expert", "expert_to_client"] as const;

/**
 * The closed list of behaviour flags an expert may put on a client (seed 001). The negative ones
 * feed the client risk score (`negative_behavior_flags`); the positive ones only describe. Kept
 * with the table: reviews validate them, scoring counts them.
 */
export const NEGATIVE_REVIEW_FLAGS = [
  "no_show",
  "late_payment",
  "rude",
  "unclear_requirements",
  "scope_creep",
  "excessive_revisions",
] as const;
export const POSITIVE_REVIEW_FLAGS = [
  "excellent_communication",
  "clear_requirements",
  "prompt_payment",
] as const;

export const reviews = sqliteTable(
  "reviews",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    orderId: integer("order_id")
      .notNull()
      .references(() => orders.id),
    direction: text("direction", { enum: REVIEW_DIRECTIONS }).notNull(),
    authorId: integer("author_id")
      .notNull()
      .references(() => users.id),
    targetId: integer("target_id")
      .notNull()
      .references(() => users.id),
    rating: integer("rating").notNull(),
    comment: text("comment"),
    flags: text("flags", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    isPublished: integer("is_published", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    // Once per side per order.
    uniqueIndex("reviews_order_direction_uq").on(t.orderId, t.direction),
    // An expert's published reviews, newest first, and their rating aggregate.
    index("reviews_target_idx").on(t.targetId, t.direction, t.isPublished, t.createdAt),
    // Engagement counts the reviews a user wrote; daily metrics the day's ratings.
    index("reviews_author_idx").on(t.authorId),
    index("reviews_created_idx").on(t.createdAt, t.rating),
    check("reviews_rating_range", sql`${t.rating} BETWEEN 1 AND 5`),
  ],
);
