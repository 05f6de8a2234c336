/**
 * Support's gateway order list over a million orders, in process (app.request: the route's own cost).
 *
 *   bun bench/gateway-support.ts [--orders 1000000] [--iterations 30] [--dir /tmp/gw-support]
 *
 * Builds (once per --dir) a database with 50 stores, 1,000 traders with 5 requisites each, and
 * --orders gateway orders over 180 days (statuses, directions and amounts mixed like a real
 * gateway: most completed, some cancelled, expired, failed, a few open or disputed), written
 * straight to the table, then times `GET /support/gateway/orders` with each filter alone and a few
 * together: p50 / p99 / max in ms over --iterations calls (each call a different value or page).
 * Target: p99 under 50 ms per filter. Prints one JSON object; query plans in docs/gateway-operations.md.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/app";
import { createContext } from "../src/boot";
import { parseEnv } from "../src/env";
import { signAccessToken } from "../src/modules/accounts/tokens";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    orders: { type: "string", default: "1000000" },
    iterations: { type: "string", default: "30" },
    dir: { type: "string", default: "/tmp/gw-support" },
  },
});
const N_ORDERS = Number(values.orders);
const ITER = Number(values.iterations);
const dir = values.dir!;
mkdirSync(dir, { recursive: true });
const fresh = !existsSync(join(dir, "souk.db"));
const env = parseEnv({
  NODE_ENV: "production",
  DATA_DIR: dir,
  LOG_LEVEL: "silent",
  JWT_SECRET: "bench-secret-bench-secret-bench-secret-0",
  CRON_ENABLED: "false",
});
const ctx = createContext(env);
const db = ctx.sqlite;
const DAY = 86_400_000;
const END = Date.parse("2026-12-01T00:00:00.000Z");
const START = END - 180 * DAY;

// mulberry32: the same data set on every build.
let seed = 7;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly (readonly [T, number])[]): T => {
  let r = rnd();
  for (const [x, w] of xs) {
    r -= w;
    if (r < 0) return x;
  }
  return xs[xs.length - 1]![0];
};
const STATUSES = [
  ["completed", 0.72],
  ["cancelled", 0.08],
  ["expired", 0.08],
  ["failed", 0.05],
  ["assigned", 0.03],
  ["retrying", 0.01],
  ["review", 0.01],
  ["customer_confirmed", 0.01],
  ["disputed", 0.01],
] as const;

if (fresh) {
  const t0 = performance.now();
  db.exec("PRAGMA synchronous = OFF");
  db.transaction(() => {
    db.run(
      "INSERT INTO users (id, email, username, role, created_at, updated_at) VALUES (1, 'support@bench', 'support', 'support', ?, ?)",
      [START, START],
    );
    const user = db.prepare(
      "INSERT INTO users (id, email, username, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    const store = db.prepare(
      "INSERT INTO gateway_stores (id, merchant_id, name, callback_secret_sealed, pay_in_bps, pay_out_bps, created_at, updated_at) VALUES (?, ?, ?, 'x', 300, 300, ?, ?)",
    );
    for (let s = 1; s <= 50; s++) {
      user.run(1000 + s, `m${s}@bench`, `m${s}`, "merchant", START, START);
      store.run(s, 1000 + s, `Store ${s}`, START, START);
    }
    const trader = db.prepare(
      "INSERT INTO gateway_traders (id, user_id, priority, pay_in_bps, pay_out_bps, in_work, created_at, updated_at) VALUES (?, ?, ?, 100, 100, 1, ?, ?)",
    );
    const req = db.prepare(
      `INSERT INTO gateway_requisites (id, trader_id, payment_method, bank, details, owner_name, pay_in, pay_out, currency,
         min_amount, max_amount, daily_limit, daily_count_limit, status, trader_priority, created_at, updated_at)
       VALUES (?, ?, 'card', 'Sber', ?, 'OWNER', 1, 1, 'RUB', 100, 10000000, 1000000000, 1000, 'approved', 1, ?, ?)`,
    );
    for (let t = 1; t <= 1000; t++) {
      user.run(10_000 + t, `t${t}@bench`, `t${t}`, "trader", START, START);
      trader.run(t, 10_000 + t, 1 + (t % 10), START, START);
      for (let r = 0; r < 5; r++) req.run((t - 1) * 5 + r + 1, t, `2200 ${t} ${r}`, START, START);
    }
    const order = db.prepare(
      `INSERT INTO gateway_orders (direction, store_id, client_order_id, request_hash, status, amount, currency, rate,
         amount_crypto, store_bps, store_commission, trader_bps, trader_commission, payment_method, requisite_id,
         trader_id, customer_id, fraud_decision, fraud_reasons, selection_log, excluded_traders, assigned_at,
         completed_at, created_at, updated_at)
       VALUES (?, ?, ?, 'h', ?, ?, 'RUB', 9550, ?, 300, ?, 100, ?, 'card', ?, ?, ?, 'allow', '[]', '[]', '[]', ?, ?, ?, ?)`,
    );
    for (let i = 0; i < N_ORDERS; i++) {
      const created = START + Math.floor((i / N_ORDERS) * 180 * DAY);
      const status = pick(STATUSES);
      const amount = 100 * Math.floor(10 + rnd() * 50_000); // 10.00 .. 50,010.00 in whole roubles
      const crypto = Math.floor((amount * 1_000_000) / 9550);
      const routed = status !== "retrying" && status !== "review" && !(status === "failed" && rnd() < 0.5);
      const requisite = routed ? 1 + Math.floor(rnd() * 5000) : null;
      const store = 1 + Math.floor(rnd() * 50);
      order.run(
        rnd() < 0.85 ? "payin" : "payout",
        store,
        `co-${i}`,
        status,
        amount,
        crypto,
        Math.floor(crypto * 0.03),
        Math.floor(crypto * 0.01),
        requisite,
        requisite == null ? null : Math.ceil(requisite / 5),
        `cust-${Math.floor(rnd() * 200_000)}`,
        routed ? created + 1000 : null,
        status === "completed" ? created + 300_000 : null,
        created,
        created,
      );
    }
  })();
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("ANALYZE");
  console.error(`built ${N_ORDERS} orders in ${Math.round(performance.now() - t0)} ms`);
}

const app = createApp(ctx);
const token = await signAccessToken(ctx.jwtSecret, 1, "support", Date.now(), 3600);
const headers = { authorization: `Bearer ${token}` };
const ms = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 100) / 100;
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
};
const day = (i: number) => new Date(START + (i % 170) * DAY).toISOString().slice(0, 10);
const FILTERS: Record<string, (i: number) => string> = {
  none: (i) => `page=${1 + (i % 5)}`,
  status: (i) => `status=${STATUSES[i % STATUSES.length]![0]}`,
  direction: (i) => `direction=${i % 2 ? "payin" : "payout"}`,
  store_id: (i) => `store_id=${1 + (i % 50)}`,
  trader_id: (i) => `trader_id=${1 + ((i * 37) % 1000)}`,
  amount_exact: (i) => `amount_exact=${100 * (10 + i * 997)}`,
  amount_range: (i) => `amount_min=${100_000 + i * 1000}&amount_max=${110_000 + i * 1000}`,
  from_to: (i) => `from=${day(i)}&to=${day(i + 1)}`,
  client_order_id: (i) => `client_order_id=co-${(i * 33_331) % N_ORDERS}`,
  store_status_period: (i) => `store_id=${1 + (i % 50)}&status=completed&from=${day(i)}&to=${day(i + 7)}`,
  trader_status: (i) => `trader_id=${1 + ((i * 37) % 1000)}&status=completed`,
};
const out: Record<string, { p50: number; p99: number; max: number; count: number }> = {};
for (const [name, qs] of Object.entries(FILTERS)) {
  const times: number[] = [];
  let count = 0;
  for (let i = 0; i < ITER + 3; i++) {
    const t0 = performance.now();
    const res = await app.request(`/api/v1/support/gateway/orders?${qs(i)}`, { headers });
    const body = (await res.json()) as { count: number };
    if (res.status !== 200) throw new Error(`${name}: ${res.status} ${JSON.stringify(body)}`);
    if (i >= 3) times.push(performance.now() - t0);
    count = body.count;
  }
  out[name] = { ...ms(times), count };
}
console.log(JSON.stringify({ orders: N_ORDERS, iterations: ITER, filters: out }, null, 1));
