import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { prepare, preparedPer, sqliteOf } from "../../../db/prepared";
import { iso } from "../../../lib/time";
import type { EmittedEvent } from "../events/service";
import { insertDelivery } from "./deliveries";
import { isEngineEventType } from "./event-types";
import { matchingEndpoints } from "./subscriptions";

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

/**
 * Turns the events committed since the cursor into deliveries, one per matching endpoint, and
 * moves the cursor, in the caller's transaction. Runs on the worker after the events' commits (a
 * burst of events is one transaction here, so the deliveries' index pages are written once per
 * batch, not once per event), and at the start of every endpoint write, so that events committed
 * before a subscription changed are matched against the subscriptions they were committed under.
 * An event whose deliveries fail to write is logged and skipped; it never blocks the ones after it.
 * Answers how many deliveries it wrote.
 */
export function fanOutEvents(ctx: AppContext, tx: Tx): number {
  const s = stmts(tx);
  let cursor = s.cursor.get()?.last_event_id ?? 0;
  const start = cursor;
  let written = 0;
  for (;;) {
    const page = s.types.all(cursor, PAGE);
    for (const { id, type } of page) {
      const ids = isEngineEventType(type) ? [] : matchingEndpoints(ctx, type);
      if (ids.length) written += fanOutOne(ctx, tx, id, ids);
    }
    if (page.length === 0) break;
    cursor = page[page.length - 1]!.id;
    if (page.length < PAGE) break;
  }
  if (cursor !== start) s.advance.run(cursor, ctx.clock.now());
  return written;
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
