import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createApp } from "../../src/app";
import { createContext } from "../../src/boot";
import { listenUrl, serveBanner } from "../../src/cli/banner";
import { COMMANDS } from "../../src/cli/commands";
import { parseEnv } from "../../src/env";
import { makeTestApp } from "../helpers/app";

/** The real CLI in a child process: `bun src/index.ts …` (process.execPath is bun). */
const ROOT = resolve(import.meta.dir, "../..");
const ENTRY = join(ROOT, "src/index.ts");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A DATA_DIR that does not exist yet. */
function tempDataDir() {
  const d = mkdtempSync(join(tmpdir(), "souk-cli-"));
  dirs.push(d);
  return join(d, "data");
}

const COSTS = { PASSWORD_MEMORY_KIB: "1024", PASSWORD_TIME_COST: "1" };

function baseEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? tmpdir(),
    TZ: "UTC",
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    CRON_ENABLED: "false",
    ...COSTS,
    ...extra,
  };
}

/** Runs the CLI to completion; `input` becomes its stdin (a pipe), else stdin is /dev/null. */
async function run(args: string[], env: Record<string, string>, input?: string) {
  const p = Bun.spawn([process.execPath, ENTRY, ...args], {
    cwd: ROOT,
    env,
    stdin: input === undefined ? "ignore" : new Blob([input]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}

function users(dataDir: string) {
  const db = new Database(join(dataDir, "souk.db"), { readonly: true });
  try {
    return db.query("SELECT email, username, role FROM users ORDER BY id").all() as {
      email: string;
      username: string | null;
      role: string;
    }[];
  } finally {
    db.close();
  }
}

const NAMES = COMMANDS.map((c) => c.name);

describe("help", () => {
  test("--help, -h and `help` print the program's help, naming every command, and exit 0", async () => {
    const dataDir = tempDataDir();
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const r = await run(args, baseEnv(dataDir));
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("Usage: souk");
      expect(r.stdout).toContain("npm run souk --");
      for (const name of NAMES) expect(r.stdout).toContain(`  ${name}`);
    }
    // Help touches no database.
    expect(existsSync(dataDir)).toBe(false);
  }, 30_000);

  test.each(NAMES)(
    "%s --help and -h print the command's usage and options, and exit 0",
    async (name) => {
      const dataDir = tempDataDir();
      for (const flag of ["--help", "-h"]) {
        const r = await run([name, flag], baseEnv(dataDir));
        expect(r.code).toBe(0);
        expect(r.stderr).toBe("");
        expect(r.stdout).toStartWith(`Usage: souk ${name}`);
        expect(r.stdout).toContain("-h, --help");
      }
      // --help wins over the command's other arguments, even invalid ones.
      const r = await run([name, "--bogus", "--help"], baseEnv(dataDir));
      expect(r.code).toBe(0);
      expect(existsSync(dataDir)).toBe(false);
    },
    30_000,
  );

  test("create-admin's and seed's help name their options", async () => {
    const a = await run(["create-admin", "--help"], baseEnv(tempDataDir()));
    for (const o of ["--email", "--username", "--password-stdin", "--password"])
      expect(a.stdout).toContain(o);
    const s = await run(["seed", "--help"], baseEnv(tempDataDir()));
    for (const o of ["--demo", "--force"]) expect(s.stdout).toContain(o);
  }, 30_000);
});

describe("wrong usage exits 2 with a one-line message", () => {
  test.each([
    [["frobnicate"], "unknown command 'frobnicate'"],
    [["--bogus"], "unknown option '--bogus'"],
    [["migrate", "--bogus"], "unknown option '--bogus'"],
    [["seed", "--demo", "extra"], "unexpected argument 'extra'"],
    [["seed"], "--demo"],
    [["create-admin"], "--email is required"],
    [["create-admin", "--email"], "--email"],
    [
      ["create-admin", "--email", "a@test.local", "--password", "long-enough-1", "--password-stdin"],
      "not both",
    ],
    // No terminal and nothing piped: there is no password to read.
    [["create-admin", "--email", "a@test.local"], "no password on stdin"],
  ])(
    "%p",
    async (args, message) => {
      const dataDir = tempDataDir();
      const r = await run(args, baseEnv(dataDir));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr
        .trim()
        .split("\n")
        .filter((l) => !l.startsWith("warning:"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(message);
      expect(lines[0]).toContain("--help");
      expect(existsSync(join(dataDir, "souk.db"))).toBe(false);
    },
    30_000,
  );
});

describe("migrate", () => {
  test("lists the migrations it applied, then says the database is up to date", async () => {
    const dataDir = tempDataDir();
    const first = await run(["migrate"], baseEnv(dataDir));
    expect(first.code).toBe(0);
    expect(first.stderr).toBe("");
    expect(first.stdout).toContain(`migrated ${join(dataDir, "souk.db")}: applied 0000_`);
    const again = await run(["migrate"], baseEnv(dataDir));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("is up to date");
    expect(again.stdout).not.toContain("applied");
    const db = new Database(join(dataDir, "souk.db"), { readonly: true });
    try {
      expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    } finally {
      db.close();
    }
  }, 30_000);
});

describe("create-admin", () => {
  test("a weak password is refused by the API's own rule and nothing is written", async () => {
    const dataDir = tempDataDir();
    for (const [args, input] of [
      [["--password-stdin"], "short\n"],
      [[], "short\n"], // piped without the flag
      [["--password", "short"], undefined],
    ] as const) {
      const r = await run(["create-admin", "--email", "root@test.local", ...args], baseEnv(dataDir), input);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("password: at least 8 characters");
      expect(r.stderr).toContain("nothing was created");
    }
    expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
  }, 30_000);

  test("the CLI and POST /auth/bootstrap-admin accept and refuse the same passwords", async () => {
    for (const [password, ok] of [
      ["1234567", false],
      ["12345678", true],
      ["x".repeat(128), true],
      ["x".repeat(129), false],
    ] as const) {
      const t = makeTestApp();
      const api = await t.call("POST", "/api/v1/auth/bootstrap-admin", {
        body: { email: "root@test.local", password },
      });
      expect(api.status).toBe(ok ? 201 : 400);
      const dataDir = tempDataDir();
      const cli = await run(
        ["create-admin", "--email", "root@test.local", "--password-stdin"],
        baseEnv(dataDir),
        `${password}\n`,
      );
      expect(cli.code).toBe(ok ? 0 : 1);
    }
  }, 60_000);

  test("--password-stdin creates the admin, who then logs in through the API; a second admin is refused", async () => {
    const dataDir = tempDataDir();
    const r = await run(
      ["create-admin", "--email", "Root@Test.Local", "--username", "Root", "--password-stdin"],
      baseEnv(dataDir),
      "correct horse battery\n",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("migrated");
    expect(r.stdout).toContain("admin created: id=1 email=root@test.local username=root");
    expect(users(dataDir)).toEqual([{ email: "root@test.local", username: "root", role: "admin" }]);

    // The API on the same DATA_DIR (same database, same generated JWT secret) accepts the login.
    const ctx = createContext(parseEnv({ DATA_DIR: dataDir, LOG_LEVEL: "silent", CRON_ENABLED: "false" }));
    try {
      const res = await createApp(ctx).request("/api/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ login: "root", password: "correct horse battery" }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { user: { role: string } }).user.role).toBe("admin");
    } finally {
      ctx.sqlite.close();
    }

    const again = await run(
      ["create-admin", "--email", "two@test.local", "--password-stdin"],
      baseEnv(dataDir),
      "another-password\n",
    );
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split("\n")).toEqual(["souk: an admin already exists; bootstrap is closed"]);
    expect(users(dataDir)).toHaveLength(1);
  }, 30_000);

  test("--password still works, with a warning about shell history", async () => {
    const dataDir = tempDataDir();
    const r = await run(
      ["create-admin", "--email", "root@test.local", "--password", "admin-password-1"],
      baseEnv(dataDir),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning: --password leaves the password in your shell history");
    expect(r.stdout).toContain("admin created");
  }, 30_000);

  test("a multi-line stdin is refused", async () => {
    const dataDir = tempDataDir();
    const r = await run(
      ["create-admin", "--email", "root@test.local", "--password-stdin"],
      baseEnv(dataDir),
      "first-line-pw\nsecond-line\n",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("single line");
    expect(existsSync(join(dataDir, "souk.db"))).toBe(false);
  }, 30_000);
});

describe("seed --demo", () => {
  test("on a fresh database: adds the demo data, prints the logins of every role, and re-runs adding nothing", async () => {
    const dataDir = tempDataDir();
    const r = await run(["seed", "--demo"], baseEnv(dataDir));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("demo data added: 34 users");
    expect(r.stdout).toContain("1 gateway store, 3 traders with 6 approved requisites");
    expect(r.stdout).toContain("every password: demo-password");
    for (const role of ["client", "expert", "admin", "support", "merchant"]) {
      expect(r.stdout).toContain(`${role}_1@demo.souk.local`);
    }
    expect(users(dataDir)).toHaveLength(34);

    const again = await run(["seed", "--demo"], baseEnv(dataDir));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("demo data already present: nothing added");
    expect(again.stdout).toContain("admin_1@demo.souk.local");
    expect(users(dataDir)).toHaveLength(34);
  }, 30_000);

  test("refuses a database with a real user unless --force", async () => {
    const dataDir = tempDataDir();
    const env = baseEnv(dataDir);
    const a = await run(
      ["create-admin", "--email", "root@test.local", "--password-stdin"],
      env,
      "admin-password-1\n",
    );
    expect(a.code).toBe(0);

    const refused = await run(["seed", "--demo"], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    const lines = refused.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("1 user not created by the demo seed");
    expect(lines[0]).toContain("--force");
    // Nothing was added.
    expect(users(dataDir)).toEqual([{ email: "root@test.local", username: null, role: "admin" }]);

    const forced = await run(["seed", "--demo", "--force"], env);
    expect(forced.stderr).toBe("");
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("demo data added: 34 users");
    expect(forced.stdout).toContain("admin_1@demo.souk.local");
    const all = users(dataDir);
    expect(all).toHaveLength(35);
    expect(all[0]!.email).toBe("root@test.local");
  }, 30_000);
});

describe("serve", () => {
  /** Starts serve, reads stdout until the banner's last line, then stops it. */
  async function banner(dataDir: string, extra: Record<string, string>) {
    const proc = Bun.spawn([process.execPath, ENTRY, "serve"], {
      cwd: ROOT,
      env: baseEnv(dataDir, { PORT: "0", ...extra }),
      stdout: "pipe",
      stderr: "pipe",
    });
    let out = "";
    try {
      const reader = proc.stdout.getReader();
      const decoder = new TextDecoder();
      const deadline = Date.now() + 20_000;
      // The banner's last line: "bootstrap is closed", or the bootstrap-admin hint.
      while (!/(bootstrap is closed\)|bootstrap-admin .*)\n/.test(out)) {
        if (Date.now() > deadline) throw new Error(`no banner in: ${out}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`serve exited before its banner: ${out}`);
        out += decoder.decode(value);
      }
      const port = Number(/listening on http:\/\/[^:]+:(\d+)/.exec(out)?.[1]);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      return { out, port, healthy: health.ok };
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    }
  }

  test("prints where it listens, the /docs URL and how to create the first admin", async () => {
    const dataDir = tempDataDir();
    const { out, port, healthy } = await banner(dataDir, { HOST: "0.0.0.0" });
    expect(healthy).toBe(true);
    expect(out).toContain("migrated");
    expect(out).toContain(`souk is listening on http://localhost:${port} (every interface: HOST=0.0.0.0)`);
    expect(out).toContain(`API reference  http://localhost:${port}/docs`);
    expect(out).toContain("first admin    none yet");
    expect(out).toContain("npm run souk -- create-admin --email");
    expect(out).toContain(`POST http://localhost:${port}/api/v1/auth/bootstrap-admin`);
  }, 30_000);

  test("once an admin exists, the banner says bootstrap is closed", async () => {
    const dataDir = tempDataDir();
    const a = await run(
      ["create-admin", "--email", "root@test.local", "--password-stdin"],
      baseEnv(dataDir),
      "admin-password-1\n",
    );
    expect(a.code).toBe(0);
    const { out, port } = await banner(dataDir, { HOST: "127.0.0.1" });
    expect(out).toContain(`souk is listening on http://127.0.0.1:${port}\n`);
    expect(out).toContain("first admin    created (bootstrap is closed)");
    expect(out).not.toContain("migrated");
  }, 30_000);
});

describe("banner (in process)", () => {
  test("a wildcard HOST is shown as localhost, an IPv6 address in brackets", () => {
    expect(listenUrl("0.0.0.0", 3000)).toBe("http://localhost:3000");
    expect(listenUrl("::", 3000)).toBe("http://localhost:3000");
    expect(listenUrl("127.0.0.1", 8080)).toBe("http://127.0.0.1:8080");
    expect(listenUrl("::1", 8080)).toBe("http://[::1]:8080");
    expect(listenUrl("api.example.com", 80)).toBe("http://api.example.com:80");
  });

  test("the binary's banner names the binary, not npm", () => {
    const text = serveBanner({
      url: "http://localhost:8080",
      host: "0.0.0.0",
      database: "/data/souk.db",
      needsBootstrap: true,
      invocation: "/app/souk",
    });
    expect(text).toContain("/app/souk create-admin --email");
    expect(text).not.toContain("npm");
  });
});

describe("check", () => {
  test("passes on a seeded database and exits 1 naming the failed check after a corruption", async () => {
    const dataDir = tempDataDir();
    expect((await run(["seed", "--demo"], baseEnv(dataDir))).code).toBe(0);
    const ok = await run(["check"], baseEnv(dataDir));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("ok   held_equals_escrow");
    expect(ok.stdout).toContain("all checks passed");
    const db = new Database(join(dataDir, "souk.db"));
    db.run(
      "INSERT INTO ledger_accounts (owner_type, owner_id, kind, currency, balance, created_at) VALUES ('user', '999', 'held', 'RUB', 5, 0)",
    );
    db.close();
    const bad = await run(["check"], baseEnv(dataDir));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("FAIL ledger_sums_to_zero");
    expect(bad.stdout).toContain("some checks failed");
  }, 60_000);
});
