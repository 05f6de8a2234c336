import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { sqliteOf } from "../../../db/prepared";
import { iso } from "../../../lib/time";
import type { EmittedEvent } from "../events/service";
import { insertDelivery } from "./deliveries";
import { isEngineEventType } from "./event-types";
import { matchingEndpoints } from "./subscriptions";

/** The event as receivers get it in `data`. */
export const eventData = (e: EmittedEvent) => ({
  id: e.id,
  type: e.type,
  actor_id: e.actorId,
  subject_type: e.subjectType,
  subject_id: e.subjectId,
  payload: e.payload,
  created_at: iso(e.createdAt),
});

/**
 * The emit subscriber: one delivery row and one durable job per matching endpoint, in the event's
 * transaction (under a savepoint, so a failure here is logged and never undoes the caller's change).
 * The engine's own events are never delivered by pattern.
 */
export function fanOutWebhooks(ctx: AppContext, tx: Tx, e: EmittedEvent) {
  if (isEngineEventType(e.type)) return;
  const ids = matchingEndpoints(ctx, e.type);
  if (ids.length === 0) return;
  try {
    const data = eventData(e);
    // A savepoint on the connection: it works under a Drizzle transaction and under the raw one of
    // the usage hot path (see `emitted`).
    sqliteOf(tx).transaction(() => {
      for (const id of ids) insertDelivery(ctx, tx, id, { type: e.type, payload: data, eventId: e.id });
    })();
  } catch (err) {
    ctx.logger.error(
      { err, event_id: e.id, type: e.type },
      "webhook fan-out failed; the event is not delivered",
    );
  }
}
