/**
 * `npm run bench`: souk side by side with the bare ceiling (bench/ceiling.ts), in one run.
 *
 * 1. cold start: ms from spawn to the first 200 on /healthz, median of N spawns each on a fresh
 *    data dir (souk from source, the compiled binary, and the ceiling);
 * 2. starts souk (`bun src/index.ts serve`, temp DATA_DIR, LOG_LEVEL=warn, CRON_ENABLED=false) and
 *    the ceiling, bootstraps an admin, raises RATE_LIMIT_DEFAULT, registers a user;
 * 3. for every scenario loads the ceiling, then souk, with bench/load.ts in its own process, and
 *    samples each server's CPU time from /proc while it runs;
 *    the order lifecycle scenario runs whole lifecycles instead (bench/lifecycle.ts, once per
 *    --lifecycle-connections level) and reports orders per second;
 * 4. prints markdown tables and writes bench/results/latest.json.
 *
 *   npm run bench -- [--duration 10] [--warmup 2] [--connections 32] [--rate R] [--only me,healthz]
 *                    [--lifecycle-connections 8,32]
 *                    [--cold-runs 5] [--no-binary] [--no-cold] [--souk-env LOG_LEVEL=silent]
 *                    [--wait-idle 60] [--attempts 3] [--out bench/results/latest.json] [--keep-tmp]
 *
 *   npm run bench -- --only available-orders,lifecycle --no-cold     (the marketplace scenarios)
 *   npm run bench -- --only gateway-payin --no-cold                   (the payment gateway's pay-in)
 *
 * The generator and the server share the machine's cores, so before each measurement the run waits
 * (up to --wait-idle seconds) for other processes to go quiet, retries a measurement during which
 * they took more than a quarter of a core (up to --attempts), and reports the CPU they took anyway.
 *
 * To add a scenario, append to SCENARIOS (and give the ceiling the matching route in ROUTES of
 * bench/ceiling.ts); `setup` runs once before it is loaded, e.g. to buy minutes for the user.
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { explainSelection, GW_PAYIN_AMOUNT, GW_STORE_ID, seedGateway } from "./gateway-fixtures";
import { type LifecycleResult, type LifecycleSpec, runLifecycle, STEPS } from "./lifecycle";
import type { LoadResult, LoadSpec } from "./load";

const ROOT = join(import.meta.dir, "..");
const BUN = process.execPath;

// ---------------------------------------------------------------------------------------------
// Scenarios

type Req = {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. `{{n}}` / `{{uuid}}` are filled per request. */
  body?: unknown;
  /** The status every response must have (default 200). */
  expect?: number;
};

type Server = { name: string; base: string; proc: Subprocess; log: string };

type BenchCtx = {
  tmp: string;
  souk: Server & { adminToken: string; userToken: string; userId: number; dbPath: string };
  ceiling: Server & { userToken: string; dbPath: string };
  /** Authenticated request to souk as the bench user (for setup hooks). */
  soukCall(method: string, path: string, body?: unknown, token?: string): Promise<unknown>;
};

type RequestScenario = {
  kind?: "request";
  name: string;
  description: string;
  setup?: (ctx: BenchCtx) => Promise<void>;
  souk: (ctx: BenchCtx) => Req;
  ceiling: (ctx: BenchCtx) => Req;
};

/** Whole order lifecycles (bench/lifecycle.ts) against both servers, with the same users and tokens. */
type LifecycleScenario = {
  kind: "lifecycle";
  name: string;
  description: string;
  setup?: (ctx: BenchCtx) => Promise<void>;
  spec: (ctx: BenchCtx) => Omit<LifecycleSpec, "base" | "connections" | "durationSeconds" | "warmupSeconds">;
};

type Scenario = RequestScenario | LifecycleScenario;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Gives the bench user 100 million seconds in souk (the ceiling seeds the same grant itself). */
let granted = false;
async function grantBenchMinutes(ctx: BenchCtx) {
  if (granted) return;
  granted = true;
  await ctx.soukCall(
    "POST",
    `/api/v1/admin/users/${ctx.souk.userId}/minutes`,
    { seconds: 100_000_000, reason: "benchmark", validity_days: 365 },
    ctx.souk.adminToken,
  );
}

// ---------------------------------------------------------------------------------------------
// Marketplace fixtures: the same rows written straight into both databases (a second connection
// to souk's WAL database is fine), users through souk's API (the ceiling seeds users 1..1000, so
// the ids souk hands out name rows there too, and one token works on both servers).

/** Bench catalog ids, clear of anything souk creates itself. */
const SUBJECT0 = 1001;
const N_SUBJECTS = 20;
/** The available-orders expert is verified in the first EXPERT_SUBJECTS of the N_SUBJECTS. */
const EXPERT_SUBJECTS = 5;
const N_ORDERS = 10_000;
/** Only the lifecycle expert is verified here, so a created order notifies exactly one expert. */
const LIFECYCLE_SUBJECT = SUBJECT0 + N_SUBJECTS;
const WORK_TYPE0 = 1001;
const N_WORK_TYPES = 5;
const COMPLEXITY0 = 1001;
const N_COMPLEXITIES = 3;
const LIFECYCLE_PRICE = 10_000;

const market: {
  expert?: BenchUser;
  client?: BenchUser;
  lcClient?: BenchUser;
  lcExpert?: BenchUser;
} = {};

type BenchUser = { id: number; token: string; username: string };

