import type { Database } from "bun:sqlite";
import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { prepare, preparedPer, sqliteOf } from "../../../db/prepared";
import { assertDeclared } from "./types";

export type EventInput = {
  type: string;
  actorId?: number | null;
  subjectType?: string;
  subjectId?: string | number;
  payload?: Record<string, unknown>;
};

// Every write verb emits: prepared once per connection (DESIGN.md §1).
const stmts = preparedPer((db) => ({
  insert: prepare<{ id: number }, [string, number | null, string | null, string | null, string, number]>(
    db,
    "INSERT INTO events (type, actor_id, subject_type, subject_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
  ),
}));

/** An event as written, handed to subscribers inside the same transaction. */
export type EmittedEvent = {
  id: number;
  type: string;
  actorId: number | null;
  subjectType: string | null;
  subjectId: string | null;
  payload: Record<string, unknown>;
  createdAt: number;
};

/**
 * Runs inside the emitting transaction, after the event row is written (the rule engine, webhook
 * fan-out). A subscriber must be synchronous and must not throw for its own failures: a throw
 * rolls back the caller's change.
 */
export type EmitSubscriber = (ctx: AppContext, tx: Tx, event: EmittedEvent) => void;

const subscribers: EmitSubscriber[] = [];
// The context of each connection, so emit (called with a transaction only) can hand it on.
const contexts = new WeakMap<Database, AppContext>();

export function onEmit(subscriber: EmitSubscriber) {
  subscribers.push(subscriber);
}

/** createContext binds its connection, so events written on it reach the subscribers with it. */
export function bindEventContext(ctx: AppContext) {
  contexts.set(ctx.sqlite, ctx);
}

/** Records a platform event in the caller's transaction: the change and its event commit together. */
export function emit(tx: Tx, now: number, e: EventInput): number {
  assertDeclared(e.type);
  const payload = e.payload ?? {};
  const subjectId = e.subjectId == null ? null : String(e.subjectId);
  const row = stmts(tx).insert.get(
    e.type,
    e.actorId ?? null,
    e.subjectType ?? null,
    subjectId,
    JSON.stringify(payload),
    now,
  );
  const id = row!.id;
  if (subscribers.length) {
    const ctx = contexts.get(sqliteOf(tx));
    if (ctx) {
      dispatch(ctx, tx, {
        id,
        type: e.type,
        actorId: e.actorId ?? null,
        subjectType: e.subjectType ?? null,
        subjectId,
        payload,
        createdAt: now,
      });
    }
  }
  return id;
}

function dispatch(ctx: AppContext, tx: Tx, event: EmittedEvent) {
  for (const s of subscribers) s(ctx, tx, event);
}

/**
 * For hot paths that write their event row with a prepared statement of their own, inside a
 * bun:sqlite transaction rather than a Drizzle one (usage recording): hands the written event to
 * the subscribers like `emit` does. The Drizzle handle they get runs on the same connection, so
 * inside that open transaction; subscribers take their savepoints on the connection
 * (`sqliteOf(tx).transaction`), which works under either kind.
 */
export function emitted(sqlite: Database, event: EmittedEvent) {
  if (!subscribers.length) return;
  assertDeclared(event.type);
  const ctx = contexts.get(sqlite);
  if (ctx) dispatch(ctx, ctx.db as unknown as Tx, event);
}
