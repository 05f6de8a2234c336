import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";

/** The columns the generator writes, per table; the first one is the id it assigns, in order. */
const TABLES = {
  users: [
    "id",
    "email",
    "username",
    "password_hash",
    "telegram_id",
    "role",
    "first_name",
    "last_name",
    "bio",
    "experience_years",
    "education",
    "skills",
    "is_banned",
    "ban_reason",
    "banned_at",
    "email_verified_at",
    "created_at",
    "updated_at",
  ],
  expert_applications: [
    "id",
    "user_id",
    "status",
    "bio",
    "experience_years",
    "education",
    "skills",
    "reviewed_by",
    "reviewed_at",
    "reject_reason",
    "created_at",
    "updated_at",
  ],
  expert_profiles: ["user_id", "is_active", "suspended_reason", "approved_at", "updated_at"],
  expert_specializations: [
    "id",
    "user_id",
    "subject_id",
    "is_verified",
    "verified_by",
    "verified_at",
    "created_at",
  ],
  audit_log: ["id", "actor_id", "action", "target_type", "target_id", "details", "created_at"],
  events: ["id", "type", "actor_id", "subject_type", "subject_id", "payload", "created_at"],
  orders: [
    "id",
    "kind",
    "status",
    "client_id",
    "expert_id",
    "title",
    "description",
    "subject_id",
    "work_type_id",
    "complexity_id",
    "deadline",
    "scheduled_at",
    "duration_minutes",
    "budget",
    "price",
    "currency",
    "payment_method",
    "escrow_amount",
    "payment_round",
    "sla_due_at",
    "sla_breached_at",
    "taken_at",
    "paid_at",
    "started_at",
    "delivered_at",
    "completed_at",
    "cancelled_at",
    "status_reason",
    "created_at",
    "updated_at",
  ],
  order_messages: ["id", "order_id", "sender_id", "body", "deleted_at", "deleted_by", "created_at"],
  reviews: [
    "id",
    "order_id",
    "direction",
    "author_id",
    "target_id",
    "rating",
    "comment",
    "flags",
    "is_published",
    "created_at",
  ],
  purchases: [
    "id",
    "user_id",
    "kind",
    "package_id",
    "provider",
    "status",
    "amount",
    "currency",
    "provider_ref",
    "confirmation_url",
    "failure_reason",
    "paid_at",
    "refunded_at",
    "created_at",
    "updated_at",
  ],
  grants: [
    "id",
    "user_id",
    "purchase_id",
    "package_id",
    "total_seconds",
    "remaining_seconds",
    "purchased_at",
    "expires_at",
    "status",
    "created_at",
  ],
  usage_events: [
    "id",
    "user_id",
    "usage_id",
    "seconds",
    "billed_seconds",
    "service",
    "occurred_at",
    "remaining_after",
    "created_at",
  ],
  usage_allocations: ["usage_event_id", "grant_id", "seconds"],
  ledger_accounts: [
    "id",
    "owner_type",
    "owner_id",
    "kind",
    "currency",
    "balance",
    "allow_negative",
    "created_at",
  ],
  ledger_transfers: [
    "id",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "currency",
    "kind",
    "reference_type",
    "reference_id",
    "idempotency_key",
    "metadata",
    "created_at",
  ],
  courses: [
    "id",
    "expert_id",
    "subject_id",
    "title",
    "description",
    "price",
    "currency",
    "status",
    "published_at",
    "created_at",
    "updated_at",
  ],
  course_enrollments: [
    "id",
    "course_id",
    "user_id",
    "status",
    "progress",
    "price_paid",
    "completed_at",
    "rating",
    "review",
    "rated_at",
    "created_at",
    "updated_at",
  ],
} as const;

export type TableName = keyof typeof TABLES;
/** Every table the generator writes (their indexes are rebuilt after the load). */
export const WRITTEN_TABLES = Object.keys(TABLES) as TableName[];
/** Tables whose first column is not an id the generator counts (a user id, a composite key). */
export const NO_ID: ReadonlySet<TableName> = new Set(["expert_profiles", "usage_allocations"]);
/** Values in a row of each table. */
export const WIDTH = Object.fromEntries(WRITTEN_TABLES.map((t) => [t, TABLES[t].length])) as Record<
  TableName,
  number
>;

/**
 * Rows per commit. Each commit writes every page the batches touched, and the same hot pages are
 * touched by every batch: measured on 2 cores with the indexes in place, 25k-row commits spent half
 * the run rewriting them; 2M-row commits (with a 1 GB page cache) wrote a quarter less than
 * 500k-row ones at --scale 10. The indexes are now dropped during the load (bulk-load.ts), which
 * leaves fewer hot pages, but nothing is gained by committing more often.
 */
export const BATCH_ROWS = 2_000_000;
/**
 * Rows per INSERT statement: one `VALUES (…), (…), …` statement of 64 rows saves 63 calls into
 * SQLite and statement resets (with the id bound last, the load took about a tenth less time at
 * --scale 10 and 100). Capped by SQLite's 32,766 parameters.
 */
const ROWS_PER_INSERT = 64;

/** How a value travels in a run of rows (see `RowsMessage`). */
export const NULL = 0;
export const NUMBER = 1;
export const TEXT = 2;