/** Registers a souk user (and makes it an expert through the admin API); ids must stay <= 1000. */
async function benchUser(ctx: BenchCtx, username: string, expert = false): Promise<BenchUser> {
  const r = (await call(ctx.souk.base, "POST", "/api/v1/auth/register", {
    email: `${username.replaceAll("_", "-")}@bench.local`,
    password: `${username}-password`,
    username,
  })) as AuthResult;
  if (r.user.id > 1000) throw new Error("the ceiling seeds users 1..1000 only");
  if (expert)
    await call(
      ctx.souk.base,
      "POST",
      `/api/v1/admin/users/${r.user.id}/role`,
      { role: "expert" },
      ctx.souk.adminToken,
    );
  return { id: r.user.id, token: r.access_token, username };
}

/** One immediate transaction on `path` through its own connection. */
function inDb(path: string, fn: (db: Database) => void) {
  const db = new Database(path, { strict: true });
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA foreign_keys = ON");
    db.transaction(() => fn(db)).immediate();
  } finally {
    db.close();
  }
}

/** Subjects, work types and complexities with fixed ids (idempotent). */
function seedCatalog(db: Database, now: number) {
  const put = (table: string, id0: number, n: number, label: string) => {
    const ins = db.prepare(
      `INSERT OR IGNORE INTO ${table} (id, name, description, is_active, sort_order, created_at, updated_at)
       VALUES (?, ?, NULL, 1, ?, ?, ?)`,
    );
    for (let i = 0; i < n; i++) ins.run(id0 + i, `${label} ${i + 1}`, i, now, now);
  };
  put("subjects", SUBJECT0, N_SUBJECTS + 1, "Bench subject");
  put("work_types", WORK_TYPE0, N_WORK_TYPES, "Bench work type");
  put("complexities", COMPLEXITY0, N_COMPLEXITIES, "Bench complexity");
}

/**
 * The user as souk has it: the ceiling's seeded row gets the username (and the role, which souk got
 * through its admin API); an expert gets an active profile and verified specializations.
 */
function seedUser(db: Database, side: "souk" | "ceiling", u: BenchUser, now: number, subjects?: number[]) {
  if (side === "ceiling") {
    db.prepare("UPDATE users SET username = ?, role = ? WHERE id = ?").run(
      u.username,
      subjects ? "expert" : "client",
      u.id,
    );
  }
  if (!subjects) return;
  db.prepare(
    `INSERT OR REPLACE INTO expert_profiles (user_id, is_active, suspended_reason, approved_at, updated_at)
     VALUES (?, 1, NULL, ?, ?)`,
  ).run(u.id, now, now);
  const spec = db.prepare(
    `INSERT OR IGNORE INTO expert_specializations (user_id, subject_id, is_verified, verified_at, created_at)
     VALUES (?, ?, 1, ?, ?)`,
  );
  for (const s of subjects) spec.run(u.id, s, now, now);
}

/** N_ORDERS new orders of `clientId` over N_SUBJECTS subjects, created over the last 30 days (seeded PRNG). */
function seedOrders(db: Database, clientId: number, now: number) {
  // mulberry32: the same sequence on both sides.
  let seed = 42;
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ins = db.prepare(
    `INSERT INTO orders (kind, status, client_id, title, description, subject_id, work_type_id, complexity_id,
       deadline, budget, currency, escrow_amount, sla_due_at, created_at, updated_at)
     VALUES ('work', 'new', ?, ?, ?, ?, ?, ?, ?, ?, 'RUB', 0, ?, ?, ?)`,
  );
  for (let i = 1; i <= N_ORDERS; i++) {
    const created = now - Math.floor(rnd() * 30 * 86_400_000);
    const deadline = now + Math.floor((1 + rnd() * 29) * 86_400_000);
    ins.run(
      clientId,
      `Bench order ${i}: coursework`,
      "A seeded order for the available-orders benchmark.",
      SUBJECT0 + Math.floor(rnd() * N_SUBJECTS),
      WORK_TYPE0 + Math.floor(rnd() * N_WORK_TYPES),
      COMPLEXITY0 + Math.floor(rnd() * N_COMPLEXITIES),
      deadline,
      100 * (10 + Math.floor(rnd() * 990)),
      deadline,
      created,
      created,
    );
  }
}

/** Credits the user's wallet as a provider payment would: provider clearing (may go negative) -> available. */
function fundWallet(db: Database, userId: number, amount: number, now: number) {
  const account = db.prepare<{ id: number }, [string, string, string, number, number, number]>(
    `INSERT INTO ledger_accounts (owner_type, owner_id, kind, currency, balance, allow_negative, created_at)
     VALUES (?, ?, ?, 'RUB', ?, ?, ?)
     ON CONFLICT (owner_type, owner_id, kind, currency) DO UPDATE SET balance = balance + excluded.balance
     RETURNING id`,
  );
  const from = account.get("provider", "bench", "clearing", -amount, 1, now)!;
  const to = account.get("user", String(userId), "available", amount, 0, now)!;
  db.prepare(
    `INSERT INTO ledger_transfers (debit_account_id, credit_account_id, amount, currency, kind, reference_type,
       reference_id, idempotency_key, metadata, created_at)
     VALUES (?, ?, ?, 'RUB', 'payment', NULL, NULL, ?, '{}', ?)`,
  ).run(from.id, to.id, amount, `bench-fund:${userId}:${now}`, now);
}

