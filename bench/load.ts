/**
 * A small closed-loop load generator: N concurrent loops, each awaiting fetch() and starting the
 * next request as soon as the previous one is read. Warm-up first (not measured), then a fixed
 * measured window.
 *
 * With --rate R it is open-loop instead: requests are due every 1/R s whatever the server does,
 * the N loops are at most N requests in flight, and a latency runs from when its request was due,
 * not from when a free loop sent it. A server that falls behind so shows its queueing in the
 * latencies rather than hiding it by slowing the generator (coordinated omission). This answers
 * "at R requests/s, what is the p99?". Prints one JSON object on stdout:
 *
 *   { rps, requests, errors, latency_ms: { p50, p90, p99, max, mean }, ... }
 *
 *   bun bench/load.ts --url http://127.0.0.1:3000/api/v1/me -H "authorization: Bearer …" \
 *     [--method GET] [--body '{"id":"u-{{n}}"}'] [--connections 32] [--duration 10] [--warmup 2] \
 *     [--expect 200] [--max-requests 5000000] [--rate 2000]
 *   bun bench/load.ts --spec '<the same as one JSON object>'   (how bench/run.ts calls it)
 *
 * In a body or header value `{{n}}` becomes a number unique within the run and `{{uuid}}` a random
 * UUID (for idempotency keys and usage ids). Bounded: loopback URLs only, a hard deadline of
 * warm-up + duration + 15 s, and at most --max-requests requests.
 */
import { parseArgs } from "node:util";

export type LoadSpec = {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  durationSeconds?: number;
  warmupSeconds?: number;
  /** The status a successful response has (any 2xx when left out). */
  expect?: number;
  maxRequests?: number;
  /** Open loop: requests due at this rate per second (see the header). */
  rate?: number;
};

export type LoadResult = {
  url: string;
  method: string;
  connections: number;
  /** The open loop's rate, when there was one. */
  rate?: number | null;
  duration_s: number;
  warmup_s: number;
  requests: number;
  rps: number;
  errors: number;
  error_samples: string[];
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  timed_out: boolean;
};

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

function specFromArgs(argv: string[]): LoadSpec {
  const { values } = parseArgs({
    args: argv,
    options: {
      spec: { type: "string" },
      url: { type: "string" },
      method: { type: "string" },
      header: { type: "string", short: "H", multiple: true },
      body: { type: "string" },
      connections: { type: "string", short: "c" },
      duration: { type: "string", short: "d" },
      warmup: { type: "string", short: "w" },
      expect: { type: "string" },
      "max-requests": { type: "string" },
      rate: { type: "string" },
    },
  });
  if (values.spec) return JSON.parse(values.spec) as LoadSpec;
  if (!values.url)
    throw new Error("usage: bun bench/load.ts --url URL [-H 'k: v'] [--method M] [--body B] …");
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const i = h.indexOf(":");
    if (i <= 0) throw new Error(`bad header ${h}`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  return {
    url: values.url,
    method: values.method,
    headers,
    body: values.body,
    connections: num(values.connections),
    durationSeconds: num(values.duration),
    warmupSeconds: num(values.warmup),
    expect: num(values.expect),
    maxRequests: num(values["max-requests"]),
    rate: num(values.rate),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const url = new URL(spec.url);
  if (!LOOPBACK.has(url.hostname)) throw new Error(`refusing non-loopback target ${url.hostname}`);
  const method = (spec.method ?? "GET").toUpperCase();
  const connections = Math.min(Math.max(1, spec.connections ?? 32), 256);
  const durationS = Math.min(Math.max(0.5, spec.durationSeconds ?? 10), 120);
  const warmupS = Math.min(Math.max(0, spec.warmupSeconds ?? 2), 30);
  const maxRequests = Math.min(spec.maxRequests ?? 5_000_000, 20_000_000);
  const rate = spec.rate && spec.rate > 0 ? spec.rate : null;
  const headers = spec.headers ?? {};
  const body = spec.body;
  const templated = (body?.includes("{{") ?? false) || Object.values(headers).some((v) => v.includes("{{"));

  let seq = 0;
  const fill = (s: string) =>
    s.replaceAll("{{n}}", () => String(++seq)).replaceAll("{{uuid}}", () => crypto.randomUUID());
  const fixedInit: RequestInit = { method, headers, body };
  const initFor = (): RequestInit =>
    templated
      ? {
          method,
          headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, fill(v)])),
          body: body === undefined ? undefined : fill(body),
        }
      : fixedInit;
  const ok = (status: number) =>
    spec.expect === undefined ? status >= 200 && status < 300 : status === spec.expect;

  const t0 = performance.now();
  const measureFrom = t0 + warmupS * 1000;
  const measureTo = measureFrom + durationS * 1000;
  const hardDeadline = measureTo + 15_000;

  // Latencies of requests completed inside the measured window (bounded by maxRequests).
  let lat = new Float64Array(65536);
  let n = 0;
  let issued = 0;
  let errors = 0;
  const samples: string[] = [];
  const noteError = (what: string) => {
    errors++;
    if (samples.length < 5) samples.push(what);
  };

  let timedOut = false;
  // Open loop: the next request's slot; request k is due at t0 + k / rate.
  let slot = 0;
  const loop = async () => {
    while (issued < maxRequests) {
      let start = performance.now();
      if (rate) {
        const due = t0 + (slot++ * 1000) / rate;
        if (due >= measureTo) return;
        if (due > start) await Bun.sleep(due - start);
        start = due;
      } else if (start >= measureTo) return;
      issued++;
      let failure: string | null = null;
      try {
        const res = await fetch(spec.url, initFor());
        const text = await res.text();
        if (!ok(res.status)) failure = `HTTP ${res.status}: ${text.slice(0, 200)}`;
      } catch (e) {
        failure = (e as Error).message;
      }
      const end = performance.now();
      if (end < measureFrom || end > measureTo) continue;
      if (failure) noteError(failure);
      if (n === lat.length) {
        const grown = new Float64Array(lat.length * 2);
        grown.set(lat);
        lat = grown;
      }
      lat[n++] = end - start;
    }
  };

  let deadlineTimer: Timer | undefined;
  const deadline = new Promise<void>((resolve) => {
    deadlineTimer = setTimeout(() => {
      timedOut = true;
      resolve();
    }, hardDeadline - t0);
  });
  await Promise.race([Promise.all(Array.from({ length: connections }, loop)), deadline]);
  clearTimeout(deadlineTimer);

  const sorted = lat.subarray(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return {
    url: spec.url,
    method,
    connections,
    rate,
    duration_s: durationS,
    warmup_s: warmupS,
    requests: n,
    rps: Math.round(n / durationS),
    errors,
    error_samples: samples,
    latency_ms: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(n ? sorted[n - 1]! : 0),
      mean: round(n ? sum / n : 0),
    },
    timed_out: timedOut,
  };
}

if (import.meta.main) {
  try {
    const result = await runLoad(specFromArgs(process.argv.slice(2)));
    console.log(JSON.stringify(result));
    process.exit(0);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
}
