import type { Tx } from "../../db/client";
import { prepare, preparedPer } from "../../db/prepared";
import { emit } from "./events/service";

// Written by every staff action and every gateway status change: prepared once per connection.
const insertAudit = preparedPer((db) =>
  prepare<
    unknown,
    [number | null, string, string | null, string | null, string, string | null, string | null, number]
  >(
    db,
    `INSERT INTO audit_log (actor_id, action, target_type, target_id, details, ip, request_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ),
);

export type AuditInput = {
  actorId: number | null;
  action: string;
  targetType?: string;
  targetId?: string | number;
  details?: Record<string, unknown>;
  ip?: string | null;
  requestId?: string | null;
};

/** Writes an audit row in the caller's transaction (every admin action has one). */
export function audit(tx: Tx, now: number, a: AuditInput) {
  insertAudit(tx).run(
    a.actorId,
    a.action,
    a.targetType ?? null,
    a.targetId == null ? null : String(a.targetId),
    JSON.stringify(a.details ?? {}),
    a.ip ?? null,
    a.requestId ?? null,
    now,
  );
}

/** Who did an admin action, as the audit log records it. */
export type ActionActor = { id: number; ip?: string; requestId?: string };

/**
 * An admin action's audit row, always, and its platform event when something changed, both in
 * the action's transaction (a repeated no-op is audited but is not an event).
 */
export function recordAdminAction(
  tx: Tx,
  now: number,
  actor: ActionActor,
  a: {
    action: string;
    targetType: string;
    targetId: number;
    details: Record<string, unknown>;
    changed: boolean;
  },
) {
  audit(tx, now, {
    actorId: actor.id,
    action: a.action,
    targetType: a.targetType,
    targetId: a.targetId,
    details: a.details,
    ip: actor.ip,
    requestId: actor.requestId,
  });
  if (a.changed) {
    emit(tx, now, {
      type: a.action,
      actorId: actor.id,
      subjectType: a.targetType,
      subjectId: a.targetId,
      payload: a.details,
    });
  }
}