/** Runs `fn` once on each side's database. */
function seedBoth(ctx: BenchCtx, fn: (db: Database, side: "souk" | "ceiling", now: number) => void) {
  const now = Date.now();
  inDb(ctx.souk.dbPath, (db) => fn(db, "souk", now));
  inDb(ctx.ceiling.dbPath, (db) => fn(db, "ceiling", now));
}

async function seedAvailableOrders(ctx: BenchCtx) {
  if (market.expert) return;
  market.expert = await benchUser(ctx, "bench_expert", true);
  market.client = await benchUser(ctx, "bench_client");
  const subjects = Array.from({ length: EXPERT_SUBJECTS }, (_, i) => SUBJECT0 + i);
  seedBoth(ctx, (db, side, now) => {
    seedCatalog(db, now);
    seedUser(db, side, market.client!, now);
    seedUser(db, side, market.expert!, now, subjects);
    seedOrders(db, market.client!.id, now);
  });
}

async function seedLifecycle(ctx: BenchCtx) {
  if (market.lcClient) return;
  market.lcClient = await benchUser(ctx, "bench_lc_client");
  market.lcExpert = await benchUser(ctx, "bench_lc_expert", true);
  seedBoth(ctx, (db, side, now) => {
    seedCatalog(db, now);
    seedUser(db, side, market.lcClient!, now);
    seedUser(db, side, market.lcExpert!, now, [LIFECYCLE_SUBJECT]);
    // Far more than any run spends (price 100.00 per order).
    fundWallet(db, market.lcClient!.id, 1e13, now);
  });
}

// ---------------------------------------------------------------------------------------------
// Payment gateway fixtures (bench/gateway-fixtures.ts): a merchant through souk's API, the rest
// (rate, store, 1,000 traders with deposits, 5,000 requisites) straight into both databases.

const gateway: { merchant?: BenchUser } = {};

async function seedGatewayPayin(ctx: BenchCtx) {
  if (gateway.merchant) return;
  const merchant = await benchUser(ctx, "bench_merchant");
  await call(
    ctx.souk.base,
    "POST",
    `/api/v1/admin/users/${merchant.id}/role`,
    { role: "merchant" },
    ctx.souk.adminToken,
  );
  gateway.merchant = merchant;
  seedBoth(ctx, (db, side, now) => {
    if (side === "ceiling")
      db.prepare("UPDATE users SET username = ?, role = 'merchant' WHERE id = ?").run(
        merchant.username,
        merchant.id,
      );
    seedGateway(db, merchant.id, now);
  });
  const db = new Database(ctx.souk.dbPath, { readonly: true });
  try {
    console.error(`gateway-payin: selection plan on souk's database\n  ${explainSelection(db).join("\n  ")}`);
  } finally {
    db.close();
  }
}

/**
 * One pay-in per request: a new client order id each time, and a customer id of its own (the
 * velocity check counts that customer's orders on its index and never reaches its limit).
 */
const payinRequest = (): Req => ({
  method: "POST",
  path: "/api/v1/gateway/payin",
  headers: bearer(gateway.merchant!.token),
  body: {
    store_id: GW_STORE_ID,
    amount: GW_PAYIN_AMOUNT,
    currency: "RUB",
    client_order_id: "bench-{{uuid}}",
    customer_id: "customer-{{n}}",
  },
  expect: 201,
});

const SCENARIOS: Scenario[] = [
  {
    name: "GET /me",
    description: "verify the access JWT, one point read of the user, JSON",
    souk: (ctx) => ({ path: "/api/v1/me", headers: bearer(ctx.souk.userToken) }),
    ceiling: (ctx) => ({ path: "/api/v1/me", headers: bearer(ctx.ceiling.userToken) }),
  },
  {
    name: "GET /healthz",
    description: "SELECT 1 and a small JSON body: the cost of the middleware stack without auth",
    souk: () => ({ path: "/healthz" }),
    ceiling: () => ({ path: "/healthz" }),
  },
  {
    name: "GET /users/me/balance",
    description: "JWT, sums of grants and holds, the active grants, the wallet",
    setup: grantBenchMinutes,
    souk: (ctx) => ({ path: "/api/v1/users/me/balance", headers: bearer(ctx.souk.userToken) }),
    ceiling: (ctx) => ({ path: "/api/v1/users/me/balance", headers: bearer(ctx.ceiling.userToken) }),
  },
  {
    name: "POST /usage/record",
    description:
      "JWT; claim the id, debit grants in spend order, usage + allocation + event rows (ceiling: a transaction per request; souk: a savepoint per request in a group commit)",
    setup: grantBenchMinutes,
    souk: (ctx) => ({
      method: "POST",
      path: "/api/v1/usage/record",
      headers: { ...bearer(ctx.souk.userToken), "content-type": "application/json" },
      body: { id: "bench-{{uuid}}", seconds: 7 },
      expect: 201,
    }),
    ceiling: (ctx) => ({
      method: "POST",
      path: "/api/v1/usage/record",
      headers: { ...bearer(ctx.ceiling.userToken), "content-type": "application/json" },
      body: { id: "bench-{{uuid}}", seconds: 7 },
      expect: 201,
    }),
  },
  {
    name: "GET /experts/dashboard/available-orders",
    description: `JWT, role, count + first page of 20 (joins subject, work type, complexity, client) among ${N_ORDERS.toLocaleString("en-US")} new orders in ${N_SUBJECTS} subjects, expert verified in ${EXPERT_SUBJECTS}`,
    setup: seedAvailableOrders,
    souk: () => ({
      path: "/api/v1/experts/dashboard/available-orders",
      headers: bearer(market.expert!.token),
    }),
    ceiling: () => ({
      path: "/api/v1/experts/dashboard/available-orders",
      headers: bearer(market.expert!.token),
    }),
  },
  {
    kind: "lifecycle",
    name: "order lifecycle",
    description:
      "create -> take -> set-price -> pay -> start -> complete -> accept, 7 requests per order, each step one write transaction (order, event, notification; ledger on pay and accept)",
    setup: seedLifecycle,
    spec: () => ({
      clientToken: market.lcClient!.token,
      expertToken: market.lcExpert!.token,
      subjectId: LIFECYCLE_SUBJECT,
      price: LIFECYCLE_PRICE,
    }),
  },
  {
    name: "gateway-payin: POST /gateway/payin",
    description:
      "JWT + merchant role; store, idempotency and rate reads; fraud velocity on its index; order + event + audit; selection among 5,000 requisites of 1,000 traders (souk's query, first that passes); ledger hold; requisite counters; assigned + event + audit (ceiling: a transaction per request; souk: a savepoint per pay-in in a group commit)",
    setup: seedGatewayPayin,
    souk: payinRequest,
    ceiling: payinRequest,
  },
];

