/**
 * `bun bench/sse.ts`: live notification streams at scale, in one souk process.
 *
 * 1. seeds a fresh data dir (USERS users, an admin, a usage user with minutes; rate limits raised),
 *    starts `bun src/index.ts serve` on it (LOG_LEVEL=warn, CRON_ENABLED=false) and warms it up;
 * 2. opens STREAMS event streams (STREAMS / USERS per user) as raw HTTP/1.1 sockets (Bun.connect:
 *    a fetch per stream would cost the client far more than the server), waits until each has its
 *    first frame, and reports the server's RSS added (VmRSS from /proc, after a settle pause);
 * 3. runs bench/load.ts on `POST /usage/record` (its own process, --connections) and meanwhile, one
 *    at a time, credits a random user's wallet through the admin API (a notification to that user)
 *    and times each delivery from just before the request is sent to each of the user's streams
 *    receiving the frame; reports p50/p99/max per stream and per notification (its slowest
 *    stream), and per notification from its created_at (the server's clock) to its slowest
 *    stream, which leaves out the triggering request's wait behind the load; the same without
 *    load first, and the usage throughput alongside.
 *
 *   bun bench/sse.ts [--streams 10000] [--users 1000] [--duration 20] [--connections 32]
 *                    [--quiet-samples 100] [--gap-ms 20] [--out bench/results/sse.json] [--keep-tmp]
 *
 * File descriptors: the server and this process each hold one socket per stream. When the soft
 * `ulimit -n` is too low, the script re-runs itself under `sh -c 'ulimit -n <hard limit>; exec …'`
 * (raising the soft limit up to the hard one needs no privilege); when the hard limit is too low
 * too it stops and says so. The server is spawned by this process and inherits the raised limit.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Socket, Subprocess } from "bun";
import { createContext } from "../src/boot";
import { users } from "../src/db/schema";
import { parseEnv } from "../src/env";
import { signAccessToken } from "../src/modules/accounts/tokens";
import { createGrant } from "../src/modules/billing/grants";
import type { LoadResult } from "./load";

const ROOT = join(import.meta.dir, "..");
const BUN = process.execPath;

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    streams: { type: "string", default: "10000" },
    users: { type: "string", default: "1000" },
    duration: { type: "string", default: "20" },
    connections: { type: "string", default: "32" },
    "quiet-samples": { type: "string", default: "100" },
    "gap-ms": { type: "string", default: "20" },
    out: { type: "string" },
    "keep-tmp": { type: "boolean", default: false },
  },
});
const STREAMS = Number(args.streams);
const USERS = Math.min(Number(args.users), STREAMS);
const DURATION_S = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const QUIET_SAMPLES = Number(args["quiet-samples"]);
const GAP_MS = Number(args["gap-ms"]);

// ---------------------------------------------------------------------------------------------
// File descriptors

const shell = (cmd: string) => Bun.spawnSync(["sh", "-c", cmd]).stdout.toString().trim();
const needFds = STREAMS + 2048;
const soft = Number(shell("ulimit -n")) || 0;
if (soft < needFds && !process.env.SOUK_SSE_BENCH_REEXEC) {
  const hard = shell("ulimit -Hn");
  const hardN = hard === "unlimited" ? Number.POSITIVE_INFINITY : Number(hard);
  if (hardN < needFds) {
    console.error(
      `ulimit -n: need ${needFds} descriptors, the hard limit is ${hard}; raise it (as root) first`,
    );
    process.exit(2);
  }
  const quoted = [BUN, ...process.argv.slice(1)].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = Bun.spawn(["sh", "-c", `ulimit -n ${hard} && exec ${quoted}`], {
    env: { ...process.env, SOUK_SSE_BENCH_REEXEC: "1" },
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(await child.exited);
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const tmp = mkdtempSync(join(tmpdir(), "souk-sse-bench-"));
const log = (msg: string) => console.error(`[sse] ${msg}`);

type Fixture = { admin: string; loader: string; users: { id: number; token: string }[] };

async function seed(dataDir: string): Promise<Fixture> {
  const ctx = createContext(parseEnv({ DATA_DIR: dataDir, LOG_LEVEL: "silent", CRON_ENABLED: "false" }));
  ctx.settings.setNow({
    RATE_LIMIT_DEFAULT: "100000000/minute",
    RATE_LIMIT_AUTH: "100000000/minute",
    RATE_LIMIT_REFRESH: "100000000/minute",
  });
  const now = Date.now();
  const add = (username: string, role: "admin" | "client" = "client") =>
    ctx.db
      .insert(users)
      .values({ email: `${username}@bench.local`, username, role, createdAt: now, updatedAt: now })
      .returning()
      .get();
  const token = (u: { id: number; role: string }) =>
    signAccessToken(ctx.jwtSecret, u.id, u.role, now, 86_400);
  const admin = add("sse_admin", "admin");
  const loader = add("sse_loader");
  ctx.db.transaction(
    (tx) => createGrant(ctx, tx, { userId: loader.id, seconds: 1e9, validityDays: 30, purchasedAt: now }),
    { behavior: "immediate" },
  );
  const list: Fixture["users"] = [];
  ctx.sqlite.transaction(() => {
    for (let i = 0; i < USERS; i++) list.push({ id: add(`sse_${i}`).id, token: "" });
  })();
  for (const u of list) u.token = await token({ id: u.id, role: "client" });
  const f = { admin: await token(admin), loader: await token(loader), users: list };
  ctx.sqlite.close();
  return f;
}

function rssMb(pid: number): number {
  const status = Bun.spawnSync(["cat", `/proc/${pid}/status`]).stdout.toString();
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

// ---------------------------------------------------------------------------------------------
// Raw streams: HTTP/1.1 over Bun.connect, chunked decoding, SSE frames.

type Stream = {
  userId: number;
  socket: Socket<Stream> | null;
  buf: Buffer;
  headersDone: boolean;
  chunked: boolean;
  text: string;
  firstFrame: () => void;
  gotFirst: boolean;
  closed: boolean;
};

/** Called per `event: notification` frame: (stream, its data JSON). */
type Frame = { created_at: string; data?: { transfer_id?: number } };
let onNotification: (s: Stream, frame: Frame) => void = () => {};

