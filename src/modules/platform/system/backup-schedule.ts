import { eq } from "drizzle-orm";
import type { AppContext } from "../../../context";
import { settings } from "../../../db/schema";
import { iso } from "../../../lib/time";
import type { Schedule } from "../jobs/cron";
import { backupsDir, listBackups, pruneBackups } from "./backup-files";
import { backupRunning, createBackup } from "./backup-service";
import { backupCron } from "./backup-settings";

// When this process last tried a scheduled backup: a failing one is tried again at its next
// match, not on every tick.
const lastAttempt = new WeakMap<AppContext, number>();

/**
 * One tick of scheduled backups. The schedule's own pattern is fixed (every minute), so a change
 * of `backup_cron` takes effect at the next tick, without a restart: a backup is due when the
 * expression has matched since the newest backup in DATA_DIR/backups, the last change of the
 * setting and this process's last attempt. A match missed while souk was down is made up at the
 * first tick after the start. After a backup, the oldest beyond `backup_keep` are deleted.
 */
export async function backupTick(ctx: AppContext) {
  const pattern = ctx.settings.get("backup_cron");
  if (!pattern) return { skipped: "backup_cron is empty" };
  const now = ctx.clock.now();
  const dir = backupsDir(ctx.env.DATA_DIR);
  const changedAt =
    ctx.db.select({ at: settings.updatedAt }).from(settings).where(eq(settings.key, "backup_cron")).get()
      ?.at ?? 0;
  const since = Math.max(listBackups(dir)[0]?.createdAt ?? 0, changedAt, lastAttempt.get(ctx) ?? 0);
  const due = backupCron(pattern).nextRun(new Date(since));
  if (!due || due.getTime() > now) return { skipped: "not due", next: due ? iso(due.getTime()) : null };
  if (backupRunning()) return { skipped: "a backup is running" };
  lastAttempt.set(ctx, now);
  const backup = await createBackup(ctx, { kind: "schedule" });
  const deleted = pruneBackups(dir, ctx.settings.get("backup_keep"));
  if (deleted.length) ctx.logger.info({ deleted }, "old backups deleted");
  return { backup, deleted };
}

export const BACKUP_SCHEDULES: Schedule[] = [
  {
    name: "backup",
    pattern: "* * * * *",
    description:
      "Write a verified backup into DATA_DIR/backups when the setting backup_cron is due; keep the newest backup_keep",
    run: backupTick,
  },
];
