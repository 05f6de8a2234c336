import type { Database, SQLQueryBindings } from "bun:sqlite";
import { isDeclaredEventType } from "../modules/platform/events/types";
import {
  FAILED,
  HANDLED,
  Inserter,
  type InsertMessage,
  type InsertThreadReport,
  type InsertThreadStart,
  NO_ID,
  NULL,
  NUMBER,
  type TableName,
  TEXT,
  WIDTH,
  WRITTEN_TABLES,
} from "./inserter";

export { type TableName, WRITTEN_TABLES } from "./inserter";

/**
 * Rows of one table held back and handed over together: consecutive inserts into one table's
 * b-trees find their pages in the CPU caches. Row by row, interleaved over 16 tables, inserts cost
 * twice as much (measured: 10 -> 5 us a row at --scale 3); one message per 32k rows also keeps the
 * cost of passing them to the insert thread small.
 */
const FLUSH_ROWS = 32_768;
/** Final updates sent together. */
const RUN_BATCH = 8_192;

/** Where the rows go: an Inserter on this thread, or the insert thread. */
interface Sink {
  /** SQLite runs on a thread of its own. */
  readonly threaded: boolean;
  /** Buffers per table the writer fills in turn (one is filled while the others are inserted). */
  readonly slots: number;
  /** Memory for a buffer: shared with the insert thread, which reads the rows where they were written. */
  alloc(bytes: number): ArrayBufferLike;
  /** Hands over a message; returns its number. */
  send(m: InsertMessage): number;
  /** Returns once message `seq` is handled (its buffers are free again). */
  waitFor(seq: number): void;
  /** Commits the last batch; the rows are all in the database once it resolves. */
  finish(): Promise<void>;
  /** Rolls the open batch back. */
  abort(): Promise<void>;
}

class LocalSink implements Sink {
  readonly threaded = false;
  readonly slots = 1;
  private readonly inserter: Inserter;
  private sent = 0;
  constructor(sqlite: Database) {
    this.inserter = new Inserter(sqlite);
  }
  alloc(bytes: number) {
    return new ArrayBuffer(bytes);
  }
  send(m: InsertMessage) {
    this.inserter.handle(m);
    return this.sent++;
  }
  waitFor() {}
  async finish() {
    this.inserter.commit();
  }
  async abort() {
    this.inserter.rollback();
  }
}

/**
 * Messages the generator may be ahead of the insert thread. Beyond it the generator waits: the
 * queued rows would otherwise pile up in memory whenever SQLite is the slower side.
 */
const MAX_AHEAD = 24;

/**
 * The insert thread (insert-worker.ts): the simulation runs here while SQLite writes there, each on
 * a core. Messages are handled in the order sent; a run of rows is read from shared memory, so
 * passing it costs no copy, and the buffers are reused instead of allocated (and zeroed) per run.
 */
