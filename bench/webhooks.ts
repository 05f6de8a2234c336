/**
 * Outgoing webhooks under load: does delivering ~1,000 webhooks/s to a loopback receiver slow the
 * hot routes (GET /users/me/balance, POST /usage/record)?
 *
 * Starts souk (`bun src/index.ts serve`, temp DATA_DIR, job worker on) and a receiver in this
 * process. The event source is a paced client sending PATCH /me (each emits
 * `user.profile_updated`) at --rate / --endpoints per second; with --endpoints endpoints subscribed
 * to that type, each event is that many deliveries, so the source itself stays cheap.
 * Each hot route is measured with bench/load.ts (closed loop, its own process) in three phases:
 *
 *   A. baseline: nothing else running;
 *   B. events only: the source running, the endpoints disabled;
 *   C. events + webhooks: the same with the endpoints enabled, so each event becomes delivery rows
 *      (fanned out after its commit) and signed POSTs to the receiver.
 *
 * C against B is the cost of the deliveries themselves; C against A adds the event source. B and C
 * run --rounds times in the order B C C B (ABBA): the database grows through the run (every usage
 * record adds rows), and a phase run later is slower for that alone, so alternating cancels the drift
 * that measuring C after B would charge to the webhooks.
 * Then D: the source and the endpoints alone (no hot-route load) for --duration seconds, to show
 * the delivery rate and lag the engine sustains, and its CPU against E (the source alone, measured
 * before the endpoints exist). The receiver counts deliveries, checks every
 * 100th signature with `standardwebhooks`, and the lag from the event's created_at to receipt.
 * Prints one JSON object on stdout.
 *
 *   bun bench/webhooks.ts [--rate 1000] [--endpoints 10] [--duration 8] [--warmup 2]
 *                         [--connections 16] [--rounds 2] [--hot-rate-pct 70] [--keep-tmp]
 *
 * With --hot-rate-pct P, phases B and C offer each hot route an open loop (bench/load.ts --rate)
 * at P% of the rate it reached in phase A, and the question becomes the latency at a fixed load
 * (p50 and p99 of C against B) instead of the throughput of a saturated loop.
 *
 * Everything shares the machine's cores (souk, the generator, the source, the receiver): read the
 * numbers as relative, and run it on an otherwise idle machine.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";
import type { LoadResult, LoadSpec } from "./load";

const ROOT = join(import.meta.dir, "..");
const BUN = process.execPath;

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rate: { type: "string", default: "1000" },
    endpoints: { type: "string", default: "10" },
    duration: { type: "string", default: "8" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "16" },
    rounds: { type: "string", default: "2" },
    // B and C as open loops at this % of each route's phase-A rate (latency at a fixed load).
    "hot-rate-pct": { type: "string" },
    "keep-tmp": { type: "boolean", default: false },
  },
});
const RATE = Number(args.rate);
const ENDPOINTS = Number(args.endpoints);
const EVENT_RATE = RATE / ENDPOINTS;
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const ROUNDS = Number(args.rounds);
const HOT_RATE_PCT = args["hot-rate-pct"] ? Number(args["hot-rate-pct"]) : null;

/** CPU seconds (user + system, all threads) a process has used, or null off Linux. */
function cpuSeconds(pid: number): number | null {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/** CPU seconds per thread of a process, by thread name (threads of one name summed). */
function threadCpu(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = st.slice(st.indexOf("(") + 1, st.lastIndexOf(")"));
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      out[name] = (out[name] ?? 0) + (Number(f[11]) + Number(f[12])) / 100;
    }
  } catch {}
  return out;
}

/** Per-thread CPU % between two threadCpu snapshots, the busiest first. */
function threadPct(a: Record<string, number>, b: Record<string, number>, seconds: number) {
  return Object.fromEntries(
    Object.entries(b)
      .map(([k, v]) => [k, Math.round(((v - (a[k] ?? 0)) / seconds) * 100)] as const)
      .filter(([, v]) => v > 0)
      .sort((x, y) => y[1] - x[1]),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

async function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as any) : null;
}

// ---------------------------------------------------------------------------------------------
// The receiver: counts, samples signatures, measures lag.

