import type { Database as BunDatabase } from "bun:sqlite";
import Libsql from "libsql";
import { sqliteError } from "./errors";
import { bindArgs, rewriteNamedParams } from "./params";

type NativeStatement = {
  all(params: unknown[]): Record<string, unknown>[];
  run(params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  raw(on?: boolean): NativeStatement;
};
type NativeDatabase = {
  prepare(sql: string): NativeStatement;
  exec(sql: string): void;
  close(): void;
  sync(): { frames_synced: number; frame_no?: number };
  syncUntil(index: number): { frames_synced: number; frame_no?: number };
  maxWriteReplicationIndex(): number | null | undefined;
};

/**
 * One statement with bun:sqlite's surface (`all`, `get`, `values`, `run`, `iterate`).
 *
 * Why (trap): on a replica connection, libsql 0.5.29 answers a prepared statement run a second
 * time with other parameters with the rows of its first run (`SELECT … WHERE id = ?` with 2
 * returned the row of 1), inside a transaction or not. souk caches its hot statements, so each
 * run here prepares the SQL afresh (a local parse, a few microseconds).
 */
class LibsqlStatement {
  constructor(
    private readonly db: NativeDatabase,
    private readonly sql: string,
    private readonly names: string[] | null,
  ) {}

  all(...args: unknown[]): Record<string, unknown>[] {
    try {
      return this.db.prepare(this.sql).all(bindArgs(this.names, args));
    } catch (e) {
      throw sqliteError(e);
    }
  }

  /**
   * Why (trap): on a replica connection libsql's `get()` can return a row that `all()` no longer
   * returns (a stale cursor), and it adds a `_metadata` field. The first row of `all()` is right.
   * bun:sqlite answers `null` for no row.
   */
  get(...args: unknown[]): Record<string, unknown> | null {
    return this.all(...args)[0] ?? null;
  }

  values(...args: unknown[]): unknown[][] {
    try {
      return this.db.prepare(this.sql).raw(true).all(bindArgs(this.names, args)) as unknown as unknown[][];
    } catch (e) {
      throw sqliteError(e);
    }
  }

  run(...args: unknown[]): { changes: number; lastInsertRowid: number | bigint } {
    try {
      const r = this.db.prepare(this.sql).run(bindArgs(this.names, args));
      return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
    } catch (e) {
      throw sqliteError(e);
    }
  }

  *iterate(...args: unknown[]): IterableIterator<Record<string, unknown>> {
    yield* this.all(...args);
  }

  finalize() {}
}

export type ReplicaInfo = {
  /** Pulls the frames the primary has committed since the last sync. */
  sync(): number | undefined;
  /** Syncs until the replica holds the primary's frame `index` (read-your-writes). */
  syncUntil(index: number): void;
  /** The replication index of this connection's last write on the primary. */
  writeIndex(): number;
  /** The frame this replica holds. */
  frame(): number;
};

/**
 * An embedded libSQL replica behind bun:sqlite's `Database` surface, so Drizzle's bun-sqlite
 * driver and souk's raw statements run unchanged: reads are served by the local replica file,
 * writes and everything inside a transaction go to the primary (sqld).
 */
export class LibsqlConnection {
  readonly filename: string;
  readonly replica: ReplicaInfo;
  private readonly native: NativeDatabase;
  private readonly cache = new Map<string, LibsqlStatement>();
  private depth = 0;
  private lastFrame = 0;

  constructor(path: string, opts: { syncUrl: string; authToken?: string; syncPeriodMs?: number }) {
    this.filename = path;
    this.native = new Libsql(path, {
      syncUrl: opts.syncUrl,
      authToken: opts.authToken,
      syncPeriod: (opts.syncPeriodMs ?? 0) / 1000,
      readYourWrites: true,
    } as never) as unknown as NativeDatabase;
    // A sync that cannot reach the server is a DatabaseUnavailableError (503), like a write.
    const note = (run: () => { frame_no?: number }) => {
      let r: { frame_no?: number };
      try {
        r = run();
      } catch (e) {
        throw sqliteError(e);
      }
      if (typeof r.frame_no === "number" && r.frame_no > this.lastFrame) this.lastFrame = r.frame_no;
      return r.frame_no;
    };
    this.replica = {
      sync: () => note(() => this.native.sync()),
      syncUntil: (index) => {
        if (index > this.lastFrame) note(() => this.native.syncUntil(index));
      },
      writeIndex: () => Number(this.native.maxWriteReplicationIndex() ?? 0),
      frame: () => this.lastFrame,
    };
  }

  prepare(sql: string): LibsqlStatement {
    const { sql: text, names } = rewriteNamedParams(sql);
    try {
      // Parsed once here so that a bad statement fails where it is prepared, as in bun:sqlite.
      this.native.prepare(text);
    } catch (e) {
      throw sqliteError(e);
    }
    return new LibsqlStatement(this.native, text, names);
  }

  /** bun:sqlite's cached `query`. */
  query(sql: string): LibsqlStatement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  exec(sql: string): void {
    try {
      this.native.exec(sql);
    } catch (e) {
      throw sqliteError(e);
    }
  }

  run(sql: string, ...args: unknown[]) {
    return this.prepare(sql).run(...args);
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /**
   * bun:sqlite's `transaction(fn)` with `.deferred/.immediate/.exclusive`, nesting as savepoints.
   * Why (trap): libsql's own `transaction()` issues a plain BEGIN when nested, which fails and
   * leaves the primary's transaction open; souk nests (group commit, Drizzle inside a job).
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R) {
    const wrap =
      (mode: string) =>
      (...args: A): R => {
        const name = `lsp${this.depth}`;
        const [begin, commit, rollback] =
          this.depth === 0
            ? [`BEGIN ${mode}`, "COMMIT", "ROLLBACK"]
            : [`SAVEPOINT ${name}`, `RELEASE ${name}`, `ROLLBACK TO ${name}; RELEASE ${name}`];
        this.exec(begin);
        this.depth++;
        let result: R;
        try {
          result = fn(...args);
        } catch (e) {
          this.depth--;
          this.exec(rollback);
          throw e;
        }
        this.depth--;
        try {
          this.exec(commit);
        } catch (e) {
          if (this.depth === 0) {
            try {
              this.exec("ROLLBACK");
            } catch {
              // The failed COMMIT already ended the transaction.
            }
          }
          throw e;
        }
        return result;
      };
    return Object.assign(wrap("DEFERRED"), {
      deferred: wrap("DEFERRED"),
      immediate: wrap("IMMEDIATE"),
      exclusive: wrap("EXCLUSIVE"),
    });
  }

  close() {
    this.cache.clear();
    this.native.close();
  }

  /** The same object, typed as the bun:sqlite connection the rest of souk expects. */
  asBunDatabase(): BunDatabase {
    return this as unknown as BunDatabase;
  }
}