function frames(s: Stream, payload: string) {
  s.text += payload;
  let cut = s.text.indexOf("\n\n");
  while (cut !== -1) {
    const frame = s.text.slice(0, cut);
    s.text = s.text.slice(cut + 2);
    if (!s.gotFirst) {
      s.gotFirst = true;
      s.firstFrame();
    }
    if (frame.startsWith("event: notification\n")) {
      const line = frame.split("\n").find((l) => l.startsWith("data: "));
      if (line) onNotification(s, JSON.parse(line.slice(6)));
    }
    cut = s.text.indexOf("\n\n");
  }
}

function onData(s: Stream, chunk: Buffer) {
  s.buf = s.buf.length ? Buffer.concat([s.buf, chunk]) : chunk;
  if (!s.headersDone) {
    const end = s.buf.indexOf("\r\n\r\n");
    if (end === -1) return;
    const head = s.buf.subarray(0, end).toString("latin1");
    if (!head.startsWith("HTTP/1.1 200")) throw new Error(`stream refused: ${head.split("\r\n")[0]}`);
    s.chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
    s.headersDone = true;
    s.buf = s.buf.subarray(end + 4);
  }
  if (!s.chunked) {
    frames(s, s.buf.toString("utf8"));
    s.buf = Buffer.alloc(0);
    return;
  }
  for (;;) {
    const eol = s.buf.indexOf("\r\n");
    if (eol === -1) return;
    const size = Number.parseInt(s.buf.subarray(0, eol).toString("latin1"), 16);
    if (s.buf.length < eol + 2 + size + 2) return;
    frames(s, s.buf.subarray(eol + 2, eol + 2 + size).toString("utf8"));
    s.buf = s.buf.subarray(eol + 2 + size + 2);
    if (size === 0) return;
  }
}