/**
 * A run of one table's rows, their values one after the other (each row's id last): `tags` says
 * what each value is; a number is in `nums`; a text value is the next `nums` characters of `text`,
 * the run's strings end to end. Typed arrays and one string cross to the insert thread for the
 * cost of a copy: as an array of values, the structured clone cost the generator ~1 us a row
 * (~125 ns a string), a sixth of its time.
 */
export type RowsMessage = {
  kind: "rows";
  table: TableName;
  tags: Uint8Array;
  nums: Float64Array;
  text: string;
};

/** What the generator hands the inserter, in order: runs of rows, other statements (the final updates), a commit. */
export type InsertMessage =
  | RowsMessage
  | { kind: "run"; statements: [sql: string, values: SQLQueryBindings[]][] }
  | { kind: "commit" };

/** The insert thread's protocol (insert-worker.ts): started on a file, then messages, then the end. */
export type InsertThreadStart = { kind: "start"; path: string; ctrl: Int32Array };
export type InsertThreadEnd = { kind: "end" } | { kind: "abort" };
/** What the thread reports: ready to insert, done (committed and closed), or failed. */
export type InsertThreadReport = { kind: "ready" } | { kind: "done" } | { kind: "failed"; message: string };
/** Slots of the shared counters: messages handled, and 1 once the thread failed. */
export const HANDLED = 0;
export const FAILED = 1;

type TableState = {
  /** One row, for the rest of a run. */
  one: Statement<unknown, SQLQueryBindings[]>;
  /** `many` rows, for the full chunks of a run. */
  many: Statement<unknown, SQLQueryBindings[]>;
  rowsPerMany: number;
  /** The values of one `many` run, refilled for each. */
  buf: SQLQueryBindings[];
  width: number;
};

/**
 * Writes what the generator produced through prepared INSERTs, in large transactions (a commit
 * every `batchRows` rows). Runs on the generator's thread for an in-memory database, otherwise on
 * a thread of its own (insert-worker.ts) with its own connection, so the simulation and SQLite
 * each have a core.
 */
export class Inserter {
  private readonly tables = {} as Record<TableName, TableState>;
  private pending = 0;
  private open = false;

  constructor(
    private readonly sqlite: Database,
    private readonly batchRows = BATCH_ROWS,
  ) {
    for (const table of WRITTEN_TABLES) {
      const cols = TABLES[table];
      // The id is bound last: the generator appends it to a row's values.
      const named = NO_ID.has(table) ? cols : [...cols.slice(1), cols[0]!];
      const row = `(${cols.map(() => "?").join(", ")})`;
      const insert = (rows: number) =>
        sqlite.prepare<unknown, SQLQueryBindings[]>(
          `INSERT INTO ${table} (${named.join(", ")}) VALUES ${Array(rows).fill(row).join(", ")}`,
        );
      const rowsPerMany = Math.min(ROWS_PER_INSERT, Math.floor(32_766 / cols.length));
      this.tables[table] = {
        one: insert(1),
        many: insert(rowsPerMany),
        rowsPerMany,
        buf: Array(rowsPerMany * cols.length),
        width: cols.length,
      };
    }
  }

  handle(m: InsertMessage) {
    if (m.kind === "rows") this.rows(m);
    else if (m.kind === "run") this.run(m.statements);
    else this.commit();
  }

  private rows({ table, tags, nums, text }: RowsMessage) {
    const s = this.tables[table];
    const width = s.width;
    const rows = tags.length / width;
    if (!Number.isInteger(rows)) throw new Error(`generator bug: ${tags.length} values for ${width} columns`);
    this.begin();
    let pos = 0;
    const value = (i: number): SQLQueryBindings => {
      const tag = tags[i];
      if (tag === NUMBER) return nums[i]!;
      if (tag !== TEXT) return null;
      const start = pos;
      pos += nums[i]!;
      return text.slice(start, pos);
    };
    const full = rows - (rows % s.rowsPerMany);
    const chunk = s.rowsPerMany * width;
    const buf = s.buf;
    let i = 0;
    for (; i < full * width; i += chunk) {
      for (let k = 0; k < chunk; k++) buf[k] = value(i + k);
      s.many.run(...buf);
    }
    const one: SQLQueryBindings[] = Array(width);
    for (; i < tags.length; i += width) {
      for (let k = 0; k < width; k++) one[k] = value(i + k);
      s.one.run(...one);
    }
    this.wrote(rows);
  }

  private run(statements: [string, SQLQueryBindings[]][]) {
    this.begin();
    for (const [sql, values] of statements) this.sqlite.query(sql).run(...values);
    this.wrote(statements.length);
  }

  private begin() {
    if (!this.open) {
      this.sqlite.exec("BEGIN IMMEDIATE");
      this.open = true;
    }
  }

  private wrote(n: number) {
    this.pending += n;
    if (this.pending >= this.batchRows) this.commit();
  }

  commit() {
    if (this.open) this.sqlite.exec("COMMIT");
    this.open = false;
    this.pending = 0;
  }

  /** Gives up the open batch (the generation failed). */
  rollback() {
    if (this.open) this.sqlite.exec("ROLLBACK");
    this.open = false;
  }
}