const secrets = new Map<string, string>();
const received: number[] = [];
const lags: number[] = [];
let badSignatures = 0;
let checked = 0;
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    const body = await req.text();
    const n = received.push(performance.now());
    const data = JSON.parse(body).data as { created_at: string };
    lags.push(Date.now() - Date.parse(data.created_at));
    const secret = secrets.get(new URL(req.url).pathname);
    if (n % 100 === 0 && secret) {
      checked++;
      try {
        new Webhook(secret).verify(body, Object.fromEntries(req.headers));
      } catch {
        badSignatures++;
      }
    }
    return new Response(null, { status: 204 });
  },
});

// ---------------------------------------------------------------------------------------------
// The paced event source: PATCH /me at EVENT_RATE per second, open loop (at most 64 in flight: a server that cannot keep up lowers the rate, which is reported).

function startPacer(base: string, token: string) {
  let running = true;
  let sent = 0;
  let errors = 0;
  let inFlight = 0;
  const t0 = performance.now();
  const loop = (async () => {
    while (running) {
      const due = Math.floor(((performance.now() - t0) / 1000) * EVENT_RATE);
      while (sent < due && inFlight < 64) {
        sent++;
        inFlight++;
        fetch(`${base}/api/v1/me`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ first_name: `n${sent}` }),
        })
          .then(async (r) => {
            await r.arrayBuffer();
            if (r.status !== 200) errors++;
          })
          .catch(() => errors++)
          .finally(() => inFlight--);
      }
      await sleep(2);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      while (inFlight > 0) await sleep(5);
      const s = (performance.now() - t0) / 1000;
      return { sent, errors, seconds: Math.round(s * 10) / 10, rate: Math.round(sent / s) };
    },
  };
}

// ---------------------------------------------------------------------------------------------

