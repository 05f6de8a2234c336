import type { Database } from "bun:sqlite";
import type { Logger } from "pino";
import type { AppContext } from "../../../context";
import type { EmitSubscriber } from "../events/service";
import {
  NOTIFICATION_COLUMNS,
  type NotificationRow,
  notificationFrame,
  PING_FRAME,
  unreadFrame,
} from "./serialize";

/** One open stream as the hub sees it (the route wraps Hono's SSE stream in it). */
export type StreamSink = {
  readonly userId: number;
  /** The API key the stream was opened with, if any: revoking it ends the stream. */
  readonly keyId?: number;
  /** The highest notification id written to this stream: a replay and the live feed never repeat one. */
  lastId: number;
  write(frame: Uint8Array): void;
  close(): void;
};

export const HEARTBEAT_MS = 15_000;

// Hubs with at least one open stream, so shutdown can end every stream of the process.
const live = new Set<StreamHub>();
// Set on shutdown: a stream that opens while the server drains is ended at once.
let refusing = false;

/**
 * The one publisher of a database connection: every open stream registers here, and notifications
 * reach them from here after their transaction has committed. Writers only record what changed
 * (an id, a user); one publish per turn reads the committed rows in one query and fans them out.
 * No stream polls and no stream owns a timer: one shared interval writes the heartbeat to all.
 */
export class StreamHub {
  /** The heartbeat period; tests shorten it. Takes effect when the next first stream opens. */
  heartbeatMs = HEARTBEAT_MS;
  private readonly streams = new Map<number, Set<StreamSink>>();
  private open = 0;
  /** Notifications written since the last publish, as (id, user id) pairs. */
  private created: number[] = [];
  private unread = new Set<number>();
  private banned = new Set<number>();
  private revokedKeys = new Set<number>();
  private scheduled = false;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private readonly publishNow = () => this.publish();

  constructor(
    private readonly sqlite: Database,
    private readonly logger: Logger,
  ) {}

  /** Open streams in all, or of one user. */
  count(userId?: number): number {
    return userId === undefined ? this.open : (this.streams.get(userId)?.size ?? 0);
  }

  attach(sink: StreamSink) {
    if (refusing) return sink.close();
    let set = this.streams.get(sink.userId);
    if (!set) {
      set = new Set();
      this.streams.set(sink.userId, set);
    }
    if (set.has(sink)) return;
    set.add(sink);
    if (this.open++ === 0) {
      live.add(this);
      this.heartbeat = setInterval(() => this.ping(), this.heartbeatMs);
      this.heartbeat.unref?.();
    }
  }

