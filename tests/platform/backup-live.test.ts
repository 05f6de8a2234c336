import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jwtSecretFor } from "../../src/boot";
import { openDatabase } from "../../src/db/client";
import { migrate } from "../../src/db/migrate";
import { parseEnv } from "../../src/env";
import { signAccessToken } from "../../src/modules/accounts/tokens";
import { backupDatabase } from "../../src/modules/platform/system/backup";
import { runSouk } from "../helpers/cli";
import { type RunningServer, startServer, tempDataDir } from "../helpers/server";

const running: RunningServer[] = [];
afterAll(async () => {
  for (const s of running) await s.stop("SIGKILL").catch(() => {});
});

/**
 * A data dir with an admin and a client, prepared on a bare connection (closed for good, so this
 * process does not keep the file open), and the admin's token signed with the data dir's secret.
 */
async function seed(dir: string) {
  const { sqlite } = openDatabase(`file:${join(dir, "souk.db")}`);
  migrate(sqlite);
  const now = Date.now();
  const add = sqlite.prepare(
    "INSERT INTO users (email, username, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
  );
  const adminId = (add.get("admin@test.local", "admin", "admin", now, now) as { id: number }).id;
  const clientId = (add.get("client@test.local", "client", "client", now, now) as { id: number }).id;
  add.finalize();
  sqlite
    .query("INSERT INTO settings (key, value, updated_at) VALUES ('RATE_LIMIT_DEFAULT', ?, ?)")
    .run(JSON.stringify("1000000/minute"), now);
  sqlite.close();
  const secret = jwtSecretFor(parseEnv({ DATA_DIR: dir }));
  return { clientId, token: await signAccessToken(secret, adminId, "admin", now, 3600) };
}

type Counts = { transfers: number; events: number; notifications: number; audit: number };

/** Checks a backup on its own, as a restore would: integrity, the ledger per currency, row counts. */
function inspect(path: string): Counts {
  const db = new Database(path, { readonly: true });
  try {
    expect(db.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
    const sums = db
      .query("SELECT currency, SUM(balance) AS total FROM ledger_accounts GROUP BY currency")
      .all();
    for (const s of sums as { total: number }[]) expect(s.total).toBe(0);
    const n = (table: string) => (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      transfers: n("ledger_transfers"),
      events: n("events"),
      notifications: n("notifications"),
      audit: n("audit_log"),
    };
  } finally {
    db.close();
  }
}

describe("backups of a database a real server keeps writing", () => {
  test("20 backups while wallet credits commit: each is consistent, counts never go back; restore refuses while it runs, then brings one back", async () => {
    const dir = tempDataDir();
    const spare = mkdtempSync(join(tmpdir(), "souk-live-backups-"));
    const { clientId, token } = await seed(dir);
    const server = await startServer(dir);
    running.push(server);
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

    // Writers: each credit is one transaction of a transfer, two balances, an audit row, an event
    // and a notification. A backup that caught half of one would not balance.
    let stop = false;
    let credited = 0;
    const writer = async () => {
      while (!stop) {
        const r = await fetch(`${server.url}/api/v1/admin/users/${clientId}/wallet/credit`, {
          method: "POST",
          headers,
          body: JSON.stringify({ amount: 100, currency: "RUB", note: "load" }),
        });
        expect(r.status).toBe(201);
        await r.arrayBuffer();
        credited++;
      }
    };
    const writers = [writer(), writer(), writer()];
    while (credited < 20) await Bun.sleep(10);

    // Even ones through the server's route (the server copies itself), odd ones from this process
    // on its own read-only connection (what `souk backup` does).
    const backups: string[] = [];
    for (let i = 0; i < 20; i++) {
      if (i % 2 === 0) {
        const r = await fetch(`${server.url}/api/v1/admin/system/backup`, { method: "POST", headers });
        const body = (await r.json()) as any;
        expect(r.status).toBe(201);
        expect(body).toMatchObject({ integrity: "ok", ledger: "balanced" });
        backups.push(body.path);
      } else {
        const r = await backupDatabase(join(dir, "souk.db"), join(spare, `backup-${i}.db`));
        expect(r).toMatchObject({ integrity: "ok", ledger: "balanced" });
        backups.push(r.path);
      }
      await Bun.sleep(20);
    }
    const counts = backups.map(inspect);
    for (let i = 1; i < counts.length; i++) {
      for (const k of Object.keys(counts[i]!) as (keyof Counts)[]) {
        expect(counts[i]![k]).toBeGreaterThanOrEqual(counts[i - 1]![k]);
      }
    }
    // The writers really wrote between the first and the last backup.
    expect(counts.at(-1)!.transfers).toBeGreaterThan(counts[0]!.transfers);
    // Each transfer came with its audit row (plus the server's own backup audits).
    for (const c of counts) expect(c.audit).toBeGreaterThanOrEqual(c.transfers);

    // While the server runs, restore refuses and changes nothing.
    const refused = await runSouk(["restore", backups[9]!], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`is in use by serve (pid ${server.proc.pid})`);

    stop = true;
    await Promise.all(writers);
    expect(await server.stop()).toBe(0);

    // Stopped: its claim is gone, so the restore goes ahead; the server then serves the backup's data.
    const restored = await runSouk(["restore", backups[9]!], dir);
    expect(restored.stderr).toBe("");
    expect(restored.code).toBe(0);
    const again = await startServer(dir);
    running.push(again);
    const status = await fetch(`${again.url}/api/v1/admin/system/status`, { headers });
    expect(status.status).toBe(200);
    expect(await again.stop()).toBe(0);
    expect(inspect(join(dir, "souk.db")).transfers).toBe(counts[9]!.transfers);
  }, 120_000);
});
