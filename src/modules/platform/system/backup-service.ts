import { basename } from "node:path";
import type { AppContext } from "../../../context";
import { conflict } from "../../../lib/errors";
import { iso } from "../../../lib/time";
import { type ActionActor, audit } from "../audit";
import { emit } from "../events/service";
import { BackupError, type BackupReport, backupDatabase } from "./backup";
import { backupsDir, newBackupPath } from "./backup-files";

export const BACKUP_EVENT_TYPES: Record<string, string> = {
  "system.backup.created": "A backup of the database was written to DATA_DIR/backups and verified",
  "system.backup.failed":
    "A backup into DATA_DIR/backups failed or did not pass its checks (the copy was deleted)",
};

/** A backup of DATA_DIR/backups as the API shows it. */
export type BackupResult = BackupReport & { file: string; created_at: string };

/** Who asked: an admin through the API (audited), or the schedule. */
export type BackupTrigger = { kind: "admin"; actor: ActionActor } | { kind: "schedule" };

// One backup at a time in this process: a second would copy the same pages again for nothing.
let running = false;

export const backupRunning = () => running;

/**
 * Writes a verified backup into DATA_DIR/backups as souk-<UTC time>.db. The outcome is recorded in
 * its own short write after the copy (never inside a transaction that waits on it): an event
 * `system.backup.created` or `system.backup.failed`, and an audit row when an admin asked.
 * Throws 409 `conflict` while another backup runs, and the BackupError of a failed one.
 */
export async function createBackup(ctx: AppContext, trigger: BackupTrigger): Promise<BackupResult> {
  // On libSQL the database lives in sqld (the local file is a replica): sqld's data is what to back up.
  if (ctx.replica) throw conflict("this node runs on libSQL: back up the sqld primary's data instead");
  if (running) throw conflict("a backup is already running: try again when it has finished");
  running = true;
  try {
    const path = newBackupPath(backupsDir(ctx.env.DATA_DIR), ctx.clock.now());
    let result: BackupResult;
    try {
      const report = await backupDatabase(ctx.sqlite, path);
      result = { ...report, file: basename(path), created_at: iso(ctx.clock.now()) };
    } catch (e) {
      // The reason and message only: the offending rows stay out of events (and their webhooks).
      const reason = e instanceof BackupError ? e.reason : "error";
      const message = (e as Error).message;
      ctx.logger.error({ reason, message, file: basename(path) }, "backup failed");
      try {
        record(ctx, trigger, "system.backup.failed", basename(path), {
          trigger: trigger.kind,
          reason,
          message,
        });
      } catch (err) {
        // A full disk fails the copy and this write alike: the log line above still says why.
        ctx.logger.error({ err }, "could not record the failed backup");
      }
      throw e;
    }
    const { path: _, ...summary } = result;
    record(ctx, trigger, "system.backup.created", result.file, { trigger: trigger.kind, ...summary });
    return result;
  } finally {
    running = false;
  }
}

function record(
  ctx: AppContext,
  trigger: BackupTrigger,
  type: keyof typeof BACKUP_EVENT_TYPES,
  file: string,
  details: Record<string, unknown>,
) {
  const now = ctx.clock.now();
  const actor = trigger.kind === "admin" ? trigger.actor : null;
  ctx.db.transaction(
    (tx) => {
      if (actor) {
        audit(tx, now, {
          actorId: actor.id,
          action: type,
          targetType: "backup",
          targetId: file,
          details,
          ip: actor.ip,
          requestId: actor.requestId,
        });
      }
      emit(tx, now, {
        type,
        actorId: actor?.id ?? null,
        subjectType: "backup",
        subjectId: file,
        payload: details,
      });
    },
    { behavior: "immediate" },
  );
}