class ThreadSink implements Sink {
  readonly threaded = true;
  readonly slots = 3;
  private sent = 0;
  private report: Promise<InsertThreadReport>;
  private failure: string | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly ctrl: Int32Array,
  ) {
    this.report = this.next();
  }

  /** The next report from the thread (ready, done or failed); an error event counts as failed. */
  private next(): Promise<InsertThreadReport> {
    return new Promise((resolve) => {
      const done = (r: InsertThreadReport) => {
        this.worker.removeEventListener("message", onMessage);
        this.worker.removeEventListener("error", onError);
        if (r.kind === "failed") this.failure = r.message;
        resolve(r);
      };
      const onMessage = (e: MessageEvent<InsertThreadReport>) => done(e.data);
      const onError = (e: ErrorEvent) => done({ kind: "failed", message: e.message });
      this.worker.addEventListener("message", onMessage);
      this.worker.addEventListener("error", onError);
    });
  }

  /** Starts the thread on the database file; null when it cannot run (then rows are inserted here). */
  static async start(path: string): Promise<ThreadSink | null> {
    let worker: Worker;
    try {
      worker = new Worker(new URL("./insert-worker.ts", import.meta.url));
    } catch {
      return null;
    }
    const ctrl = new Int32Array(new SharedArrayBuffer(8));
    const sink = new ThreadSink(worker, ctrl);
    worker.postMessage({ kind: "start", path, ctrl } satisfies InsertThreadStart);
    const r = await sink.report;
    if (r.kind !== "ready") {
      worker.terminate();
      return null;
    }
    sink.report = sink.next();
    return sink;
  }

  private check() {
    if (Atomics.load(this.ctrl, FAILED) === 1)
      throw new Error(`the insert thread failed${this.failure ? `: ${this.failure}` : ""}`);
  }

  alloc(bytes: number) {
    return new SharedArrayBuffer(bytes);
  }

  send(m: InsertMessage) {
    this.check();
    this.worker.postMessage(m);
    const seq = this.sent++;
    this.waitUntil(this.sent - MAX_AHEAD);
    return seq;
  }

  waitFor(seq: number) {
    this.waitUntil(seq + 1);
  }

  /** Blocks until `n` messages are handled. */
  private waitUntil(n: number) {
    for (;;) {
      const handled = Atomics.load(this.ctrl, HANDLED);
      if (handled >= n) return;
      Atomics.wait(this.ctrl, HANDLED, handled, 1000);
      this.check();
    }
  }

  private async end(kind: "end" | "abort") {
    this.worker.postMessage({ kind });
    const r = await this.report;
    // Not terminate(): it waits seconds for the thread's heap to be torn down; the thread is idle
    // and no longer keeps the process alive.
    this.worker.unref();
    if (r.kind === "failed") throw new Error(`the insert thread failed: ${r.message}`);
  }

  finish() {
    return this.end("end");
  }

  abort() {
    return this.end("abort");
  }
}

/**
 * Where the generated rows go: the insert thread for a database file (SQLite then runs beside the
 * simulation), this thread for an in-memory database or if the thread cannot start (the compiled
 * binary carries only the worker entry points its build names).
 */
export async function openSink(sqlite: Database): Promise<Sink> {
  const path = sqlite.filename;
  if (path && path !== ":memory:") {
    const thread = await ThreadSink.start(path);
    if (thread) return thread;
  }
  return new LocalSink(sqlite);
}

type Slot = { tags: Uint8Array; nums: Float64Array; seq: number };

type TableState = {
  /** The rows held back, encoded as a `RowsMessage` (`n` values so far), in the current slot. */
  tags: Uint8Array;
  nums: Float64Array;
  slots: Slot[];
  slot: number;
  /** The text values end to end: appending makes a rope, flattened once when sent (join() cost ~400 ns a string). */
  text: string;
  n: number;
  rows: number;
  /** Values the generator passes per row (the id, when counted, is appended here). */
  given: number;
  /** The last id given; null for a table whose rows carry no counted id. */
  lastId: number | null;
};

/**
 * Takes the generated rows: ids are assigned here, one after the other from the table's current
 * maximum, so they follow the simulated time like the ids of a live database; the rows of each
 * table are inserted in that order (foreign keys are off during the load, so the tables need not
 * wait for each other). Rows are held per table and handed to the sink `FLUSH_ROWS` at a time.
 */
export class Writer {
  private readonly tables = {} as Record<TableName, TableState>;
  private readonly declared = new Set<string>();
  readonly counts: Record<TableName, number>;
  private runs: [string, SQLQueryBindings[]][] = [];
  private lastEventAt = 0;
  private sink: Sink | null = null;