  detach(sink: StreamSink) {
    const set = this.streams.get(sink.userId);
    if (!set?.delete(sink)) return;
    if (!set.size) this.streams.delete(sink.userId);
    if (--this.open === 0) {
      live.delete(this);
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /** Called by notify() inside the writer's transaction: only remembers the row for publish(). */
  notificationCreated(id: number, userId: number) {
    if (this.open === 0) return;
    this.created.push(id, userId);
    this.schedule();
  }

  /** A read marker changed the user's unread count (after its statement, inside or outside a transaction). */
  unreadChanged(userId: number) {
    if (!this.streams.has(userId)) return;
    this.unread.add(userId);
    this.schedule();
  }

  /** Called in the banning transaction: publish() closes the streams once the ban has committed. */
  userBanned(userId: number) {
    if (!this.streams.has(userId)) return;
    this.banned.add(userId);
    this.schedule();
  }

  /** Called in the revoking transaction: publish() ends the streams opened with the key once committed. */
  keyRevoked(keyId: number) {
    if (this.open === 0) return;
    this.revokedKeys.add(keyId);
    this.schedule();
  }

  /** Ends every stream of one user; returns how many. */
  closeUser(userId: number): number {
    const sinks = [...(this.streams.get(userId) ?? [])];
    for (const s of sinks) s.close();
    return sinks.length;
  }

  /** Ends every stream of this connection; returns how many. */
  closeAll(): number {
    let n = 0;
    for (const userId of [...this.streams.keys()]) n += this.closeUser(userId);
    return n;
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.publishNow);
  }

  /**
   * Runs after the writer's transaction, never inside it. Write transactions are synchronous (no
   * await inside), so the microtask queued by notify() runs once the whole synchronous job is
   * over: after COMMIT, or after ROLLBACK, when the rows are gone and the query below does not
   * find them (ids are AUTOINCREMENT, never reused). Group commit (db/group-commit.ts) runs its
   * savepoints and the group's COMMIT in one setImmediate callback, so a notification written in
   * a usage record's savepoint is also published only after the group's COMMIT. As a last guard,
   * a connection still inside a transaction (its rows visible to this connection but not
   * committed) makes publish wait for the next turn instead of reading them.
   */
  private publish() {
    this.scheduled = false;
    if (this.sqlite.inTransaction) {
      this.scheduled = true;
      setImmediate(this.publishNow);
      return;
    }
    const created = this.created;
    const unread = this.unread;
    const banned = this.banned;
    const revokedKeys = this.revokedKeys;
    this.created = [];
    this.unread = new Set();
    this.banned = new Set();
    this.revokedKeys = new Set();
    try {
      this.deliver(created, unread);
      this.closeBanned(banned);
      this.closeRevokedKeys(revokedKeys);
    } catch (e) {
      // A read failing here must not become an unhandled error; the next change publishes again.
      this.logger.error({ err: e }, "notification stream publish failed");
    }
  }

  private deliver(created: number[], unread: Set<number>) {
    const ids: number[] = [];
    for (let i = 0; i < created.length; i += 2) if (this.streams.has(created[i + 1]!)) ids.push(created[i]!);
    const touched = new Set<number>();
    for (const u of unread) if (this.streams.has(u)) touched.add(u);
    if (ids.length) {
      const rows = this.sqlite
        .query<NotificationRow, [string]>(
          `SELECT ${NOTIFICATION_COLUMNS} FROM notifications WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
        )
        .all(JSON.stringify(ids));
      for (const r of rows) {
        const sinks = this.streams.get(r.user_id);
        if (!sinks) continue;
        touched.add(r.user_id);
        const frame = notificationFrame(r);
        for (const s of sinks) {
          if (r.id <= s.lastId) continue;
          s.lastId = r.id;
          s.write(frame);
        }
      }
    }
    if (!touched.size) return;
    const counts = new Map<number, number>();
    for (const c of this.sqlite
      .query<{ user_id: number; n: number }, [string]>(
        "SELECT user_id, COUNT(*) AS n FROM notifications WHERE user_id IN (SELECT value FROM json_each(?)) AND is_read = 0 GROUP BY user_id",
      )
      .all(JSON.stringify([...touched])))
      counts.set(c.user_id, c.n);
    for (const userId of touched) {
      const sinks = this.streams.get(userId);
      if (!sinks) continue;
      const frame = unreadFrame(counts.get(userId) ?? 0);
      for (const s of sinks) s.write(frame);
    }
  }

  /** Only a ban that committed closes streams: a rolled-back ban left is_banned at 0. */
  private closeBanned(banned: Set<number>) {
    const ids = [...banned].filter((u) => this.streams.has(u));
    if (!ids.length) return;
    const rows = this.sqlite
      .query<{ id: number }, [string]>(
        "SELECT id FROM users WHERE id IN (SELECT value FROM json_each(?)) AND is_banned = 1",
      )
      .all(JSON.stringify(ids));
    for (const r of rows) this.closeUser(r.id);
  }

  /** Only a revocation that committed ends streams; revocations are rare, so all streams are scanned. */
  private closeRevokedKeys(keys: Set<number>) {
    if (!keys.size || !this.open) return;
    const revoked = new Set(
      this.sqlite
        .query<{ id: number }, [string]>(
          "SELECT id FROM api_keys WHERE id IN (SELECT value FROM json_each(?)) AND revoked_at IS NOT NULL",
        )
        .all(JSON.stringify([...keys]))
        .map((r) => r.id),
    );
    if (!revoked.size) return;
    for (const sinks of [...this.streams.values()]) {
      for (const s of [...sinks]) if (s.keyId !== undefined && revoked.has(s.keyId)) s.close();
    }
  }

  private ping() {
    for (const sinks of this.streams.values()) for (const s of sinks) s.write(PING_FRAME);
  }
}

const hubs = new WeakMap<Database, StreamHub>();

/** The publisher of a context's connection (one per database: user ids are per database). */
export function streamHub(ctx: Pick<AppContext, "sqlite" | "logger">): StreamHub {
  let hub = hubs.get(ctx.sqlite);
  if (!hub) {
    hub = new StreamHub(ctx.sqlite, ctx.logger);
    hubs.set(ctx.sqlite, hub);
  }
  return hub;
}

/**
 * Ends every open notification stream of the process; returns how many. On server shutdown
 * `refuseNew` also ends, at once, any stream that opens afterwards.
 */
export function closeAllStreams(opts: { refuseNew?: boolean } = {}): number {
  if (opts.refuseNew) refusing = true;
  let n = 0;
  for (const hub of [...live]) n += hub.closeAll();
  return n;
}

/**
 * onEmit subscriber: a committed `user.banned` ends that user's streams, a committed
 * `api_key.revoked` the streams opened with that key. A string comparison for other events.
 */
export const closeRevokedStreams: EmitSubscriber = (ctx, _tx, event) => {
  if (event.subjectId === null) return;
  if (event.type === "user.banned") streamHub(ctx).userBanned(Number(event.subjectId));
  else if (event.type === "api_key.revoked") streamHub(ctx).keyRevoked(Number(event.subjectId));
};