async function load(spec: LoadSpec): Promise<LoadResult> {
  const gen = Bun.spawn([BUN, join(ROOT, "bench/load.ts"), "--spec", JSON.stringify(spec)], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(gen.stdout).text(), new Response(gen.stderr).text()]);
  if ((await gen.exited) !== 0) throw new Error(`bench/load.ts failed: ${err}`);
  return JSON.parse(out) as LoadResult;
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), "souk-bench-webhooks-"));
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const souk = Bun.spawn([BUN, "src/index.ts", "serve"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? tmp,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: tmp,
      LOG_LEVEL: "warn",
      // The job worker (which delivers) runs with the schedules.
      CRON_ENABLED: "true",
      NODE_ENV: "production",
      JWT_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex"),
      ACCESS_TOKEN_TTL_SECONDS: "86400",
    },
    stdout: Bun.file(join(tmp, "souk.log")),
    stderr: Bun.file(join(tmp, "souk.err")),
  });
  try {
    for (let i = 0; ; i++) {
      if (i > 1500) throw new Error("souk did not start");
      try {
        if ((await fetch(`${base}/healthz`)).status === 200) break;
      } catch {}
      await sleep(10);
    }
    const admin = await call(base, "POST", "/api/v1/auth/bootstrap-admin", {
      email: "bench-admin@bench.local",
      password: "bench-admin-password",
    });
    const A = admin.access_token as string;
    await call(
      base,
      "PATCH",
      "/api/v1/admin/system/settings",
      {
        RATE_LIMIT_DEFAULT: "100000000/minute",
        RATE_LIMIT_AUTH: "100000/minute",
        webhooks_allow_private_urls: true,
      },
      A,
    );
    const user = await call(base, "POST", "/api/v1/auth/register", {
      email: "bench-user@bench.local",
      password: "bench-user-password",
    });
    await call(
      base,
      "POST",
      `/api/v1/admin/users/${user.user.id}/minutes`,
      { seconds: 100_000_000, reason: "benchmark", validity_days: 365 },
      A,
    );
    const source = await call(base, "POST", "/api/v1/auth/register", {
      email: "bench-source@bench.local",
      password: "bench-source-password",
    });
    const U = user.access_token as string;
    const routes: { name: string; spec: LoadSpec }[] = [
      {
        name: "GET /users/me/balance",
        spec: {
          url: `${base}/api/v1/users/me/balance`,
          headers: { authorization: `Bearer ${U}` },
          expect: 200,
        },
      },
      {
        name: "POST /usage/record",
        spec: {
          url: `${base}/api/v1/usage/record`,
          method: "POST",
          headers: { authorization: `Bearer ${U}`, "content-type": "application/json" },
          body: JSON.stringify({ id: "bench-{{uuid}}", seconds: 7 }),
          expect: 201,
        },
      },
    ];

    const results: Record<string, Record<string, LoadResult[]>> = {};
    const pacers: Record<string, unknown> = {};
    const delivery: Record<string, unknown> = {};
    // Open-loop rates per route (--hot-rate-pct), set from phase A.
    const rates: Record<string, number> = {};
    const measure = async (phase: string) => {
      for (const r of routes) {
        console.error(`${phase}: ${r.name}…`);
        const rate = rates[r.name];
        const res = await load({
          ...r.spec,
          ...(rate && phase !== "A baseline" ? { rate, connections: 64 } : { connections: CONNECTIONS }),
          durationSeconds: DURATION,
          warmupSeconds: WARMUP,
        });
        const byPhase = results[r.name] ?? {};
        byPhase[phase] = [...(byPhase[phase] ?? []), res];
        results[r.name] = byPhase;
      }
    };

    await measure("A baseline");
    if (HOT_RATE_PCT)
      for (const r of routes)
        rates[r.name] = Math.round((results[r.name]!["A baseline"]![0]!.rps * HOT_RATE_PCT) / 100);

    const db = new Database(join(tmp, "souk.db"), { readonly: true });
    const pendingNow = () =>
      (
        db.query("SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'").get() as {
          n: number;
        }
      ).n;

    /** Runs `during` with the source on; the receiver's count, lag and the backlog over that window. */
    const withSource = async (phase: string, during: () => Promise<void>) => {
      const pacer = startPacer(base, source.access_token);
      await sleep(1000);
      const from = received.length;
      const lagFrom = lags.length;
      const t0 = performance.now();
      const cpu0 = cpuSeconds(souk.pid);
      const threads0 = threadCpu(souk.pid);
      const self0 = cpuSeconds(process.pid);
      await during();
      const cpu1 = cpuSeconds(souk.pid);
      const threads1 = threadCpu(souk.pid);
      const self1 = cpuSeconds(process.pid);
      const seconds = (performance.now() - t0) / 1000;
      const got = received.length - from;
      const backlog = pendingNow();
      pacers[phase] = await pacer.stop();
      const sorted = lags.slice(lagFrom).sort((a, b) => a - b);
      const pct = (p: number) =>
        sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? null;
      // Let the queue empty before the next phase, and time it.
      const drainStart = performance.now();
      const pendingAtStop = pendingNow();
      let left = pendingAtStop;
      while (left > 0 && performance.now() - drainStart < 120_000) {
        await sleep(100);
        left = pendingNow();
      }
      const drainS = (performance.now() - drainStart) / 1000;
      delivery[phase] = {
        received: got,
        deliveries_per_second: Math.round(got / seconds),
        pending_at_end: backlog,
        souk_cpu_pct: cpu0 === null || cpu1 === null ? null : Math.round(((cpu1 - cpu0) / seconds) * 100),
        souk_threads_cpu_pct: threadPct(threads0, threads1, seconds),
        // This process: the receiver and the event source.
        bench_cpu_pct:
          self0 === null || self1 === null ? null : Math.round(((self1 - self0) / seconds) * 100),
        lag_ms: { p50: pct(50), p90: pct(90), p99: pct(99), max: sorted.at(-1) ?? null },
        drain_after_stop: {
          pending: pendingAtStop,
          seconds: Math.round(drainS * 10) / 10,
          per_second: pendingAtStop ? Math.round((pendingAtStop - left) / drainS) : null,
        },
      };
    };

    const idle = async () => {
      await sleep(DURATION * 1000);
    };
    // The source's own cost, with no endpoint: what D is compared with.
    await withSource("E source alone", idle);
    const endpointIds: number[] = [];
    for (let k = 1; k <= ENDPOINTS; k++) {
      const ep = await call(
        base,
        "POST",
        "/api/v1/admin/webhooks",
        { url: `http://127.0.0.1:${receiver.port}/hook/${k}`, event_types: ["user.profile_updated"] },
        A,
      );
      endpointIds.push(ep.id);
      secrets.set(`/hook/${k}`, ep.secret);
    }
    const setEndpoints = async (enabled: boolean) => {
      for (const id of endpointIds) await call(base, "PATCH", `/api/v1/admin/webhooks/${id}`, { enabled }, A);
    };
    // B C C B, twice by default: see the header.
    const order = Array.from({ length: ROUNDS }, (_, i) => (i % 2 === 0 ? ["B", "C"] : ["C", "B"])).flat();
    for (const [i, p] of order.entries()) {
      const phase = p === "B" ? "B events only" : "C events + webhooks";
      await setEndpoints(p === "C");
      await withSource(`${phase} #${i + 1}`, () => measure(phase));
    }
    await setEndpoints(true);
    await withSource("D webhooks alone", idle);
    const cpuOf = (phase: string) => (delivery[phase] as { souk_cpu_pct: number | null }).souk_cpu_pct;
    const d = delivery["D webhooks alone"] as { deliveries_per_second: number };
    const cpuD = cpuOf("D webhooks alone");
    const cpuE = cpuOf("E source alone");
    delivery.souk_cpu_us_per_delivery =
      cpuD === null || cpuE === null || !d.deliveries_per_second
        ? null
        : Math.round(((cpuD - cpuE) * 10_000) / d.deliveries_per_second);
    delivery.by_status = db
      .query("SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status")
      .all();
    delivery.signatures_checked = checked;
    delivery.bad_signatures = badSignatures;
    db.close();

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const summary = Object.fromEntries(
      Object.entries(results).map(([name, r]) => {
        const rps = (phase: string) => r[phase]!.map((x) => Math.round(x.rps));
        const p99 = (phase: string) => r[phase]!.map((x) => x.latency_ms.p99);
        const p50 = (phase: string) => r[phase]!.map((x) => x.latency_ms.p50);
        const errors = (phase: string) => r[phase]!.reduce((n, x) => n + x.errors, 0);
        const [a, b, c] = ["A baseline", "B events only", "C events + webhooks"].map((p) => mean(rps(p)));
        return [
          name,
          {
            rps: { A: rps("A baseline"), B: rps("B events only"), C: rps("C events + webhooks") },
            ...(rates[name] ? { open_loop_rate: rates[name] } : {}),
            p50_ms: { A: p50("A baseline"), B: p50("B events only"), C: p50("C events + webhooks") },
            p99_ms: { A: p99("A baseline"), B: p99("B events only"), C: p99("C events + webhooks") },
            errors: { A: errors("A baseline"), B: errors("B events only"), C: errors("C events + webhooks") },
            webhooks_cost_pct: Math.round((1 - c! / b!) * 1000) / 10,
            // C against B, latency: how much longer a request takes with the deliveries running.
            p50_increase_pct:
              Math.round((mean(p50("C events + webhooks")) / mean(p50("B events only")) - 1) * 1000) / 10,
            p99_increase_pct:
              Math.round((mean(p99("C events + webhooks")) / mean(p99("B events only")) - 1) * 1000) / 10,
            total_cost_vs_baseline_pct: Math.round((1 - c! / a!) * 1000) / 10,
          },
        ];
      }),
    );
    console.log(
      JSON.stringify(
        {
          rate: RATE,
          duration_s: DURATION,
          connections: CONNECTIONS,
          hot_rate_pct: HOT_RATE_PCT,
          summary,
          delivery,
          pacers,
        },
        null,
        2,
      ),
    );
  } finally {
    receiver.stop(true);
    souk.kill("SIGTERM");
    await souk.exited;
    if (!args["keep-tmp"]) rmSync(tmp, { recursive: true, force: true });
    else console.error(`kept ${tmp}`);
  }
}

await main();
