import { Cron } from "croner";
import { z } from "zod";
import { def, type SettingDef } from "../settings/registry-types";

/** A 5-field cron expression (minute precision: the schedule checks it once a minute), in UTC. */
export const backupCron = (pattern: string) => new Cron(pattern, { timezone: "UTC", mode: "5-part" });

const CronSpec = z
  .string()
  .superRefine((v, c) => {
    if (v === "") return;
    try {
      backupCron(v);
    } catch (e) {
      c.addIssue({
        code: "custom",
        message: `a 5-field cron expression in UTC such as "0 3 * * *", or "" for off (${(e as Error).message})`,
      });
    }
  })
  // Shown in the settings' JSON Schema, so a form can offer a cron control.
  .meta({ format: "cron" });

/** Scheduled backups into DATA_DIR/backups (see backup-schedule.ts). */
export const BACKUP_SETTINGS = {
  backup_cron: def(
    CronSpec,
    "",
    'When to write a backup into DATA_DIR/backups: a 5-field cron expression in UTC ("0 3 * * *" is daily at 03:00); empty is off',
  ),
  backup_keep: def(
    z.number().int().min(1).max(1000),
    7,
    "How many of the backups in DATA_DIR/backups to keep: a scheduled backup deletes the oldest beyond this",
  ),
} satisfies Record<string, SettingDef>;
