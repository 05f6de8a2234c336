/**
 * `npm run bench`: souk side by side with the bare ceiling (bench/ceiling.ts), in one run.
 *
 * 1. cold start: ms from spawn to the first 200 on /healthz, median of N spawns each on a fresh
 *    data dir (souk from source, the compiled binary, and the ceiling);
 * 2. starts souk (`bun src/index.ts serve`, temp DATA_DIR, LOG_LEVEL=warn, CRON_ENABLED=false) and
 *    the ceiling, bootstraps an admin, raises RATE_LIMIT_DEFAULT, registers a user;
 * 3. for every scenario loads the ceiling, then souk, with bench/load.ts in its own process, and
 *    samples each server's CPU time from /proc while it runs;
 * 4. prints a markdown table and writes bench/results/latest.json.
 *
 *   npm run bench -- [--duration 10] [--warmup 2] [--connections 32] [--only me,healthz]
 *                    [--cold-runs 5] [--no-binary] [--no-cold] [--souk-env LOG_LEVEL=silent]
 *                    [--wait-idle 60] [--attempts 3] [--out bench/results/latest.json]
 *
 * The generator and the server share the machine's cores, so before each measurement the run waits
 * (up to --wait-idle seconds) for other processes to go quiet, retries a measurement during which
 * they took more than a quarter of a core (up to --attempts), and reports the CPU they took anyway.
 *
 * To add a scenario, append to SCENARIOS (and give the ceiling the matching route in ROUTES of
 * bench/ceiling.ts); `setup` runs once before it is loaded, e.g. to buy minutes for the user.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
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
  souk: Server & { adminToken: string; userToken: string; userId: number };
  ceiling: Server & { userToken: string };
  /** Authenticated request to souk as the bench user (for setup hooks). */
  soukCall(method: string, path: string, body?: unknown, token?: string): Promise<unknown>;
};

type Scenario = {
  name: string;
  description: string;
  setup?: (ctx: BenchCtx) => Promise<void>;
  souk: (ctx: BenchCtx) => Req;
  ceiling: (ctx: BenchCtx) => Req;
};

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
      "JWT, one write transaction: claim the id, debit grants in spend order, usage + allocation + event rows",
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

type Measured = LoadResult & {
  /** Share of one core the server used during the measured window. */
  server_cpu_pct: number | null;
  /** Server CPU time per request: independent of how fast the generator is. */
  server_cpu_us_per_req: number | null;
  generator_cpu_pct: number | null;
  /** CPU used by everything else on the machine meanwhile (other users' jobs skew the numbers). */
  other_cpu_pct: number | null;
};

type LoadOpts = { connections: number; durationSeconds: number; warmupSeconds: number };

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
  const gen = Bun.spawn([BUN, join(ROOT, "bench/load.ts"), "--spec", JSON.stringify(spec)], {
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
  const r = JSON.parse(out) as LoadResult;

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
async function measure(
  label: string,
  server: Server,
  spec: LoadSpec,
  opts: { waitIdle: number; attempts: number },
): Promise<Measured> {
  let best: Measured | null = null;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    await waitIdle(opts.waitIdle);
    console.error(`${label}${attempt > 1 ? ` (attempt ${attempt})` : ""}…`);
    const m = await load(server, spec);
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
      only: { type: "string" },
      "cold-runs": { type: "string", default: "5" },
      "no-binary": { type: "boolean", default: false },
      "no-cold": { type: "boolean", default: false },
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
    } satisfies LoadOpts,
    coldRuns: Number(values["cold-runs"]),
    waitIdle: Number(values["wait-idle"]),
    attempts: Math.max(1, Number(values.attempts)),
    binary: !values["no-binary"],
    cold: !values["no-cold"],
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
          [BUN, "build", "src/index.ts", "--compile", "--minify", "--sourcemap", "--outfile", bin],
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
      { RATE_LIMIT_DEFAULT: "100000000/minute" },
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
      },
      // Same secret, same claims: the ceiling verifies souk's own token and reads its user id.
      ceiling: {
        name: "ceiling",
        base: ceilBase,
        proc: ceilProc,
        log: ceilLog,
        userToken: user.access_token,
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
    for (const sc of opts.scenarios) {
      await sc.setup?.(ctx);
      const c = await measure(
        `${sc.name}: ceiling`,
        ctx.ceiling,
        toSpec(ceilBase, sc.ceiling(ctx), opts.load),
        opts,
      );
      const s = await measure(`${sc.name}: souk`, ctx.souk, toSpec(soukBase, sc.souk(ctx), opts.load), opts);
      results.push({
        name: sc.name,
        description: sc.description,
        ceiling: c,
        souk: s,
        ratio: c.rps ? Math.round((s.rps / c.rps) * 1000) / 1000 : 0,
        cpu_ratio:
          c.server_cpu_us_per_req && s.server_cpu_us_per_req
            ? Math.round((c.server_cpu_us_per_req / s.server_cpu_us_per_req) * 1000) / 1000
            : null,
      });
    }
    const soukRss = rssMb(soukProc.pid);
    const ceilRss = rssMb(ceilProc.pid);

    // 4. report
    const lines = [
      `machine: ${m.nproc} cores (${m.cpu_model}), bun ${m.bun}, ${m.os}`,
      `load: ${opts.load.connections} connections, ${opts.load.warmupSeconds} s warm-up + ${opts.load.durationSeconds} s measured, generator in its own process` +
        (Object.keys(opts.soukEnv).length ? `; souk env ${JSON.stringify(opts.soukEnv)}` : ""),
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
      "",
      "CPU during the measured window, % of one core (server / generator / other processes): " +
        results
          .map(
            (r) =>
              `${r.name}: ceiling ${fmt(r.ceiling.server_cpu_pct)}/${fmt(r.ceiling.generator_cpu_pct)}/${fmt(r.ceiling.other_cpu_pct)}, ` +
              `souk ${fmt(r.souk.server_cpu_pct)}/${fmt(r.souk.generator_cpu_pct)}/${fmt(r.souk.other_cpu_pct)}`,
          )
          .join("; "),
      `RSS after load: souk ${fmt(soukRss, 1)} MB, ceiling ${fmt(ceilRss, 1)} MB`,
    ];
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
      config: { ...opts.load, cold_runs: opts.coldRuns, souk_env: opts.soukEnv },
      scenarios: results,
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
    rmSync(tmp, { recursive: true, force: true });
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
