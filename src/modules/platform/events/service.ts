import type { Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";

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

/** Records a platform event in the caller's transaction: the change and its event commit together. */
export function emit(tx: Tx, now: number, e: EventInput): number {
  const row = stmts(tx).insert.get(
    e.type,
    e.actorId ?? null,
    e.subjectType ?? null,
    e.subjectId == null ? null : String(e.subjectId),
    JSON.stringify(e.payload ?? {}),
    now,
  );
  return row!.id;
}
