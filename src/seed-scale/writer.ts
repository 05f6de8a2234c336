import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import { isDeclaredEventType } from "../modules/platform/events/types";

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

/**
 * Rows per commit. Each commit writes every page the batch touched, and the same hot pages are
 * touched by every batch: measured on 2 cores with the indexes in place, 25k-row commits spent half
 * the run rewriting them; 2M-row commits (with a 1 GB page cache) wrote a quarter less than
 * 500k-row ones at --scale 10. The indexes are now dropped during the load (bulk-load.ts), which
 * leaves fewer hot pages, but nothing is gained by committing more often.
 */
export const BATCH_ROWS = 2_000_000;
/**
 * Rows of one table held back and inserted together: consecutive inserts into one table's b-trees
 * find their pages in the CPU caches. Row by row, interleaved over 16 tables, inserts cost twice
 * as much (measured: 10 -> 5 us a row at --scale 3).
 */
const FLUSH_ROWS = 32_768;
/**
 * Rows per INSERT statement when flushing: one `VALUES (…), (…), …` statement of 64 rows saves 63
 * calls into SQLite and statement resets (with the id bound last, the load took about a tenth
 * less time at --scale 10 and 100). Capped by SQLite's 32,766 parameters.
 */
const ROWS_PER_INSERT = 64;
/** Tables whose first column is not an id the generator counts (a user id, a composite key). */
const NO_ID: ReadonlySet<TableName> = new Set(["expert_profiles", "usage_allocations"]);

/**
 * Writes the generated rows through one prepared INSERT per table, in large transactions (a commit
 * every `batchRows` rows). Ids are assigned here, one after the other from the table's current
 * maximum, so they follow the simulated time like the ids of a live database; the rows of each
 * table are inserted in that order (foreign keys are off during the load, so the tables need not
 * wait for each other).
 */
type TableState = {
  stmt: Statement<unknown, SQLQueryBindings[]>;
  /** The same INSERT with `many` rows, for the full chunks of a flush. */
  stmtMany: Statement<unknown, SQLQueryBindings[]>;
  many: number;
  /** The values of one `stmtMany` run, refilled for each. */
  buf: SQLQueryBindings[];
  /** Values in a row. */
  width: number;
  /** The last id given; null for a table whose rows carry no counted id. */
  lastId: number | null;
  pending: SQLQueryBindings[][];
};

export class Writer {
  private readonly tables = {} as Record<TableName, TableState>;
  private readonly declared = new Set<string>();
  readonly counts: Record<TableName, number>;
  private pending = 0;
  private lastEventAt = 0;
  private open = false;

  constructor(
    readonly sqlite: Database,
    private readonly batchRows = BATCH_ROWS,
  ) {
    this.counts = Object.fromEntries(Object.keys(TABLES).map((t) => [t, 0])) as Record<TableName, number>;
    for (const [table, cols] of Object.entries(TABLES) as [TableName, readonly string[]][]) {
      // The id is bound last: `insert` appends it to the values it is given instead of shifting them.
      const named = NO_ID.has(table) ? cols : [...cols.slice(1), cols[0]!];
      const row = `(${cols.map(() => "?").join(", ")})`;
      const insert = (rows: number) =>
        sqlite.prepare<unknown, SQLQueryBindings[]>(
          `INSERT INTO ${table} (${named.join(", ")}) VALUES ${Array(rows).fill(row).join(", ")}`,
        );
      const many = Math.min(ROWS_PER_INSERT, Math.floor(32_766 / cols.length));
      const lastId = NO_ID.has(table)
        ? null
        : (sqlite.query<{ m: number | null }, []>(`SELECT max(id) AS m FROM ${table}`).get()!.m ?? 0);
      this.tables[table] = {
        stmt: insert(1),
        stmtMany: insert(many),
        many,
        buf: Array(many * cols.length),
        width: cols.length,
        lastId,
        pending: [],
      };
    }
  }

  /** The id the next row of `table` gets. */
  nextId(table: TableName): number {
    return this.tables[table].lastId! + 1;
  }

  /**
   * Queues one row, inserted with the next rows of its table; `values` are the table's columns
   * after the id (all of them for a table without a counted id). Returns the id given.
   */
  insert(table: TableName, ...values: SQLQueryBindings[]): number {
    const s = this.tables[table];
    let id = 0;
    if (s.lastId !== null) {
      id = ++s.lastId;
      values.push(id);
    }
    s.pending.push(values);
    if (s.pending.length >= FLUSH_ROWS) this.flush(s);
    this.counts[table]++;
    this.wrote(1);
    return id;
  }

  /** A platform event row, as `emit` writes it; the type must be one a module declares. */
  event(
    t: number,
    type: string,
    actorId: number | null,
    subjectType: string | null,
    subjectId: number | string | null,
    payload: Record<string, unknown>,
  ): number {
    // Daily metrics find a day's events by id range: ids must follow created_at.
    if (t < this.lastEventAt)
      throw new Error(`generator bug: event ${type} at ${t} after one at ${this.lastEventAt}`);
    this.lastEventAt = t;
    if (!this.declared.has(type)) {
      if (!isDeclaredEventType(type)) throw new Error(`event type ${type} is not declared by any module`);
      this.declared.add(type);
    }
    return this.insert(
      "events",
      type,
      actorId,
      subjectType,
      subjectId == null ? null : String(subjectId),
      JSON.stringify(payload),
      t,
    );
  }

  /** An audit row of a staff action, as `audit` writes it (no IP or request id: no request made it). */
  audit(t: number, actorId: number, action: string, targetType: string, targetId: number, details: object) {
    return this.insert(
      "audit_log",
      actorId,
      action,
      targetType,
      String(targetId),
      JSON.stringify(details),
      t,
    );
  }

  private flush(s: TableState) {
    this.begin();
    const rows = s.pending;
    const full = rows.length - (rows.length % s.many);
    const buf = s.buf;
    for (let i = 0; i < full; i += s.many) {
      let k = 0;
      for (let j = i; j < i + s.many; j++) {
        const row = rows[j]!;
        if (row.length !== s.width)
          throw new Error(`generator bug: ${row.length} values for ${s.width} columns`);
        for (const v of row) buf[k++] = v;
      }
      s.stmtMany.run(...buf);
    }
    for (let i = full; i < rows.length; i++) s.stmt.run(...rows[i]!);
    rows.length = 0;
  }

  private flushAll() {
    for (const s of Object.values(this.tables)) if (s.pending.length) this.flush(s);
  }

  /** Any other statement inside the current batch (the final updates). */
  run(sql: string, ...values: SQLQueryBindings[]) {
    this.flushAll();
    this.begin();
    this.sqlite.query(sql).run(...values);
    this.wrote(1);
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
    this.flushAll();
    if (this.open) this.sqlite.exec("COMMIT");
    this.open = false;
    this.pending = 0;
  }

  /** Gives up the open batch (the generation failed). */
  rollback() {
    for (const s of Object.values(this.tables)) s.pending.length = 0;
    if (this.open) this.sqlite.exec("ROLLBACK");
    this.open = false;
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }
}
