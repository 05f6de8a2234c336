import type { Tx } from "../../db/client";
import { events } from "../../db/schema";

export type EventInput = {
  type: string;
  actorId?: number | null;
  subjectType?: string;
  subjectId?: string | number;
  payload?: Record<string, unknown>;
};

/** Records a platform event in the caller's transaction: the change and its event commit together. */
export function emit(tx: Tx, now: number, e: EventInput): number {
  const row = tx
    .insert(events)
    .values({
      type: e.type,
      actorId: e.actorId ?? null,
      subjectType: e.subjectType ?? null,
      subjectId: e.subjectId == null ? null : String(e.subjectId),
      payload: e.payload ?? {},
      createdAt: now,
    })
    .returning({ id: events.id })
    .get();
  return row.id;
}
