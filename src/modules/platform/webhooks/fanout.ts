import type { Database } from "bun:sqlite";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { prepare, preparedPer, sqliteOf } from "../../../db/prepared";
import { write } from "../../../db/write";
import { iso } from "../../../lib/time";
import type { EmittedEvent } from "../events/service";
import { insertDelivery } from "./deliveries";
import { isEngineEventType } from "./event-types";
import { hasSubscriptions, matchingEndpoints } from "./subscriptions";

type EventRow = {
  id: number;
  type: string;
  actor_id: number | null;
  subject_type: string | null;
  subject_id: string | null;
  payload: string;
  created_at: number;
};

// Events read per statement: a cursor far behind (after a restart) catches up in steps.
const PAGE = 1000;

// Run on every pass of the worker: prepared once per connection.
const stmts = preparedPer((db) => ({
  cursor: prepare<{ last_event_id: number }, []>(db, "SELECT last_event_id FROM webhook_fanout WHERE id = 1"),
  // Types only: most events (usage records, ...) match nothing and their payload is never read.
  types: prepare<{ id: number; type: string }, [number, number]>(
    db,
    "SELECT id, type FROM events WHERE id > ? ORDER BY id LIMIT ?",
  ),
  lastId: prepare<{ id: number | null }, []>(db, "SELECT max(id) AS id FROM events"),
  event: prepare<EventRow, [number]>(
    db,
    "SELECT id, type, actor_id, subject_type, subject_id, payload, created_at FROM events WHERE id = ?",
  ),
  advance: prepare<unknown, [number, number]>(
    db,
    `INSERT INTO webhook_fanout (id, last_event_id, updated_at) VALUES (1, ?1, ?2)
     ON CONFLICT (id) DO UPDATE SET last_event_id = ?1, updated_at = ?2`,
  ),
}));

/** The event as receivers get it in `data`, as JSON: the stored payload is spliced in as it is. */
export const eventDataJson = (e: EventRow) =>
  `{"id":${e.id},"type":${JSON.stringify(e.type)},"actor_id":${e.actor_id ?? "null"},"subject_type":${JSON.stringify(e.subject_type)},"subject_id":${JSON.stringify(e.subject_id)},"payload":${e.payload},"created_at":"${iso(e.created_at)}"}`;

// How far this connection has read the event log: ahead of the stored cursor while the events
// since it matched nothing. A restart reads those again, harmlessly: they match nothing again (an
// endpoint write stores the cursor before it changes any subscription), and an event fanned out
// twice gets no second delivery (webhook_deliveries_event_uq).
const readUpTo = new WeakMap<Database, number>();

/** The events after `from` that some endpoint wants, and the last event id read. */
function scan(ctx: AppContext, db: Queryable, from: number) {
  const s = stmts(db);
  const hits: { id: number; endpointIds: number[] }[] = [];
  // Nothing subscribed (no webhooks set up): no event can match, so none need be read.
  if (!hasSubscriptions(ctx)) return { hits, to: Math.max(from, s.lastId.get()?.id ?? 0) };
  let to = from;
  for (;;) {
    const page = s.types.all(to, PAGE);
    for (const { id, type } of page) {
      const endpointIds = isEngineEventType(type) ? [] : matchingEndpoints(ctx, type);
      if (endpointIds.length) hits.push({ id, endpointIds });
    }
    if (page.length) to = page[page.length - 1]!.id;
    if (page.length < PAGE) return { hits, to };
  }
}

/**
 * Turns the events committed since the cursor into deliveries, one per matching endpoint, and
 * stores the cursor, in the caller's transaction. Runs on the worker after the events' commits (a
 * burst of events is one transaction here, so the deliveries' index pages are written once per
 * batch, not once per event), and at the start of every endpoint write, so that events committed
 * before a subscription changed are matched against the subscriptions they were committed under.
 * An event whose deliveries fail to write is logged and skipped; it never blocks the ones after it.
 * Answers how many deliveries it wrote.
 */
export function fanOutEvents(ctx: AppContext, tx: Tx): number {
  const stored = stmts(tx).cursor.get()?.last_event_id ?? 0;
  const { hits, to } = scan(ctx, tx, Math.max(stored, readUpTo.get(ctx.sqlite) ?? 0));
  let written = 0;
  for (const h of hits) written += fanOutOne(ctx, tx, h.id, h.endpointIds);
  if (to !== stored) stmts(tx).advance.run(to, ctx.clock.now());
  readUpTo.set(ctx.sqlite, to);
  return written;
}

/**
 * The worker's step: reads the events since the cursor and opens a write transaction only when
 * one of them is wanted. The hot routes write thousands of events a second that no endpoint
 * wants; a commit per pass just to move the cursor past them would cost more than the reading.
 */
export function fanOutPending(ctx: AppContext): number {
  const from = readUpTo.get(ctx.sqlite) ?? stmts(ctx.db).cursor.get()?.last_event_id ?? 0;
  const { hits, to } = scan(ctx, ctx.db, from);
  if (hits.length === 0) {
    readUpTo.set(ctx.sqlite, to);
    return 0;
  }
  return write(ctx, (tx) => fanOutEvents(ctx, tx));
}

function fanOutOne(ctx: AppContext, tx: Tx, eventId: number, endpointIds: number[]): number {
  try {
    const e = stmts(tx).event.get(eventId)!;
    const payload = eventDataJson(e);
    // A savepoint per event: a failure skips this event's deliveries alone.
    sqliteOf(tx).transaction(() => {
      for (const id of endpointIds) insertDelivery(ctx, tx, id, { type: e.type, payload, eventId });
    })();
    return endpointIds.length;
  } catch (err) {
    ctx.logger.error({ err, event_id: eventId }, "webhook fan-out failed; the event is not delivered");
    return 0;
  }
}

/**
 * The emit subscriber: an event some endpoint wants wakes the worker, which fans it out after the
 * commit. Nothing is written in the event's transaction.
 */
export function wakeForWebhooks(ctx: AppContext, _tx: Tx, e: EmittedEvent) {
  if (!isEngineEventType(e.type) && matchingEndpoints(ctx, e.type).length) ctx.jobs.wake();
}