async function openStream(port: number, userId: number, token: string): Promise<Stream> {
  let resolve!: () => void;
  const first = new Promise<void>((r) => {
    resolve = r;
  });
  const s: Stream = {
    userId,
    socket: null,
    buf: Buffer.alloc(0),
    headersDone: false,
    chunked: false,
    text: "",
    firstFrame: resolve,
    gotFirst: false,
    closed: false,
  };
  s.socket = await Bun.connect<Stream>({
    hostname: "127.0.0.1",
    port,
    data: s,
    socket: {
      data: (sock, chunk) => onData(sock.data, Buffer.from(chunk)),
      close: (sock) => {
        sock.data.closed = true;
      },
      error: (sock, e) => {
        sock.data.closed = true;
        log(`stream error: ${e.message}`);
      },
    },
  });
  s.socket.write(
    `GET /api/v1/notifications/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`,
  );
  await first;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Latency

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : 0;
const r2 = (x: number) => Math.round(x * 100) / 100;
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: r2(pct(s, 50)),
    p90: r2(pct(s, 90)),
    p99: r2(pct(s, 99)),
    max: r2(s.at(-1) ?? 0),
  };
};

async function measureLatency(
  base: string,
  fx: Fixture,
  byUser: Map<number, Stream[]>,
  until: () => boolean,
  maxSamples: number,
) {
  const perStream: number[] = [];
  const perNotification: number[] = [];
  // From the notification's created_at (the server's clock, same machine, ms resolution): the
  // fan-out alone, without the triggering request's own wait in the server's queue.
  const fromCreated: number[] = [];
  let lost = 0;
  const userIds = [...byUser.keys()];
  while (!until() && perNotification.length + lost < maxSamples) {
    const userId = userIds[Math.floor(Math.random() * userIds.length)]!;
    const streams = byUser.get(userId)!.filter((s) => !s.closed);
    const seen = new Set<Stream>();
    let t0 = 0;
    let transfer: number | null = null;
    const early: [Stream, number, Frame][] = [];
    let all!: () => void;
    const delivered = new Promise<void>((r) => {
      all = r;
    });
    let slowest = 0;
    let slowestFromCreated = 0;
    const record = (s: Stream, at: number, f: Frame) => {
      if (seen.has(s)) return;
      seen.add(s);
      perStream.push(at - t0);
      slowest = Math.max(slowest, at - t0);
      slowestFromCreated = Math.max(
        slowestFromCreated,
        performance.timeOrigin + at - Date.parse(f.created_at),
      );
      if (seen.size === streams.length) all();
    };
    onNotification = (s, d) => {
      if (s.userId !== userId) return;
      const at = performance.now();
      // The frame can beat the HTTP answer that names its transfer: keep it until the id is known.
      if (transfer === null) early.push([s, at, d]);
      else if (d.data?.transfer_id === transfer) record(s, at, d);
    };
    t0 = performance.now();
    const res = await fetch(`${base}/api/v1/admin/users/${userId}/wallet/credit`, {
      method: "POST",
      headers: { authorization: `Bearer ${fx.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ amount: 100, note: "sse bench" }),
    });
    const body = (await res.json()) as { transfer_id: number };
    if (res.status !== 201) throw new Error(`credit failed: ${res.status} ${JSON.stringify(body)}`);
    transfer = body.transfer_id;
    for (const [s, at, f] of early) if (f.data?.transfer_id === transfer) record(s, at, f);
    const ok = await Promise.race([delivered.then(() => true), Bun.sleep(2000).then(() => false)]);
    if (ok) {
      perNotification.push(slowest);
      fromCreated.push(slowestFromCreated);
    } else lost++;
    onNotification = () => {};
    if (GAP_MS) await Bun.sleep(GAP_MS);
  }
  return {
    per_stream_ms: summary(perStream),
    per_notification_ms: summary(perNotification),
    per_notification_from_created_ms: summary(fromCreated),
    lost,
  };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const dataDir = join(tmp, "data");
  log(`seeding ${USERS} users in ${dataDir}`);
  const fx = await seed(dataDir);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const base = `http://127.0.0.1:${port}`;
  const server: Subprocess = Bun.spawn([BUN, "src/index.ts", "serve"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      CRON_ENABLED: "false",
    },
    stdout: "ignore",
    stderr: Bun.file(join(tmp, "server.err")),
  });
  const cleanup = () => {
    server.kill("SIGKILL");
    if (!args["keep-tmp"]) rmSync(tmp, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 400; i++) {
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {}
      await Bun.sleep(25);
    }
    // Warm-up: the code paths the measurement uses, so their first-use cost is not "added RSS".
    const warm = await openStream(port, fx.users[0]!.id, fx.users[0]!.token);
    for (let i = 0; i < 200; i++) {
      await fetch(`${base}/api/v1/usage/record`, {
        method: "POST",
        headers: { authorization: `Bearer ${fx.loader}`, "content-type": "application/json" },
        body: JSON.stringify({ id: `warm-${i}`, seconds: 1 }),
      });
    }
    warm.socket?.end();
    await Bun.sleep(1000);
    const rssBefore = rssMb(server.pid!);

    log(`opening ${STREAMS} streams`);
    const t0 = performance.now();
    const streams: Stream[] = [];
    const perUser = Math.ceil(STREAMS / USERS);
    const BATCH = 250;
    for (let i = 0; i < STREAMS; i += BATCH) {
      const batch = [];
      for (let j = i; j < Math.min(STREAMS, i + BATCH); j++) {
        const u = fx.users[Math.floor(j / perUser)]!;
        batch.push(openStream(port, u.id, u.token));
      }
      streams.push(...(await Promise.all(batch)));
    }
    const openSeconds = (performance.now() - t0) / 1000;
    // RSS settles as the garbage of 10k requests is collected and returned: sample until flat.
    const rssSeries: number[] = [];
    for (let i = 0; i < 8; i++) {
      await Bun.sleep(2500);
      rssSeries.push(r2(rssMb(server.pid!)));
    }
    log(`RSS after opening, every 2.5 s: ${rssSeries.join(", ")}`);
    const rssWith = rssSeries.at(-1)!;
    const added = rssWith - rssBefore;
    log(
      `${streams.length} open in ${openSeconds.toFixed(1)} s; RSS ${rssBefore.toFixed(1)} -> ${rssWith.toFixed(1)} MB`,
    );

    const byUser = new Map<number, Stream[]>();
    for (const s of streams) byUser.set(s.userId, [...(byUser.get(s.userId) ?? []), s]);

    log(`latency without load (${QUIET_SAMPLES} notifications)`);
    const quiet = await measureLatency(base, fx, byUser, () => false, QUIET_SAMPLES);

    log(`latency under POST /usage/record load (${CONNECTIONS} connections, ${DURATION_S} s)`);
    const warmupS = 2;
    const gen = Bun.spawn(
      [
        BUN,
        join(ROOT, "bench/load.ts"),
        "--spec",
        JSON.stringify({
          url: `${base}/api/v1/usage/record`,
          method: "POST",
          headers: { authorization: `Bearer ${fx.loader}`, "content-type": "application/json" },
          body: '{"id":"sse-{{uuid}}","seconds":7}',
          connections: CONNECTIONS,
          durationSeconds: DURATION_S,
          warmupSeconds: warmupS,
          expect: 201,
        }),
      ],
      { cwd: ROOT, stdout: "pipe", stderr: "inherit" },
    );
    await Bun.sleep(warmupS * 1000);
    const loadEnds = performance.now() + DURATION_S * 1000;
    const loaded = await measureLatency(base, fx, byUser, () => performance.now() >= loadEnds, 1e9);
    const load = JSON.parse(await new Response(gen.stdout).text()) as LoadResult;
    await gen.exited;
    const stillOpen = streams.filter((s) => !s.closed).length;

    const result = {
      streams: streams.length,
      users: byUser.size,
      streams_per_user: perUser,
      open_seconds: r2(openSeconds),
      rss_mb: { before: r2(rssBefore), with_streams: r2(rssWith), added: r2(added) },
      rss_kb_per_stream: r2((added * 1024) / streams.length),
      latency_quiet: quiet,
      latency_under_load: loaded,
      usage_load: {
        rps: load.rps,
        errors: load.errors,
        latency_ms: load.latency_ms,
        connections: CONNECTIONS,
      },
      streams_still_open: stillOpen,
      targets: { rss_added_mb_below: 150, p99_per_notification_ms_below: 50 },
      machine: { cores: navigator.hardwareConcurrency, note: "shared machine: numbers are noisy" },
    };
    console.log(JSON.stringify(result, null, 2));
    if (args.out) writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
    for (const s of streams) s.socket?.end();
  } finally {
    cleanup();
  }
}

await main();
process.exit(0);