// ---------------------------------------------------------------------------------------------
// Processes

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

/** Only what the servers need: nothing inherited from the caller's DATABASE_URL, JWT_SECRET, … */
function baseEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  if (process.env.HOME) env.HOME = process.env.HOME;
  return { ...env, ...extra };
}

async function waitHealthy(base: string, proc: Subprocess, timeoutMs = 15_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (proc.exitCode !== null) throw new Error(`${base}: process exited with ${proc.exitCode}`);
    try {
      const res = await fetch(`${base}/healthz`);
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - t0;
    } catch {
      // not listening yet
    }
    await sleep(2);
  }
  throw new Error(`${base}/healthz did not answer 200 within ${timeoutMs} ms`);
}

async function stop(proc: Subprocess) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const done = await Promise.race([proc.exited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) proc.kill("SIGKILL");
}

const running = new Set<Subprocess>();

function spawnServer(cmd: string[], env: Record<string, string>, log: string): Subprocess {
  const proc = Bun.spawn(cmd, { cwd: ROOT, env, stdout: Bun.file(log), stderr: Bun.file(`${log}.err`) });
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  return proc;
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements

const CLK_TCK = (() => {
  try {
    const r = Bun.spawnSync(["getconf", "CLK_TCK"]);
    return Number(r.stdout.toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system, all threads) a process has used, or null off Linux. */
function cpuSeconds(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine spent busy (all cores), or null off Linux. */
function machineBusySeconds(): number | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Share of one core used by processes other than this one over `ms` (before a run: is the machine idle?). */
async function otherCpuPct(ms: number): Promise<number | null> {
  const m0 = machineBusySeconds();
  const s0 = cpuSeconds(process.pid);
  await sleep(ms);
  const m1 = machineBusySeconds();
  const s1 = cpuSeconds(process.pid);
  if (m0 === null || m1 === null || s0 === null || s1 === null) return null;
  return Math.max(0, Math.round(((m1 - m0 - (s1 - s0)) / (ms / 1000)) * 100));
}

/** Waits up to `maxSeconds` for other processes to go quiet (a shared machine); returns the last reading. */
async function waitIdle(maxSeconds: number): Promise<number | null> {
  const deadline = performance.now() + maxSeconds * 1000;
  let pct = await otherCpuPct(500);
  while (pct !== null && pct > NOISY_PCT && performance.now() < deadline) {
    console.error(`  waiting for the machine to go idle (others use ${pct}% of a core)…`);
    pct = await otherCpuPct(2000);
  }
  return pct;
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

type Measured<R extends LoadResult = LoadResult> = R & {
  /** Share of one core the server used during the measured window. */
  server_cpu_pct: number | null;
  /** Server CPU time per request: independent of how fast the generator is. */
  server_cpu_us_per_req: number | null;
  generator_cpu_pct: number | null;
  /** CPU used by everything else on the machine meanwhile (other users' jobs skew the numbers). */
  other_cpu_pct: number | null;
};

type LoadOpts = { connections: number; durationSeconds: number; warmupSeconds: number; rate?: number };

function toSpec(base: string, r: Req, o: LoadOpts): LoadSpec {
  const headers = { ...(r.headers ?? {}) };
  let body: string | undefined;
  if (r.body !== undefined) {
    body = typeof r.body === "string" ? r.body : JSON.stringify(r.body);
    if (typeof r.body !== "string") headers["content-type"] ??= "application/json";
  }
  return {
    url: `${base}${r.path}`,
    method: r.method ?? "GET",
    headers,
    body,
    expect: r.expect ?? 200,
    ...o,
  };
}

/** One request first, so a wrong scenario fails loudly instead of timing 10 s of errors. */
async function probe(spec: LoadSpec) {
  const fill = (s: string) => s.replaceAll("{{n}}", "0").replaceAll("{{uuid}}", crypto.randomUUID());
  const res = await fetch(spec.url, {
    method: spec.method,
    headers: Object.fromEntries(Object.entries(spec.headers ?? {}).map(([k, v]) => [k, fill(v)])),
    body: spec.body === undefined ? undefined : fill(spec.body),
  });
  const text = await res.text();
  if (res.status !== spec.expect) {
    throw new Error(
      `${spec.method} ${spec.url} -> ${res.status} (expected ${spec.expect}): ${text.slice(0, 300)}`,
    );
  }
}

async function load(server: Server, spec: LoadSpec): Promise<Measured> {
  await probe(spec);
  return generate<LoadResult>(server, "bench/load.ts", spec);
}

/** One lifecycle first (fails loudly on a wrong setup), then the lifecycle generator. */
async function loadLifecycles(server: Server, spec: LifecycleSpec): Promise<Measured<LifecycleResult>> {
  await runLifecycle(spec, 0).catch((e) => {
    throw new Error(`${server.name}: order lifecycle: ${(e as Error).message}`);
  });
  return generate<LifecycleResult>(server, "bench/lifecycle.ts", spec);
}

/** Runs a generator script (`--spec <json>`, one result on stdout) while sampling CPU from /proc. */
async function generate<R extends LoadResult>(
  server: Server,
  script: string,
  spec: unknown,
): Promise<Measured<R>> {
  const gen = Bun.spawn([BUN, join(ROOT, script), "--spec", JSON.stringify(spec)], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  running.add(gen);
  // Sample both processes' CPU time; keep the samples nearest the measured window.
  type Sample = {
    t: number;
    server: number | null;
    gen: number | null;
    self: number | null;
    all: number | null;
  };
  const samples: Sample[] = [];
  const t0 = Date.now();
  const sampler = setInterval(() => {
    samples.push({
      t: Date.now(),
      server: cpuSeconds(server.proc.pid),
      gen: cpuSeconds(gen.pid),
      self: cpuSeconds(process.pid),
      all: machineBusySeconds(),
    });
  }, 100);
  const [out, err, code] = await Promise.all([
    new Response(gen.stdout).text(),
    new Response(gen.stderr).text(),
    gen.exited,
  ]);
  clearInterval(sampler);
  running.delete(gen);
  if (code !== 0) throw new Error(`load generator failed (${code}): ${err}`);
  const r = JSON.parse(out) as R;

  // The generator starts measuring ~warm-up after it boots (~50 ms after spawn); a 100 ms sampling
  // grid over a 10 s window keeps the error near 1%.
  const from = t0 + r.warmup_s * 1000 + 50;
  const to = from + r.duration_s * 1000;
  const near = (t: number) =>
    samples.reduce((a, b) => (Math.abs(b.t - t) < Math.abs(a.t - t) ? b : a), samples[0]!);
  let serverPct: number | null = null;
  let genPct: number | null = null;
  let otherPct: number | null = null;
  let usPerReq: number | null = null;
  if (samples.length > 2) {
    const a = near(from);
    const b = near(to);
    const secs = (b.t - a.t) / 1000;
    if (a.server !== null && b.server !== null && secs > 0) {
      serverPct = Math.round(((b.server - a.server) / secs) * 100);
      usPerReq = r.rps > 0 ? Math.round(((b.server - a.server) / secs / r.rps) * 1e6 * 10) / 10 : null;
    }
    if (a.gen !== null && b.gen !== null && secs > 0) genPct = Math.round(((b.gen - a.gen) / secs) * 100);
    if (
      [a.server, b.server, a.gen, b.gen, a.self, b.self, a.all, b.all].every((x) => x !== null) &&
      secs > 0
    ) {
      const ours = b.server! - a.server! + (b.gen! - a.gen!) + (b.self! - a.self!);
      otherPct = Math.max(0, Math.round(((b.all! - a.all! - ours) / secs) * 100));
    }
  }
  return {
    ...r,
    server_cpu_pct: serverPct,
    server_cpu_us_per_req: usPerReq,
    generator_cpu_pct: genPct,
    other_cpu_pct: otherPct,
  };
}

/** Above this share of a core taken by other processes, a measurement is retried. */
const NOISY_PCT = 25;

/**
 * Loads one target, retrying (up to `attempts`) while other processes took more than NOISY_PCT of a
 * core during the window; keeps the quietest attempt. A write scenario may so run more than once:
 * its setup must provide for `attempts` runs.
 */
async function measure<R extends LoadResult>(
  label: string,
  run: () => Promise<Measured<R>>,
  opts: { waitIdle: number; attempts: number },
): Promise<Measured<R>> {
  let best: Measured<R> | null = null;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    await waitIdle(opts.waitIdle);
    console.error(`${label}${attempt > 1 ? ` (attempt ${attempt})` : ""}…`);
    const m = await run();
    if (!best || (m.other_cpu_pct ?? 0) < (best.other_cpu_pct ?? 0)) best = m;
    if ((m.other_cpu_pct ?? 0) <= NOISY_PCT) break;
    console.error(`  other processes took ${m.other_cpu_pct}% of a core meanwhile`);
  }
  return best!;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Spawns `cmd` runs times, each on a fresh data dir; ms from spawn to the first 200 on /healthz. */
async function coldStart(
  label: string,
  cmd: string[],
  envFor: (dir: string, port: number) => Record<string, string>,
  tmp: string,
  runs: number,
) {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = join(tmp, `cold-${label}-${i}`);
    mkdirSync(dir, { recursive: true });
    const port = freePort();
    const log = join(dir, "server.log");
    const t0 = performance.now();
    const proc = spawnServer(cmd, baseEnv(envFor(dir, port)), log);
    try {
      await waitHealthy(`http://127.0.0.1:${port}`, proc, 10_000);
      ms.push(Math.round(performance.now() - t0));
    } catch (e) {
      throw new Error(`${label}: ${(e as Error).message}\n${tail(`${log}.err`)}`);
    } finally {
      await stop(proc);
    }
  }
  return { median_ms: median(ms), runs_ms: ms };
}

// ---------------------------------------------------------------------------------------------
// souk bootstrap

async function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? bearer(token) : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

type AuthResult = { user: { id: number }; access_token: string };

// ---------------------------------------------------------------------------------------------
// main

function parseOpts() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      connections: { type: "string", default: "32" },
      // Open loop at this many requests/s (bench/load.ts): latency at a given rate.
      rate: { type: "string" },
      "lifecycle-connections": { type: "string", default: "8,32" },
      only: { type: "string" },
      "cold-runs": { type: "string", default: "5" },
      "no-binary": { type: "boolean", default: false },
      "no-cold": { type: "boolean", default: false },
      "keep-tmp": { type: "boolean", default: false },
      "souk-env": { type: "string", multiple: true },
      out: { type: "string", default: join(ROOT, "bench/results/latest.json") },
      "wait-idle": { type: "string", default: "60" },
      attempts: { type: "string", default: "3" },
    },
  });
  const soukEnv: Record<string, string> = {};
  for (const kv of values["souk-env"] ?? []) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new Error(`--souk-env wants KEY=VALUE, got ${kv}`);
    soukEnv[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const only = values.only?.split(",").map((s) => s.trim().toLowerCase());
  return {
    load: {
      connections: Number(values.connections),
      durationSeconds: Number(values.duration),
      warmupSeconds: Number(values.warmup),
      ...(values.rate ? { rate: Number(values.rate) } : {}),
    } satisfies LoadOpts,
    lifecycleConnections: values["lifecycle-connections"].split(",").map((s) => Number(s.trim())),
    coldRuns: Number(values["cold-runs"]),
    waitIdle: Number(values["wait-idle"]),
    attempts: Math.max(1, Number(values.attempts)),
    binary: !values["no-binary"],
    cold: !values["no-cold"],
    keepTmp: values["keep-tmp"],
    soukEnv,
    out: values.out,
    scenarios: only ? SCENARIOS.filter((s) => only.some((o) => s.name.toLowerCase().includes(o))) : SCENARIOS,
  };
}

function machine() {
  const nproc = (() => {
    try {
      return Number(Bun.spawnSync(["nproc"]).stdout.toString().trim());
    } catch {
      return cpus().length;
    }
  })();
  return {
    nproc,
    cpu_model: cpus()[0]?.model ?? "unknown",
    bun: Bun.version,
    bun_revision: Bun.revision.slice(0, 9),
    os: `${process.platform} ${release()}`,
  };
}

const fmt = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined ? "–" : x.toLocaleString("en-US", { maximumFractionDigits: digits });

async function main() {
  const opts = parseOpts();
  const tmp = mkdtempSync(join(tmpdir(), "souk-bench-"));
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
  const soukEnv = (dir: string, port: number) => ({
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dir,
    LOG_LEVEL: "warn",
    CRON_ENABLED: "false",
    NODE_ENV: "production",
    JWT_SECRET: secret,
    // One token for the whole run (the default 15 min could lapse in a long run).
    ACCESS_TOKEN_TTL_SECONDS: "86400",
    ...opts.soukEnv,
  });
  const ceilingEnv = (dir: string, port: number) => ({
    PORT: String(port),
    HOST: "127.0.0.1",
    CEILING_DB: join(dir, "ceiling.db"),
    JWT_SECRET: secret,
  });
  const soukCmd = [BUN, "src/index.ts", "serve"];
  const ceilingCmd = [BUN, "bench/ceiling.ts"];
  const m = machine();
  console.error(`souk bench: ${m.nproc} cores, bun ${m.bun}, ${m.cpu_model}; temp dir ${tmp}`);
  // The generator and the server share the cores: anything else running skews both.
  const idleCheck = await waitIdle(opts.waitIdle);
  if (idleCheck !== null && idleCheck > NOISY_PCT) {
    console.error(
      `warning: other processes use ${idleCheck}% of a core; numbers will be lower than on an idle machine`,
    );
  }

  try {
    // 1. cold start, while nothing else runs
    const cold: Record<string, { median_ms: number; runs_ms: number[] }> = {};
    if (opts.cold) {
      console.error(`cold start: ${opts.coldRuns} spawns each…`);
      cold["souk (bun src/index.ts)"] = await coldStart("souk", soukCmd, soukEnv, tmp, opts.coldRuns);
      if (opts.binary) {
        const bin = join(tmp, "souk-bin");
        const b = Bun.spawnSync(
          [
            BUN,
            "build",
            "src/index.ts",
            "src/db/checkpoint-worker.ts",
            "--compile",
            "--minify",
            "--sourcemap",
            "--outfile",
            bin,
          ],
          { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
        );
        if (b.exitCode !== 0) throw new Error(`bun build --compile failed: ${b.stderr.toString()}`);
        cold["souk (compiled binary)"] = await coldStart("bin", [bin, "serve"], soukEnv, tmp, opts.coldRuns);
      }
      cold.ceiling = await coldStart("ceiling", ceilingCmd, ceilingEnv, tmp, opts.coldRuns);
    }

    // 2. the two servers
    const soukDir = join(tmp, "souk");
    const soukBase = `http://127.0.0.1:${freePort()}`;
    const soukLog = join(tmp, "souk.log");
    const soukProc = spawnServer(soukCmd, baseEnv(soukEnv(soukDir, Number(new URL(soukBase).port))), soukLog);
    const ceilDir = join(tmp, "ceiling");
    mkdirSync(ceilDir, { recursive: true });
    const ceilBase = `http://127.0.0.1:${freePort()}`;
    const ceilLog = join(tmp, "ceiling.log");
    const ceilProc = spawnServer(
      ceilingCmd,
      baseEnv(ceilingEnv(ceilDir, Number(new URL(ceilBase).port))),
      ceilLog,
    );
    await waitHealthy(soukBase, soukProc).catch((e) => {
      throw new Error(`souk: ${(e as Error).message}\n${tail(`${soukLog}.err`)}`);
    });
    await waitHealthy(ceilBase, ceilProc).catch((e) => {
      throw new Error(`ceiling: ${(e as Error).message}\n${tail(`${ceilLog}.err`)}`);
    });

    const admin = (await call(soukBase, "POST", "/api/v1/auth/bootstrap-admin", {
      email: "bench-admin@bench.local",
      password: "bench-admin-password",
    })) as AuthResult;
    // The bench measures the server, not the limiter refusing it.
    await call(
      soukBase,
      "PATCH",
      "/api/v1/admin/system/settings",
      { RATE_LIMIT_DEFAULT: "100000000/minute", RATE_LIMIT_AUTH: "100000/minute" },
      admin.access_token,
    );
    const user = (await call(soukBase, "POST", "/api/v1/auth/register", {
      email: "bench-user@bench.local",
      password: "bench-user-password",
    })) as AuthResult;
    if (user.user.id > 1000) throw new Error("the ceiling seeds users 1..1000 only");

    const ctx: BenchCtx = {
      tmp,
      souk: {
        name: "souk",
        base: soukBase,
        proc: soukProc,
        log: soukLog,
        adminToken: admin.access_token,
        userToken: user.access_token,
        userId: user.user.id,
        dbPath: join(soukDir, "souk.db"),
      },
      // Same secret, same claims: the ceiling verifies souk's own token and reads its user id.
      ceiling: {
        name: "ceiling",
        base: ceilBase,
        proc: ceilProc,
        log: ceilLog,
        userToken: user.access_token,
        dbPath: join(ceilDir, "ceiling.db"),
      },
      soukCall: (method, path, body, token) => call(soukBase, method, path, body, token ?? user.access_token),
    };

    // 3. scenarios
    const results: {
      name: string;
      description: string;
      ceiling: Measured;
      souk: Measured;
      ratio: number;
      cpu_ratio: number | null;
    }[] = [];
    const lifecycles: {
      name: string;
      description: string;
      connections: number;
      ceiling: Measured<LifecycleResult>;
      souk: Measured<LifecycleResult>;
      ratio: number;
      cpu_ratio: number | null;
    }[] = [];
    const ratios = (c: Measured<LoadResult>, s: Measured<LoadResult>) => ({
      ratio: c.rps ? Math.round((s.rps / c.rps) * 1000) / 1000 : 0,
      cpu_ratio:
        c.server_cpu_us_per_req && s.server_cpu_us_per_req
          ? Math.round((c.server_cpu_us_per_req / s.server_cpu_us_per_req) * 1000) / 1000
          : null,
    });
    for (const sc of opts.scenarios) {
      await sc.setup?.(ctx);
      if (sc.kind === "lifecycle") {
        for (const connections of opts.lifecycleConnections) {
          const spec = (base: string): LifecycleSpec => ({
            ...sc.spec(ctx),
            base,
            connections,
            durationSeconds: opts.load.durationSeconds,
            warmupSeconds: opts.load.warmupSeconds,
          });
          const label = `${sc.name} (${connections} workers)`;
          const c = await measure(
            `${label}: ceiling`,
            () => loadLifecycles(ctx.ceiling, spec(ceilBase)),
            opts,
          );
          const s = await measure(`${label}: souk`, () => loadLifecycles(ctx.souk, spec(soukBase)), opts);
          lifecycles.push({
            name: sc.name,
            description: sc.description,
            connections,
            ceiling: c,
            souk: s,
            ...ratios(c, s),
          });
        }
        continue;
      }
      const cSpec = toSpec(ceilBase, sc.ceiling(ctx), opts.load);
      const c = await measure(`${sc.name}: ceiling`, () => load(ctx.ceiling, cSpec), opts);
      const sSpec = toSpec(soukBase, sc.souk(ctx), opts.load);
      const s = await measure(`${sc.name}: souk`, () => load(ctx.souk, sSpec), opts);
      results.push({
        name: sc.name,
        description: sc.description,
        ceiling: c,
        souk: s,
        ...ratios(c, s),
      });
    }
    const soukRss = rssMb(soukProc.pid);
    const ceilRss = rssMb(ceilProc.pid);

    // 4. report
    const lines = [
      `machine: ${m.nproc} cores (${m.cpu_model}), bun ${m.bun}, ${m.os}`,
      `load: ${opts.load.rate ? `open loop at ${opts.load.rate} req/s, at most ` : ""}${opts.load.connections} connections, ${opts.load.warmupSeconds} s warm-up + ${opts.load.durationSeconds} s measured, generator in its own process` +
        (Object.keys(opts.soukEnv).length ? `; souk env ${JSON.stringify(opts.soukEnv)}` : ""),
    ];
    if (results.length)
      lines.push(
        "",
        "| scenario | ceiling req/s | souk req/s | souk / ceiling | ceiling p50 / p99 ms | souk p50 / p99 ms | ceiling CPU µs/req | souk CPU µs/req | errors (c / s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ...results.map(
          (r) =>
            `| ${r.name} | ${fmt(r.ceiling.rps)} | ${fmt(r.souk.rps)} | ${Math.round(r.ratio * 100)}% | ` +
            `${fmt(r.ceiling.latency_ms.p50, 2)} / ${fmt(r.ceiling.latency_ms.p99, 2)} | ` +
            `${fmt(r.souk.latency_ms.p50, 2)} / ${fmt(r.souk.latency_ms.p99, 2)} | ` +
            `${fmt(r.ceiling.server_cpu_us_per_req, 1)} | ${fmt(r.souk.server_cpu_us_per_req, 1)} | ` +
            `${r.ceiling.errors} / ${r.souk.errors} |`,
        ),
      );
    if (lifecycles.length) {
      const steps = (r: LifecycleResult) => STEPS.map((st) => `${st} ${fmt(r.steps[st].p50, 2)}`).join(", ");
      lines.push(
        "",
        `| order lifecycle (${STEPS.join(" -> ")}) | workers | ceiling orders/s | souk orders/s | souk / ceiling | ceiling p50 / p99 ms per order | souk p50 / p99 ms per order | ceiling CPU µs/order | souk CPU µs/order | errors (c / s) |`,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ...lifecycles.map(
          (r) =>
            `| ${STEPS.length} requests per order | ${r.connections} | ${fmt(r.ceiling.rps, 1)} | ${fmt(r.souk.rps, 1)} | ${Math.round(r.ratio * 100)}% | ` +
            `${fmt(r.ceiling.latency_ms.p50, 1)} / ${fmt(r.ceiling.latency_ms.p99, 1)} | ` +
            `${fmt(r.souk.latency_ms.p50, 1)} / ${fmt(r.souk.latency_ms.p99, 1)} | ` +
            `${fmt(r.ceiling.server_cpu_us_per_req)} | ${fmt(r.souk.server_cpu_us_per_req)} | ` +
            `${r.ceiling.errors} / ${r.souk.errors} |`,
        ),
        "",
        "Per step, p50 ms: " +
          lifecycles
            .map((r) => `${r.connections} workers: ceiling ${steps(r.ceiling)}; souk ${steps(r.souk)}`)
            .join(" | "),
      );
    }
    const all = [
      ...results,
      ...lifecycles.map((r) => ({ ...r, name: `${r.name} (${r.connections} workers)` })),
    ];
    lines.push(
      "",
      "CPU during the measured window, % of one core (server / generator / other processes): " +
        all
          .map(
            (r) =>
              `${r.name}: ceiling ${fmt(r.ceiling.server_cpu_pct)}/${fmt(r.ceiling.generator_cpu_pct)}/${fmt(r.ceiling.other_cpu_pct)}, ` +
              `souk ${fmt(r.souk.server_cpu_pct)}/${fmt(r.souk.generator_cpu_pct)}/${fmt(r.souk.other_cpu_pct)}`,
          )
          .join("; "),
      `RSS after load: souk ${fmt(soukRss, 1)} MB, ceiling ${fmt(ceilRss, 1)} MB`,
    );
    if (opts.cold) {
      lines.push(
        "",
        `| cold start (spawn -> first 200 on /healthz, fresh data dir) | median ms | runs ms |`,
        "|---|---:|---|",
        ...Object.entries(cold).map(([k, v]) => `| ${k} | ${v.median_ms} | ${v.runs_ms.join(", ")} |`),
      );
    }
    console.log(lines.join("\n"));

    const report = {
      date: new Date().toISOString(),
      machine: m,
      config: {
        ...opts.load,
        lifecycle_connections: opts.lifecycleConnections,
        cold_runs: opts.coldRuns,
        souk_env: opts.soukEnv,
      },
      scenarios: results,
      lifecycles,
      rss_mb: { souk: soukRss, ceiling: ceilRss },
      other_cpu_pct_before: idleCheck,
      cold_start: cold,
    };
    mkdirSync(join(opts.out, ".."), { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    // bench/** is in biome's scope: leave the file as `biome check` wants it (best effort).
    const biome = join(ROOT, "node_modules/.bin/biome");
    if (existsSync(biome))
      Bun.spawnSync([biome, "format", "--write", opts.out], { stdout: "ignore", stderr: "ignore" });
    console.error(`wrote ${opts.out}`);
  } finally {
    await Promise.all([...running].map(stop));
    // --keep-tmp leaves both databases and the server logs for inspection.
    if (opts.keepTmp) console.error(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

let interrupted = false;
const onSignal = async () => {
  if (interrupted) return;
  interrupted = true;
  await Promise.all([...running].map(stop));
  process.exit(130);
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

await main().catch(async (e) => {
  console.error((e as Error).message);
  await Promise.all([...running].map(stop));
  process.exit(1);
});
