/**
 * Where souk's time per request goes, in process (no HTTP, no load generator): each step of the
 * GET /me path as a delta, and the primitives the ceiling replaces. Complements `npm run bench`,
 * which measures over HTTP; numbers here are µs per call, sequential (one request at a time).
 *
 *   bun bench/micro.ts [--iterations 10000]
 *
 * Route steps (app.request, so Bun.serve's own HTTP work is not included):
 *   GET /healthz                   global middleware (request id, logger, secure headers, metrics)
 *   GET /api/v1/health             + the /api chain: body limit, identify, rate limit, idempotency, zod-openapi route
 *   GET /api/v1/health + bearer    + JWT verification and the principal's user read
 *   GET /api/v1/me + bearer        + permission check, the profile read, serialization
 * each at LOG_LEVEL=warn (hono-pino mounted, nothing written) and LOG_LEVEL=silent (not mounted).
 */
import type { Database } from "bun:sqlite";
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { eq, sql } from "drizzle-orm";
import { verify } from "hono/jwt";
import { createApp } from "../src/app";
import { createContext } from "../src/boot";
import { users } from "../src/db/schema";
import { parseEnv } from "../src/env";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { iterations: { type: "string", default: "10000" } },
});
const N = Math.min(Math.max(1000, Number(values.iterations)), 500_000);

type Timing = { wall: number; cpu: number };

/**
 * Median of 3 timed rounds of N sequential calls after a warm-up of N/5: wall µs per call, and
 * process CPU µs per call (all threads). Web Crypto completes on another thread, so its wall time
 * includes a thread hop the CPU time does not; CPU time is what limits throughput under load.
 */
async function time(fn: () => unknown): Promise<Timing> {
  for (let i = 0; i < N / 5; i++) await fn();
  const rounds: Timing[] = [];
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < N; i++) await fn();
    const wall = ((performance.now() - t) / N) * 1000;
    const c = process.cpuUsage(c0);
    rounds.push({ wall, cpu: (c.user + c.system) / N });
  }
  const mid = (xs: number[]) => Math.round(xs.sort((a, b) => a - b)[1]! * 10) / 10;
  return { wall: mid(rounds.map((r) => r.wall)), cpu: mid(rounds.map((r) => r.cpu)) };
}

const tmp = mkdtempSync(join(tmpdir(), "souk-micro-"));
const secret = "m".repeat(48);
const rows: { step: string; warn: Timing; silent: Timing }[] = [];
const prims: { what: string; us: Timing }[] = [];

try {
  const apps = {} as Record<
    "warn" | "silent",
    { request: (p: string, h?: Record<string, string>) => Promise<number> }
  >;
  let token = "";
  let ctxForPrims: ReturnType<typeof createContext> | null = null;
  for (const level of ["warn", "silent"] as const) {
    const env = parseEnv({
      DATA_DIR: join(tmp, level),
      LOG_LEVEL: level,
      CRON_ENABLED: "false",
      JWT_SECRET: secret,
      PASSWORD_MEMORY_KIB: "1024",
      PASSWORD_TIME_COST: "1",
    });
    const ctx = createContext(env);
    ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "100000000/minute", RATE_LIMIT_AUTH: "100000000/minute" });
    const app = createApp(ctx);
    const res = await app.request("/api/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "micro@bench.local", password: "micro-bench-password" }),
    });
    if (res.status !== 201) throw new Error(`register -> ${res.status}: ${await res.text()}`);
    token = ((await res.json()) as { access_token: string }).access_token;
    apps[level] = {
      request: async (p, h) => {
        const r = await app.request(p, { headers: h });
        await r.arrayBuffer();
        return r.status;
      },
    };
    ctxForPrims ??= ctx;
  }

  const auth = { authorization: `Bearer ${token}` };
  const steps: [string, string, Record<string, string> | undefined][] = [
    ["GET /healthz", "/healthz", undefined],
    ["GET /api/v1/health", "/api/v1/health", undefined],
    ["GET /api/v1/health + bearer", "/api/v1/health", auth],
    ["GET /api/v1/me + bearer", "/api/v1/me", auth],
  ];
  for (const [step, path, headers] of steps) {
    for (const level of ["warn", "silent"] as const) {
      const status = await apps[level].request(path, headers);
      if (status !== 200) throw new Error(`${step} (${level}) -> ${status}`);
    }
    rows.push({
      step,
      warn: await time(() => apps.warn.request(path, headers)),
      silent: await time(() => apps.silent.request(path, headers)),
    });
  }

  // Primitives: what souk uses on this path, and what the ceiling uses instead.
  const ctx = ctxForPrims!;
  const userId = 1;
  const key = Buffer.from(secret);
  prims.push({
    what: "JWT verify: hono/jwt (Web Crypto, key imported per call)",
    us: await time(() => verify(token, secret, "HS256")),
  });
  prims.push({
    what: "JWT verify: node:crypto HMAC + timingSafeEqual + JSON.parse (ceiling)",
    us: await time(() => {
      const d1 = token.indexOf(".");
      const d2 = token.lastIndexOf(".");
      const mac = createHmac("sha256", key).update(token.slice(0, d2)).digest();
      const given = Buffer.from(token.slice(d2 + 1), "base64url");
      if (!timingSafeEqual(mac, given)) throw new Error("bad signature");
      return JSON.parse(Buffer.from(token.slice(d1 + 1, d2), "base64url").toString());
    }),
  });
  prims.push({
    what: "user by id: drizzle select().where().get(), not prepared",
    us: await time(() => ctx.db.select().from(users).where(eq(users.id, userId)).get()),
  });
  const prepared = ctx.db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .prepare();
  prims.push({
    what: "user by id: drizzle .prepare() with sql.placeholder",
    us: await time(() => prepared.get({ id: userId })),
  });
  const sqlite: Database = ctx.sqlite;
  const cached = sqlite.query("SELECT * FROM users WHERE id = ?");
  prims.push({
    what: "user by id: bun:sqlite cached statement (ceiling)",
    us: await time(() => cached.get(userId)),
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

console.log(
  `in-process, ${N} sequential calls x 3 rounds (median), bun ${Bun.version}; µs per call, CPU / wall\n`,
);
const f = (t: Timing) => `${t.cpu} / ${t.wall}`;
console.log("| step | LOG_LEVEL=warn | LOG_LEVEL=silent |");
console.log("|---|---:|---:|");
for (const r of rows) console.log(`| ${r.step} | ${f(r.warn)} | ${f(r.silent)} |`);
console.log("\n| primitive | µs per call, CPU / wall |");
console.log("|---|---:|");
for (const p of prims) console.log(`| ${p.what} | ${f(p.us)} |`);
