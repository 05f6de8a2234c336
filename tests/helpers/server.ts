import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { createContext } from "../../src/boot";
import { users } from "../../src/db/schema";
import { parseEnv } from "../../src/env";
import { createApiKey } from "../../src/modules/accounts/api-keys";
import { permissionsFor } from "../../src/modules/accounts/permissions";
import { createGrant } from "../../src/modules/billing/grants";

const ROOT = join(import.meta.dir, "..", "..");

export const tempDataDir = () => mkdtempSync(join(tmpdir(), "souk-test-"));

/**
 * Prepares a data dir directly through the services: a user with `seconds` of minutes and a usage
 * key. `extraEnv` can point it at a libSQL server (DATABASE_URL, JWT_SECRET).
 */
export function seedMinutes(dataDir: string, seconds: number, extraEnv: Record<string, string> = {}) {
  const env = parseEnv({ DATA_DIR: dataDir, LOG_LEVEL: "silent", CRON_ENABLED: "false", ...extraEnv });
  const ctx = createContext(env);
  ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "1000000/minute", RATE_LIMIT_AUTH: "1000000/minute" });
  const now = Date.now();
  const user = ctx.db
    .insert(users)
    .values({ email: "load@test.local", username: "load", createdAt: now, updatedAt: now })
    .returning()
    .get();
  ctx.db.transaction(
    (tx) => createGrant(ctx, tx, { userId: user.id, seconds, validityDays: 30, purchasedAt: now }),
    {
      behavior: "immediate",
    },
  );
  const principal = { user: { ...user, grantedPermissions: [] }, permissions: permissionsFor("client") };
  const key = createApiKey(ctx, principal, {
    name: "load",
    scopes: ["usage:write", "balance:read", "usage:read"],
  }).key;
  ctx.sqlite.close();
  return { userId: user.id, key };
}

export type RunningServer = { url: string; proc: Subprocess; stop(signal?: NodeJS.Signals): Promise<number> };

// Below Linux's ephemeral range (32768+), where a client socket may hold the port picked.
const randomPort = () => 10000 + Math.floor(Math.random() * 20000);

/**
 * Starts `bun src/index.ts serve` as a real process and waits for /healthz. Without `fixedPort`, a
 * port is picked at random and, if another process holds it (the server exits at once), picked
 * again.
 */
export async function startServer(
  dataDir: string,
  extraEnv: Record<string, string> = {},
  fixedPort?: number,
): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? randomPort();
    // Another test's server already there would answer /healthz for ours: pick again.
    if (fixedPort === undefined && (await answers(`http://127.0.0.1:${port}/healthz`))) continue;
    const proc = Bun.spawn([process.execPath, "src/index.ts", "serve"], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
        CRON_ENABLED: "false",
        ...extraEnv,
      },
      stdout: "ignore",
      stderr: "inherit",
    });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && proc.exitCode === null) {
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {}
      await Bun.sleep(25);
    }
    if (proc.exitCode !== null && fixedPort === undefined && attempt < 3) continue;
    return served(url, proc);
  }
}

const answers = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(500) }).then(
    () => true,
    () => false,
  );

function served(url: string, proc: Subprocess): RunningServer {
  return {
    url,
    proc,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      proc.kill(signal);
      return await proc.exited;
    },
  };
}
