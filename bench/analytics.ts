/**
 * Analytics and daily metrics on a large data set, in process (app.request: the figures' own cost).
 *
 *   bun src/index.ts seed --demo --scale 100 --seed 1      # DATA_DIR=… : the data set (once)
 *   bun bench/analytics.ts --db <DATA_DIR>/souk.db [--iterations 20]
 *
 * For each analytics endpoint: a cache miss (its figure dropped before each call) and a hit, p50 /
 * p99 / max in ms over --iterations calls; then `computeDailyMetrics` for ten days spread over the
 * data set's range (each replaces its row). Targets: miss < 100 ms, hit < 2 ms, one day < 500 ms.
 * The query plans behind the figures are in docs/analytics.md and docs/daily-metrics.md.
 * Prints one JSON object.
 */
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/app";
import { createContext } from "../src/boot";
import { parseEnv } from "../src/env";
import { signAccessToken } from "../src/modules/accounts/tokens";
import { cacheOf, type Figure } from "../src/modules/analytics/cache";
import { computeDailyMetrics } from "../src/modules/analytics/daily/service";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { db: { type: "string" }, iterations: { type: "string", default: "20" } },
});
if (!values.db || !existsSync(values.db)) {
  console.error("usage: bun bench/analytics.ts --db <seeded database file> [--iterations 20]");
  process.exit(2);
}
const N = Number(values.iterations);

const env = parseEnv({
  NODE_ENV: "production",
  DATA_DIR: dirname(values.db),
  DATABASE_URL: `file:${values.db}`,
  LOG_LEVEL: "silent",
  JWT_SECRET: "bench-secret-bench-secret-bench-secret-0",
  CRON_ENABLED: "false",
});
const ctx = createContext(env);
const app = createApp(ctx);
const q = <T>(sql: string) => ctx.sqlite.query(sql).get() as T;
const admin = q<{ id: number }>("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1");
// The busiest client: the engagement figure with the most rows behind it.
const client = q<{ id: number }>(
  "SELECT client_id AS id FROM orders GROUP BY client_id ORDER BY count(*) DESC LIMIT 1",
);
const course = q<{ id: number }>(
  "SELECT course_id AS id FROM course_enrollments GROUP BY course_id ORDER BY count(*) DESC LIMIT 1",
);
const now = Date.now();
const adminToken = await signAccessToken(ctx.jwtSecret, admin.id, "admin", now, 3600);
const clientToken = await signAccessToken(ctx.jwtSecret, client.id, "client", now, 3600);

const ms = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 100) / 100;
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
};

async function timeCall(path: string, token: string): Promise<number> {
  const t0 = performance.now();
  const res = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  const dt = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${path} -> ${res.status}`);
  return dt;
}

const endpoints: { path: string; figure: Figure; token: string }[] = [
  { path: "/api/v1/analytics/platform", figure: "platform", token: adminToken },
  { path: "/api/v1/analytics/user-growth?days=365", figure: "growth", token: adminToken },
  { path: "/api/v1/analytics/sessions?days=30", figure: "sessions", token: adminToken },
  { path: "/api/v1/analytics/sessions?days=180", figure: "sessions", token: adminToken },
  { path: "/api/v1/analytics/courses", figure: "courses", token: adminToken },
  { path: `/api/v1/analytics/courses?course_id=${course.id}`, figure: "courses", token: adminToken },
  { path: "/api/v1/analytics/revenue?days=30", figure: "revenue", token: adminToken },
  { path: "/api/v1/analytics/revenue?days=365", figure: "revenue", token: adminToken },
  { path: "/api/v1/analytics/me/engagement", figure: "engagement", token: clientToken },
  { path: `/api/v1/analytics/user/${client.id}/engagement`, figure: "engagement", token: adminToken },
  { path: "/api/v1/analytics/revenue?days=30&format=csv", figure: "revenue", token: adminToken },
];

const results: Record<string, unknown> = {};
const cache = cacheOf(ctx.sqlite);
for (const e of endpoints) {
  const miss: number[] = [];
  const hit: number[] = [];
  await timeCall(e.path, e.token); // warm the statements
  for (let i = 0; i < N; i++) {
    cache.drop(e.figure);
    miss.push(await timeCall(e.path, e.token));
    hit.push(await timeCall(e.path, e.token));
  }
  results[e.path] = { miss_ms: ms(miss), hit_ms: ms(hit) };
}

const range = q<{ lo: number; hi: number }>(
  "SELECT min(created_at) AS lo, max(created_at) AS hi FROM orders",
);
const dayMs: number[] = [];
for (let i = 0; i < 10; i++) {
  const day = new Date(range.lo + ((range.hi - range.lo) * (i + 0.5)) / 10).toISOString().slice(0, 10);
  const t0 = performance.now();
  computeDailyMetrics(ctx, day);
  dayMs.push(performance.now() - t0);
}

const counts = Object.fromEntries(
  ["users", "orders", "usage_events", "events", "reviews", "course_enrollments", "ledger_transfers"].map(
    (t) => [t, q<{ n: number }>(`SELECT count(*) AS n FROM ${t}`).n],
  ),
);
console.log(
  JSON.stringify({ iterations: N, counts, endpoints: results, compute_daily_metrics_ms: ms(dayMs) }, null, 2),
);
process.exit(0);
