import { beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SCHEDULES } from "../../src/modules";
import { backupsDir } from "../../src/modules/platform/system/backup-files";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

const SETTINGS = "/api/v1/admin/system/settings";

let t: TestApp;
let admin: Awaited<ReturnType<TestApp["user"]>>;

beforeEach(async () => {
  t = makeTestApp();
  admin = await t.user("admin");
});

const schedule = () => SCHEDULES.find((s) => s.name === "backup")!;
const tick = () => schedule().run(t.ctx) as Promise<any>;
const dir = () => backupsDir(t.ctx.env.DATA_DIR);
const files = () => (existsSync(dir()) ? readdirSync(dir()).sort() : []);
const setCron = (body: Record<string, unknown>) => t.call("PATCH", SETTINGS, { token: admin.token, body });
const events = (type: string) =>
  t.ctx.sqlite.query("SELECT actor_id, subject_id, payload FROM events WHERE type = ?").all(type) as any[];

describe("scheduled backups", () => {
  test("registered as a minutely schedule, listed in the status; off while backup_cron is empty", async () => {
    expect(schedule().pattern).toBe("* * * * *");
    const status = await t.call("GET", "/api/v1/admin/system/status", { token: admin.token });
    expect(status.body.schedules.map((s: any) => s.name)).toContain("backup");
    expect(t.ctx.settings.get("backup_cron")).toBe("");
    expect(t.ctx.settings.get("backup_keep")).toBe(7);
    t.clock.advance(3 * 86_400_000);
    expect(await tick()).toEqual({ skipped: "backup_cron is empty" });
    expect(files()).toEqual([]);
  });

  test("a change of backup_cron takes effect at the next tick: the backup runs when the expression matched", async () => {
    // 10:00 now; daily at 03:00 from tomorrow on (setting it does not count as a missed 03:00 today).
    expect((await setCron({ backup_cron: "0 3 * * *" })).status).toBe(200);
    expect(await tick()).toEqual({ skipped: "not due", next: "2026-11-23T03:00:00.000Z" });
    t.clock.set("2026-11-23T02:59:00.000Z");
    expect((await tick()).skipped).toBe("not due");
    t.clock.set("2026-11-23T03:00:00.000Z");
    const r = await tick();
    expect(r.backup).toMatchObject({ file: "souk-20261123T030000Z.db", integrity: "ok", ledger: "balanced" });
    expect(r.deleted).toEqual([]);
    // One backup per match: the next ticks of that day do nothing.
    t.clock.set("2026-11-23T03:01:00.000Z");
    expect((await tick()).skipped).toBe("not due");
    expect(files()).toEqual(["souk-20261123T030000Z.db"]);
    // Scheduled: an event by the system (no actor), no audit row (nobody acted).
    const [e] = events("system.backup.created");
    expect(e.actor_id).toBeNull();
    expect(JSON.parse(e.payload)).toMatchObject({ trigger: "schedule", file: "souk-20261123T030000Z.db" });
    expect(
      t.ctx.sqlite.query("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'system.backup%'").get(),
    ).toEqual({
      n: 0,
    });
  });

  test("a match missed while souk was down is made up at the first tick; a new expression applies at once", async () => {
    await setCron({ backup_cron: "0 3 * * *" });
    t.clock.set("2026-11-25T14:30:00.000Z"); // two 03:00s passed with no tick: one backup, not two
    expect((await tick()).backup.file).toBe("souk-20261125T143000Z.db");
    expect((await tick()).skipped).toBe("not due");
    // Every 15 minutes from now on, without a restart.
    await setCron({ backup_cron: "*/15 * * * *" });
    t.clock.set("2026-11-25T14:44:00.000Z");
    expect((await tick()).skipped).toBe("not due");
    t.clock.set("2026-11-25T14:45:10.000Z");
    expect((await tick()).backup.file).toBe("souk-20261125T144510Z.db");
    // Empty switches it off again.
    await setCron({ backup_cron: "" });
    t.clock.set("2026-11-26T00:00:00.000Z");
    expect(await tick()).toEqual({ skipped: "backup_cron is empty" });
    expect(files()).toHaveLength(2);
  });

  test("retention: keeps the newest backup_keep of souk's backups, leaves other files alone", async () => {
    await setCron({ backup_cron: "0 3 * * *", backup_keep: 3 });
    mkdirSync(dir(), { recursive: true });
    writeFileSync(join(dir(), "souk-manual.db"), "kept: not named by souk");
    writeFileSync(join(dir(), "notes.txt"), "kept");
    const made: string[] = [];
    for (let day = 23; day <= 28; day++) {
      t.clock.set(`2026-11-${day}T03:00:05.000Z`);
      const r = await tick();
      made.push(r.backup.file);
      expect(files().filter((f) => f.startsWith("souk-2026"))).toEqual(made.slice(-3));
      expect(r.deleted).toEqual(made.length > 3 ? [made.at(-4)] : []);
    }
    expect(files()).toEqual([...made.slice(-3), "notes.txt", "souk-manual.db"].sort());
    // A lower keep applies at the next backup.
    await setCron({ backup_keep: 1 });
    t.clock.set("2026-11-29T03:00:00.000Z");
    expect((await tick()).deleted).toEqual(made.slice(-3).reverse());
    expect(files()).toEqual(["notes.txt", "souk-20261129T030000Z.db", "souk-manual.db"]);
  });

  test("a failed scheduled backup is not retried on every tick, only at the next match", async () => {
    await setCron({ backup_cron: "0 * * * *" });
    t.ctx.sqlite
      .query(
        "INSERT INTO ledger_accounts (owner_type, owner_id, kind, currency, balance, allow_negative, created_at) VALUES ('user', '1', 'available', 'RUB', 7, 0, 0)",
      )
      .run();
    t.clock.set("2026-11-22T11:00:00.000Z");
    await expect(tick()).rejects.toThrow("the ledger does not balance");
    t.clock.set("2026-11-22T11:01:00.000Z");
    expect((await tick()).skipped).toBe("not due");
    t.clock.set("2026-11-22T12:00:00.000Z");
    await expect(tick()).rejects.toThrow("the ledger does not balance");
    expect(files()).toEqual([]);
    const failed = events("system.backup.failed");
    expect(failed).toHaveLength(2);
    expect(JSON.parse(failed[0].payload)).toMatchObject({ trigger: "schedule", reason: "ledger" });
  });

  test("the settings are validated: a 5-field cron expression or empty; keep from 1", async () => {
    for (const backup_cron of ["bogus", "*/10 * * * * *", "0 25 * * *", 5]) {
      const r = await setCron({ backup_cron });
      expectError(r, 400, "validation_failed");
      expect(r.body.error.details.issues[0].path).toBe("backup_cron");
    }
    for (const backup_keep of [0, -1, 1.5, "7"])
      expectError(await setCron({ backup_keep }), 400, "validation_failed");
    expect((await setCron({ backup_cron: "30 2 * * 1", backup_keep: 14 })).status).toBe(200);
    expect(t.ctx.settings.get("backup_cron")).toBe("30 2 * * 1");
  });
});
