import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The real CLI in a child process: `bun src/index.ts …` (process.execPath is bun). */
const ROOT = resolve(import.meta.dir, "../..");
const ENTRY = join(ROOT, "src/index.ts");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDataDir() {
  const d = mkdtempSync(join(tmpdir(), "souk-cli-"));
  dirs.push(d);
  // A directory that does not exist yet: first start must create it.
  return join(d, "data");
}

function baseEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? tmpdir(),
    TZ: "UTC",
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    PASSWORD_MEMORY_KIB: "1024",
    PASSWORD_TIME_COST: "1",
    ...extra,
  };
}

async function run(args: string[], env: Record<string, string>) {
  const p = Bun.spawn([process.execPath, ENTRY, ...args], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}

function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = s.port as number;
  s.stop(true);
  return port;
}

function integrityOk(dbFile: string) {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check;
  } finally {
    db.close();
  }
}

describe("souk serve (a real process)", () => {
  test("cold start, a registration over HTTP, SIGTERM exits 0 and the database is intact", async () => {
    const dataDir = tempDataDir();
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    const t0 = performance.now();
    const proc = Bun.spawn([process.execPath, ENTRY, "serve"], {
      cwd: ROOT,
      env: baseEnv(dataDir, { PORT: String(port), HOST: "127.0.0.1", CRON_ENABLED: "true" }),
      stdout: "pipe",
      stderr: "pipe",
    });
    const stderr = new Response(proc.stderr).text();
    try {
      let coldStartMs = -1;
      while (performance.now() - t0 < 15_000) {
        const r = await fetch(`${base}/healthz`).catch(() => null);
        if (r?.status === 200) {
          coldStartMs = Math.round(performance.now() - t0);
          expect(await r.json()).toMatchObject({ status: "ok", db: "ok" });
          break;
        }
        if (proc.exitCode !== null) break;
        await Bun.sleep(5);
      }
      console.log(`cold start (spawn -> /healthz 200): ${coldStartMs} ms`);
      expect(coldStartMs).toBeGreaterThan(0);

      const reg = await fetch(`${base}/api/v1/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "first@test.local", password: "correct-horse", username: "first" }),
      });
      expect(reg.status).toBe(201);
      const auth = (await reg.json()) as { access_token: string; user: { id: number } };
      expect(reg.headers.get("set-cookie")).toContain("refresh_token=");
      const me = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${auth.access_token}` } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { email: string }).email).toBe("first@test.local");

      // The container HEALTHCHECK subcommand sees the live server.
      const hc = await run(["healthcheck"], baseEnv(dataDir, { PORT: String(port) }));
      expect(hc.code).toBe(0);

      proc.kill("SIGTERM");
      const code = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => "timeout" as const)]);
      expect(code).toBe(0);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      const err = await stderr;
      if (proc.exitCode !== 0) console.error(err);
    }

    const dbFile = join(dataDir, "souk.db");
    expect(integrityOk(dbFile)).toBe("ok");
    const db = new Database(dbFile, { readonly: true });
    try {
      expect(db.query("SELECT email FROM users").all()).toEqual([{ email: "first@test.local" }]);
    } finally {
      db.close();
    }
    // The checkpoint at shutdown left nothing in the WAL.
    const wal = `${dbFile}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    // The JWT secret was generated once into DATA_DIR, private.
    expect(statSync(join(dataDir, "jwt_secret")).mode & 0o777).toBe(0o600);

    // Nothing listens any more: healthcheck fails.
    const down = await run(["healthcheck"], baseEnv(dataDir, { PORT: String(port) }));
    expect(down.code).toBe(1);
  }, 30_000);
});

describe("graceful shutdown", () => {
  test("a request in flight when SIGTERM arrives still completes and is kept", async () => {
    const dataDir = tempDataDir();
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = Bun.spawn([process.execPath, ENTRY, "serve"], {
      cwd: ROOT,
      // A deliberately slow password hash keeps the registration in flight for a while.
      env: baseEnv(dataDir, {
        PORT: String(port),
        HOST: "127.0.0.1",
        CRON_ENABLED: "true",
        PASSWORD_MEMORY_KIB: "65536",
        PASSWORD_TIME_COST: "16",
      }),
      stdout: "pipe",
      stderr: "pipe",
    });
    const stderr = new Response(proc.stderr).text();
    try {
      const until = performance.now() + 15_000;
      while (performance.now() < until) {
        if ((await fetch(`${base}/healthz`).catch(() => null))?.ok) break;
        await Bun.sleep(5);
      }
      const pending = fetch(`${base}/api/v1/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "late@test.local", password: "correct-horse" }),
      });
      await Bun.sleep(150);
      proc.kill("SIGTERM");
      const res = await pending;
      expect(res.status).toBe(201);
      const code = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => "timeout" as const)]);
      expect(code).toBe(0);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      if (proc.exitCode !== 0) console.error(await stderr);
    }
    const dbFile = join(dataDir, "souk.db");
    expect(integrityOk(dbFile)).toBe("ok");
    const db = new Database(dbFile, { readonly: true });
    try {
      expect(db.query("SELECT email FROM users").all()).toEqual([{ email: "late@test.local" }]);
    } finally {
      db.close();
    }
  }, 30_000);
});

// The commands themselves (help, create-admin, seed, migrate, the serve banner): cli.test.ts.
describe("souk CLI commands", () => {
  test.each([
    ["PORT", "abc"],
    ["DATABASE_URL", "postgres://db/souk"],
    ["LOG_LEVEL", "loud"],
  ])(
    "an invalid %s=%p exits non-zero with a one-line message naming it",
    async (name, value) => {
      const dataDir = tempDataDir();
      for (const cmd of [["serve"], ["migrate"]]) {
        const r = await run(cmd, baseEnv(dataDir, { [name]: value }));
        expect(r.code).not.toBe(0);
        const lines = r.stderr.trim().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(name);
        expect(lines[0]).toStartWith("invalid configuration");
      }
      // Nothing was created for a refused configuration.
      expect(existsSync(join(dataDir, "souk.db"))).toBe(false);
    },
    30_000,
  );
});
