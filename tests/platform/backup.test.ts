import { Database } from "bun:sqlite";
import { beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/db/client";
import { migrate } from "../../src/db/migrate";
import { BackupError, backupDatabase, verifyFile } from "../../src/modules/platform/system/backup";
import { backupsDir } from "../../src/modules/platform/system/backup-files";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

const BACKUP = "/api/v1/admin/system/backup";
const LIST = "/api/v1/admin/system/backups";

let t: TestApp;
let admin: Awaited<ReturnType<TestApp["user"]>>;

beforeEach(async () => {
  t = makeTestApp();
  admin = await t.user("admin");
});

const rows = (sql: string) => t.ctx.sqlite.query(sql).all() as Record<string, any>[];
const dir = () => backupsDir(t.ctx.env.DATA_DIR);
const files = () => (existsSync(dir()) ? readdirSync(dir()).sort() : []);

/** A user whose wallet got money from the platform through the admin route: a balanced ledger. */
async function credit(amount: number) {
  const u = await t.user("client");
  const r = await t.call("POST", `/api/v1/admin/users/${u.id}/wallet/credit`, {
    token: admin.token,
    body: { amount, currency: "RUB", note: "test" },
  });
  expect(r.status).toBe(201);
}

/** Breaks the books by hand: one account holding money no transfer put there. */
const unbalance = () =>
  t.ctx.sqlite
    .query(
      "INSERT INTO ledger_accounts (owner_type, owner_id, kind, currency, balance, allow_negative, created_at) VALUES ('user', '999', 'available', 'RUB', 100, 0, 0)",
    )
    .run();

describe("POST /admin/system/backup", () => {
  test("writes a verified copy into DATA_DIR/backups, named for the UTC time, audited, with an event", async () => {
    await credit(5000);
    const r = await t.call("POST", BACKUP, { token: admin.token });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      file: "souk-20261122T100000Z.db",
      integrity: "ok",
      ledger: "balanced",
      created_at: "2026-11-22T10:00:00.000Z",
    });
    expect(r.body.path).toBe(join(dir(), "souk-20261122T100000Z.db"));
    expect(r.body.bytes).toBeGreaterThan(0);
    expect(r.body.tables).toBeGreaterThan(40);
    expect(r.body.rows).toBeGreaterThan(0);
    expect(files()).toEqual(["souk-20261122T100000Z.db"]);

    // The copy holds what the live database held, and only owner may read it.
    const copy = new Database(r.body.path, { readonly: true });
    expect(copy.query("SELECT count(*) AS n FROM ledger_transfers").get()).toEqual({ n: 1 });
    expect(copy.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "delete" });
    copy.close();
    const { statSync } = await import("node:fs");
    expect(statSync(r.body.path).mode & 0o777).toBe(0o600);

    const [a] = rows("SELECT * FROM audit_log WHERE action = 'system.backup.created'");
    expect(a).toMatchObject({ actor_id: admin.id, target_type: "backup", target_id: r.body.file });
    expect(JSON.parse(a!.details)).toMatchObject({ trigger: "admin", integrity: "ok", ledger: "balanced" });
    const [e] = rows("SELECT * FROM events WHERE type = 'system.backup.created'");
    expect(e).toMatchObject({ actor_id: admin.id, subject_type: "backup", subject_id: r.body.file });
    // The server's path stays out of the event (webhooks may carry it elsewhere).
    expect(JSON.parse(e!.payload).path).toBeUndefined();
  });

  test("two backups in the same second get distinct names; the list shows both, newest first", async () => {
    const a = await t.call("POST", BACKUP, { token: admin.token });
    const b = await t.call("POST", BACKUP, { token: admin.token });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.file).toBe("souk-20261122T100000Z-2.db");
    t.clock.advance(60_000);
    const c = await t.call("POST", BACKUP, { token: admin.token });
    expect(c.body.file).toBe("souk-20261122T100100Z.db");
    const list = await t.call("GET", LIST, { token: admin.token });
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(3);
    expect(list.body.results.map((x: any) => x.file)).toEqual([
      "souk-20261122T100100Z.db",
      "souk-20261122T100000Z-2.db",
      "souk-20261122T100000Z.db",
    ]);
    expect(list.body.results[0]).toEqual({
      file: "souk-20261122T100100Z.db",
      bytes: c.body.bytes,
      created_at: "2026-11-22T10:01:00.000Z",
    });
    const page2 = await t.call("GET", `${LIST}?page=2&page_size=2`, { token: admin.token });
    expect(page2.body.results.map((x: any) => x.file)).toEqual(["souk-20261122T100000Z.db"]);
    expect(page2.body.previous).toContain("page=1");
  });

  test("the list shows only souk's backups, and is empty before the first", async () => {
    expect((await t.call("GET", LIST, { token: admin.token })).body).toMatchObject({ count: 0, results: [] });
    await t.call("POST", BACKUP, { token: admin.token });
    writeFileSync(join(dir(), "notes.txt"), "x");
    writeFileSync(join(dir(), "souk-manual.db"), "x");
    const list = await t.call("GET", LIST, { token: admin.token });
    expect(list.body.results.map((x: any) => x.file)).toEqual(["souk-20261122T100000Z.db"]);
  });

  test("one at a time: a second request while one runs is 409 conflict", async () => {
    const [a, b] = await Promise.all([
      t.call("POST", BACKUP, { token: admin.token }),
      t.call("POST", BACKUP, { token: admin.token }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expectError(a.status === 409 ? a : b, 409, "conflict");
    expect(files()).toHaveLength(1);
    // Once it has finished, the next one runs.
    expect((await t.call("POST", BACKUP, { token: admin.token })).status).toBe(201);
  });

  test("a copy whose ledger does not balance is deleted and reported: 500 with the reason, audited as failed", async () => {
    await credit(100);
    unbalance();
    const r = await t.call("POST", BACKUP, { token: admin.token });
    const err = expectError(r, 500, "internal");
    expect(err.message).toContain("ledger does not balance");
    expect(err.message).toContain("ledger_sums_to_zero");
    expect(err.details).toEqual({ reason: "ledger" });
    expect(files()).toEqual([]);
    const [a] = rows("SELECT * FROM audit_log WHERE action = 'system.backup.failed'");
    expect(JSON.parse(a!.details)).toMatchObject({ trigger: "admin", reason: "ledger" });
    expect(rows("SELECT * FROM events WHERE type = 'system.backup.failed'")).toHaveLength(1);
    expect(rows("SELECT * FROM events WHERE type = 'system.backup.created'")).toHaveLength(0);
  });

  test("support and client are 403, no or a bad token is 401; nothing is written", async () => {
    const support = await t.user("support");
    const client = await t.user("client");
    for (const path of [BACKUP, LIST]) {
      const method = path === BACKUP ? "POST" : "GET";
      expectError(await t.call(method, path, { token: support.token }), 403, "forbidden");
      expectError(await t.call(method, path, { token: client.token }), 403, "forbidden");
      expectError(await t.call(method, path), 401, "unauthenticated");
      expectError(await t.call(method, path, { token: "garbage" }), 401, "unauthenticated");
    }
    expect(files()).toEqual([]);
    expect(rows("SELECT * FROM audit_log")).toHaveLength(0);
  });

  test("a staff user granted system:run may back up", async () => {
    const staff = await t.user("support", { grantedPermissions: ["system:run"] });
    expect((await t.call("POST", BACKUP, { token: staff.token })).status).toBe(201);
    expect((await t.call("GET", LIST, { token: staff.token })).status).toBe(200);
  });

  test("the list refuses unknown query parameters", async () => {
    expectError(await t.call("GET", `${LIST}?dir=/etc`, { token: admin.token }), 400, "validation_failed");
  });
});

describe("backupDatabase on a database file", () => {
  const tmp = () => mkdtempSync(join(tmpdir(), "souk-backup-"));

  /** A migrated database file in WAL mode whose ledger holds one transfer of 5. */
  function fileDb() {
    const path = join(tmp(), "live.db");
    const { sqlite: db } = openDatabase(`file:${path}`);
    migrate(db);
    db.exec(`INSERT INTO ledger_accounts (id, owner_type, owner_id, kind, currency, balance, allow_negative, created_at)
             VALUES (1, 'platform', 'p', 'adjustments', 'RUB', -5, 1, 0), (2, 'user', '1', 'available', 'RUB', 5, 0, 0)`);
    db.exec(`INSERT INTO ledger_transfers (debit_account_id, credit_account_id, amount, currency, kind, idempotency_key, metadata, created_at)
             VALUES (1, 2, 5, 'RUB', 'adjustment', 'k1', '{}', 0)`);
    return { path, db };
  }

  test("copies a WAL database with commits still in its -wal, from a read-only connection", async () => {
    const { path, db } = fileDb();
    db.exec("PRAGMA wal_autocheckpoint = 0"); // every commit stays in the -wal
    expect(existsSync(`${path}-wal`)).toBe(true);
    const target = join(tmp(), "nested", "copy.db");
    const r = await backupDatabase(path, target);
    expect(r).toMatchObject({ path: target, integrity: "ok", ledger: "balanced" });
    const copy = new Database(target, { readonly: true });
    expect(copy.query("SELECT count(*) AS n FROM ledger_transfers").get()).toEqual({ n: 1 });
    copy.close();
    // The live connection can still write: the copy never took the write lock.
    db.exec("UPDATE ledger_accounts SET created_at = 1");
    db.close();
    await verifyFile(target);
  });

  test("refuses an existing target and leaves it as it was", async () => {
    const { path } = fileDb();
    const target = join(tmp(), "taken.db");
    writeFileSync(target, "mine");
    const e = await backupDatabase(path, target).catch((x) => x);
    expect(e).toBeInstanceOf(BackupError);
    expect(e.reason).toBe("exists");
    expect(await Bun.file(target).text()).toBe("mine");
  });

  test("a copy that fails its checks leaves no file behind, not even the temporary one", async () => {
    const { path, db } = fileDb();
    db.exec("UPDATE ledger_accounts SET balance = 6 WHERE id = 2");
    const d = tmp();
    const e = await backupDatabase(path, join(d, "bad.db")).catch((x) => x);
    expect(e).toBeInstanceOf(BackupError);
    expect(e.reason).toBe("ledger");
    expect(e.details.checks.map((c: any) => c.name)).toEqual([
      "ledger_sums_to_zero",
      "balances_match_transfers",
    ]);
    expect(readdirSync(d)).toEqual([]);
  });

  test("verifyFile: not SQLite, and a damaged page, are named", async () => {
    const d = tmp();
    writeFileSync(join(d, "text.db"), "hello, this is not a database at all");
    expect((await verifyFile(join(d, "text.db")).catch((x) => x)).reason).toBe("not_sqlite");

    const { path, db } = fileDb();
    const root = (
      db.query("SELECT rootpage FROM sqlite_schema WHERE name = 'ledger_accounts_owner_uq'").get() as any
    ).rootpage as number;
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db.close();
    // Scribble over the index's page: a torn write, a bad disk.
    const bytes = new Uint8Array(await Bun.file(path).arrayBuffer());
    bytes.fill(0x5a, (root - 1) * 4096, root * 4096);
    await Bun.write(path, bytes);
    const e = await verifyFile(path).catch((x) => x);
    expect(e).toBeInstanceOf(BackupError);
    expect(e.reason).toBe("integrity");
  });
});
