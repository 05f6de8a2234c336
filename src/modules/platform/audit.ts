import type { Tx } from "../../db/client";
import { auditLog } from "../../db/schema";

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
  tx.insert(auditLog)
    .values({
      actorId: a.actorId,
      action: a.action,
      targetType: a.targetType ?? null,
      targetId: a.targetId == null ? null : String(a.targetId),
      details: a.details ?? {},
      ip: a.ip ?? null,
      requestId: a.requestId ?? null,
      createdAt: now,
    })
    .run();
}