  constructor(readonly sqlite: Database) {
    this.counts = Object.fromEntries(WRITTEN_TABLES.map((t) => [t, 0])) as Record<TableName, number>;
    for (const table of WRITTEN_TABLES) {
      const lastId = NO_ID.has(table)
        ? null
        : (sqlite.query<{ m: number | null }, []>(`SELECT max(id) AS m FROM ${table}`).get()!.m ?? 0);
      this.tables[table] = {
        tags: new Uint8Array(0),
        nums: new Float64Array(0),
        slots: [],
        slot: 0,
        text: "",
        n: 0,
        rows: 0,
        given: lastId === null ? WIDTH[table] : WIDTH[table] - 1,
        lastId,
      };
    }
  }

  /** Where the rows go from now on (before the first insert). */
  attach(sink: Sink) {
    this.sink = sink;
    for (const table of WRITTEN_TABLES) {
      const s = this.tables[table];
      const values = FLUSH_ROWS * WIDTH[table];
      s.slots = Array.from({ length: sink.slots }, () => ({
        tags: new Uint8Array(sink.alloc(values)),
        nums: new Float64Array(sink.alloc(values * 8)),
        seq: -1,
      }));
      s.tags = s.slots[0]!.tags;
      s.nums = s.slots[0]!.nums;
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
    if (values.length !== s.given)
      throw new Error(`generator bug: ${values.length} values for ${s.given} columns of ${table}`);
    const { tags, nums } = s;
    let k = s.n;
    for (let i = 0; i < values.length; i++, k++) {
      const v = values[i];
      if (typeof v === "number") {
        tags[k] = NUMBER;
        nums[k] = v;
      } else if (typeof v === "string") {
        tags[k] = TEXT;
        nums[k] = v.length;
        s.text += v;
      } else if (v === null) tags[k] = NULL;
      else if (typeof v === "boolean") {
        // As bun:sqlite binds it.
        tags[k] = NUMBER;
        nums[k] = v ? 1 : 0;
      } else throw new Error(`generator bug: a ${typeof v} value for ${table}`);
    }
    let id = 0;
    if (s.lastId !== null) {
      id = ++s.lastId;
      tags[k] = NUMBER;
      nums[k++] = id;
    }
    s.n = k;
    if (++s.rows >= FLUSH_ROWS) this.flush(table, s);
    this.counts[table]++;
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

  private send(m: InsertMessage) {
    if (!this.sink) throw new Error("generator bug: rows before the writer has a sink");
    return this.sink.send(m);
  }

  private sendRuns() {
    if (this.runs.length === 0) return;
    this.send({ kind: "run", statements: this.runs });
    this.runs = [];
  }

  private flush(table: TableName, s: TableState) {
    this.sendRuns();
    s.slots[s.slot]!.seq = this.send({
      kind: "rows",
      table,
      tags: s.tags.subarray(0, s.n),
      nums: s.nums.subarray(0, s.n),
      text: s.text,
    });
    s.text = "";
    s.n = 0;
    s.rows = 0;
    // The next slot is free once the thread has inserted what was last written to it.
    s.slot = (s.slot + 1) % s.slots.length;
    const next = s.slots[s.slot]!;
    if (next.seq >= 0) this.sink!.waitFor(next.seq);
    s.tags = next.tags;
    s.nums = next.nums;
  }

  private flushAll() {
    for (const table of WRITTEN_TABLES) {
      const s = this.tables[table];
      if (s.rows) this.flush(table, s);
    }
  }

  /** Any other statement, after every row queued so far (the final updates). */
  run(sql: string, ...values: SQLQueryBindings[]) {
    this.flushAll();
    this.runs.push([sql, values]);
    if (this.runs.length >= RUN_BATCH) this.sendRuns();
  }

  /** Hands over everything queued and waits until it is committed. */
  async finish() {
    this.flushAll();
    this.sendRuns();
    await this.sink?.finish();
  }

  /** Gives up what is queued and the open batch (the generation failed). */
  async rollback() {
    for (const s of Object.values(this.tables)) {
      s.text = "";
      s.n = 0;
      s.rows = 0;
    }
    this.runs = [];
    await this.sink?.abort();
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }
}
