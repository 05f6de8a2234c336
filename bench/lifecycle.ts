/**
 * The order lifecycle generator: C concurrent workers, each running whole lifecycles one after the
 * other over HTTP (keep-alive), every step awaited and its body read before the next:
 *
 *   client  POST /api/v1/orders                {title, subject_id, budget}   -> 201
 *   expert  POST /api/v1/orders/{id}/take                                    -> 200
 *   expert  POST /api/v1/orders/{id}/set-price {price}                       -> 200
 *   client  POST /api/v1/orders/{id}/pay        (wallet -> escrow)           -> 200
 *   expert  POST /api/v1/orders/{id}/start                                   -> 200
 *   expert  POST /api/v1/orders/{id}/complete   (-> delivered)               -> 200
 *   client  POST /api/v1/orders/{id}/accept     (escrow -> expert + revenue) -> 200
 *
 * Warm-up first (not measured), then a fixed window: a lifecycle counts when its last step ends
 * inside the window. A step with another status abandons that lifecycle (counted as an error) and
 * the worker starts the next. Prints one JSON object on stdout, shaped like bench/load.ts's result
 * (`rps` is orders per second, `latency_ms` is per whole lifecycle) plus per-step latencies:
 *
 *   bun bench/lifecycle.ts --spec '{"base":"http://127.0.0.1:3000","clientToken":"…","expertToken":"…",
 *                                   "subjectId":1021,"price":10000,"connections":8,"durationSeconds":10}'
 *
 * Bounded: loopback only, a hard deadline of warm-up + duration + 15 s, at most maxLifecycles.
 */
import { parseArgs } from "node:util";
import type { LoadResult } from "./load";

export type LifecycleSpec = {
  base: string;
  clientToken: string;
  expertToken: string;
  subjectId: number;
  /** Minor units the expert quotes (and the client pays into escrow). */
  price: number;
  connections?: number;
  durationSeconds?: number;
  warmupSeconds?: number;
  maxLifecycles?: number;
};

export const STEPS = ["create", "take", "set-price", "pay", "start", "complete", "accept"] as const;
export type Step = (typeof STEPS)[number];

type Pct = { p50: number; p99: number; mean: number };

export type LifecycleResult = LoadResult & {
  /** Lifecycles completed in the window (= `requests`); `rps` is orders per second. */
  lifecycles: number;
  http_requests_per_s: number;
  steps: Record<Step, Pct>;
};

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

class StepError extends Error {}

/** One lifecycle; returns each step's ms. Throws StepError naming the step that failed. */
export async function runLifecycle(spec: LifecycleSpec, n: number): Promise<number[]> {
  // No content-type without a body: souk answers an empty "application/json" body with 400.
  const client = { authorization: `Bearer ${spec.clientToken}` };
  const expert = { authorization: `Bearer ${spec.expertToken}` };
  const times: number[] = [];
  const step = async (
    name: Step,
    path: string,
    headers: Record<string, string>,
    body: unknown,
    want = 200,
  ) => {
    const t = performance.now();
    let res: Response;
    let text: string;
    try {
      res = await fetch(
        `${spec.base}${path}`,
        body === undefined
          ? { method: "POST", headers }
          : {
              method: "POST",
              headers: { ...headers, "content-type": "application/json" },
              body: JSON.stringify(body),
            },
      );
      text = await res.text();
    } catch (e) {
      throw new StepError(`${name}: ${(e as Error).message}`);
    }
    times.push(performance.now() - t);
    if (res.status !== want) throw new StepError(`${name}: HTTP ${res.status}: ${text.slice(0, 200)}`);
    return text;
  };
  const created = await step(
    "create",
    "/api/v1/orders",
    client,
    { title: `Bench order ${n}`, subject_id: spec.subjectId, budget: spec.price },
    201,
  );
  const id = (JSON.parse(created) as { id: number }).id;
  const o = `/api/v1/orders/${id}`;
  await step("take", `${o}/take`, expert, undefined);
  await step("set-price", `${o}/set-price`, expert, { price: spec.price });
  await step("pay", `${o}/pay`, client, undefined);
  await step("start", `${o}/start`, expert, undefined);
  await step("complete", `${o}/complete`, expert, undefined);
  await step("accept", `${o}/accept`, client, undefined);
  return times;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function pct(sorted: Float64Array, p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summary(xs: number[]): Pct & { p90: number; max: number } {
  const s = Float64Array.from(xs).sort();
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0;
  return {
    p50: round(pct(s, 50)),
    p90: round(pct(s, 90)),
    p99: round(pct(s, 99)),
    max: round(s.length ? s[s.length - 1]! : 0),
    mean: round(mean),
  };
}

export async function runLifecycles(spec: LifecycleSpec): Promise<LifecycleResult> {
  const url = new URL(spec.base);
  if (!LOOPBACK.has(url.hostname)) throw new Error(`refusing non-loopback target ${url.hostname}`);
  const connections = Math.min(Math.max(1, spec.connections ?? 8), 256);
  const durationS = Math.min(Math.max(0.5, spec.durationSeconds ?? 10), 120);
  const warmupS = Math.min(Math.max(0, spec.warmupSeconds ?? 2), 30);
  const maxLifecycles = Math.min(spec.maxLifecycles ?? 1_000_000, 5_000_000);

  const t0 = performance.now();
  const measureFrom = t0 + warmupS * 1000;
  const measureTo = measureFrom + durationS * 1000;
  const hardDeadline = measureTo + 15_000;

  const whole: number[] = [];
  const perStep: number[][] = STEPS.map(() => []);
  let started = 0;
  let errors = 0;
  const samples: string[] = [];
  let timedOut = false;

  const worker = async () => {
    while (started < maxLifecycles) {
      const start = performance.now();
      if (start >= measureTo) return;
      const n = ++started;
      let times: number[] | null = null;
      let failure: string | null = null;
      try {
        times = await runLifecycle(spec, n);
      } catch (e) {
        failure = (e as Error).message;
      }
      const end = performance.now();
      if (end < measureFrom || end > measureTo) continue;
      if (failure || !times) {
        errors++;
        if (samples.length < 5) samples.push(failure ?? "no timings");
        continue;
      }
      whole.push(end - start);
      for (let i = 0; i < times.length; i++) perStep[i]!.push(times[i]!);
    }
  };

  let timer: Timer | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve();
    }, hardDeadline - t0);
  });
  await Promise.race([Promise.all(Array.from({ length: connections }, worker)), deadline]);
  clearTimeout(timer);

  const n = whole.length;
  const steps = Object.fromEntries(
    STEPS.map((s, i) => {
      const { p50, p99, mean } = summary(perStep[i]!);
      return [s, { p50, p99, mean }];
    }),
  ) as Record<Step, Pct>;
  return {
    url: spec.base,
    method: "LIFECYCLE",
    connections,
    duration_s: durationS,
    warmup_s: warmupS,
    requests: n,
    lifecycles: n,
    rps: Math.round((n / durationS) * 10) / 10,
    http_requests_per_s: Math.round((n * STEPS.length) / durationS),
    errors,
    error_samples: samples,
    latency_ms: summary(whole),
    steps,
    timed_out: timedOut,
  };
}

if (import.meta.main) {
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), options: { spec: { type: "string" } } });
    if (!values.spec) throw new Error("usage: bun bench/lifecycle.ts --spec '<LifecycleSpec as JSON>'");
    console.log(JSON.stringify(await runLifecycles(JSON.parse(values.spec) as LifecycleSpec)));
    process.exit(0);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
}
