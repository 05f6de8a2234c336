/**
 * Feature flags' cost, in process (app.request, no HTTP server: Bun.serve's own work is the same
 * for every route, so leaving it out shows the flags' share).
 *
 *   bun bench/flags.ts [--iterations 1000000] [--requests 20000] [--flags 50]
 *
 * 1. isEnabled(ctx, key, user), the call hot paths make, with --flags saved flags in the cache:
 *    a built-in flag with no row, a flag at 100 %, a 30 % rollout (one murmur3 hash), a role
 *    filter, and a flag listing 1,000 users (a listed and an unlisted caller). ns per call.
 * 2. Requests: GET /api/v1/flags (every flag for a signed-in caller), OFREP single and bulk
 *    evaluation with an API key, and a bulk evaluation answered 304 by its ETag. µs per request.
 * 3. A write (PATCH /admin/flags/{key}) followed by the first isEnabled, which reloads the cache.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/app";
import { createContext } from "../src/boot";
import { users } from "../src/db/schema";
import { parseEnv } from "../src/env";
import { createApiKey } from "../src/modules/accounts/api-keys";
import { permissionsFor } from "../src/modules/accounts/permissions";
import { signAccessToken } from "../src/modules/accounts/tokens";
import { createFlag } from "../src/modules/platform/flags/admin";
import { isEnabled } from "../src/modules/platform/flags/service";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    iterations: { type: "string", default: "1000000" },
    requests: { type: "string", default: "20000" },
    flags: { type: "string", default: "50" },
  },
});
const N = Math.min(Math.max(10_000, Number(values.iterations)), 50_000_000);
const REQUESTS = Math.min(Math.max(1000, Number(values.requests)), 1_000_000);
const FLAGS = Math.min(Math.max(5, Number(values.flags)), 5000);

const tmp = mkdtempSync(join(tmpdir(), "souk-bench-flags-"));
const ctx = createContext(
  parseEnv({
    DATA_DIR: tmp,
    LOG_LEVEL: "silent",
    CRON_ENABLED: "false",
    JWT_SECRET: "f".repeat(48),
    PASSWORD_MEMORY_KIB: "1024",
    PASSWORD_TIME_COST: "1",
  }),
);
ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "100000000/minute" });
const app = createApp(ctx);
const now = Date.now();

const user = (role: "client" | "admin", name: string) =>
  ctx.db
    .insert(users)
    .values({ email: `${name}@bench.local`, username: name, role, createdAt: now, updatedAt: now })
    .returning()
    .get();
const admin = user("admin", "flags_admin");
const client = user("client", "flags_client");
const listed = Array.from({ length: 1000 }, (_, i) => user("client", `listed_${i}`).id);
const actor = { id: admin.id };

createFlag(ctx, actor, {
  key: "everyone",
  description: "",
  enabled: true,
  rollout_percent: 100,
  roles: [],
  user_ids: [],
});
createFlag(ctx, actor, {
  key: "rollout",
  description: "",
  enabled: true,
  rollout_percent: 30,
  roles: [],
  user_ids: [],
});
createFlag(ctx, actor, {
  key: "experts",
  description: "",
  enabled: true,
  rollout_percent: 100,
  roles: ["expert"],
  user_ids: [],
});
createFlag(ctx, actor, {
  key: "listed",
  description: "",
  enabled: true,
  rollout_percent: 0,
  roles: [],
  user_ids: listed,
});
for (let i = 4; i < FLAGS; i++) {
  createFlag(ctx, actor, {
    key: `flag_${i}`,
    description: `bench flag ${i}`,
    enabled: i % 2 === 0,
    rollout_percent: (i * 7) % 101,
    roles: [],
    user_ids: [],
  });
}

const me = { id: client.id, role: client.role };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** ns per call, median of 5 rounds of N calls. */
function perCall(fn: () => boolean): number {
  let sink = 0;
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < N; i++) if (fn()) sink++;
    rounds.push((Bun.nanoseconds() - t0) / N);
  }
  if (sink < 0) console.log(sink);
  return Math.round(median(rounds) * 10) / 10;
}

const unlisted = { id: client.id, role: client.role };
const listedUser = { id: listed[500]!, role: "client" as const };
const calls: [string, number][] = [
  ["built-in flag, no row (rules_engine)", perCall(() => isEnabled(ctx, "rules_engine", me))],
  ["100 %, no targeting", perCall(() => isEnabled(ctx, "everyone", me))],
  ["30 % rollout (murmur3 bucket)", perCall(() => isEnabled(ctx, "rollout", me))],
  ["roles filter, role not listed", perCall(() => isEnabled(ctx, "experts", me))],
  ["1,000 user ids, caller listed", perCall(() => isEnabled(ctx, "listed", listedUser))],
  ["1,000 user ids, caller not listed", perCall(() => isEnabled(ctx, "listed", unlisted))],
  ["anonymous caller", perCall(() => isEnabled(ctx, "rollout", null))],
];

// ---------- 2. requests ----------

const token = await signAccessToken(ctx.jwtSecret, client.id, "client", now, 86400);
const adminToken = await signAccessToken(ctx.jwtSecret, admin.id, "admin", now, 86400);
const principal = { user: { ...admin, grantedPermissions: [] }, permissions: permissionsFor("admin") };
const sk = createApiKey(ctx, principal, { name: "ofrep", scopes: ["flags:read"] }).key;

async function perRequest(make: () => Request, expect: number): Promise<number> {
  for (let i = 0; i < 200; i++) await app.fetch(make());
  const rounds: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = Bun.nanoseconds();
    const n = Math.floor(REQUESTS / 3);
    for (let i = 0; i < n; i++) {
      const res = await app.fetch(make());
      if (res.status !== expect)
        throw new Error(`expected ${expect}, got ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
    rounds.push((Bun.nanoseconds() - t0) / n / 1000);
  }
  return Math.round(median(rounds) * 10) / 10;
}

const base = "http://souk.bench";
const ofrep =
  (path: string, extra: Record<string, string> = {}) =>
  () =>
    new Request(`${base}/ofrep/v1/evaluate/flags${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${sk}`, "content-type": "application/json", ...extra },
      body: JSON.stringify({ context: { targetingKey: String(client.id) } }),
    });
const bulk = await app.fetch(ofrep("")());
const etag = bulk.headers.get("etag")!;
const requests: [string, number][] = [
  [
    `GET /api/v1/flags (${FLAGS} flags, access token)`,
    await perRequest(
      () => new Request(`${base}/api/v1/flags`, { headers: { authorization: `Bearer ${token}` } }),
      200,
    ),
  ],
  ["OFREP single evaluation (API key)", await perRequest(ofrep("/rollout"), 200)],
  [`OFREP bulk evaluation (${FLAGS} flags)`, await perRequest(ofrep(""), 200)],
  ["OFREP bulk evaluation, 304 by ETag", await perRequest(ofrep("", { "if-none-match": etag }), 304)],
];

// ---------- 3. a write, then the reload ----------

const reloads: number[] = [];
for (let i = 0; i < 50; i++) {
  const res = await app.fetch(
    new Request(`${base}/api/v1/admin/flags/flag_5`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ rollout_percent: i % 101 }),
    }),
  );
  if (res.status !== 200) throw new Error(`PATCH answered ${res.status}`);
  const t0 = Bun.nanoseconds();
  isEnabled(ctx, "rollout", me);
  reloads.push((Bun.nanoseconds() - t0) / 1000);
}

console.log(`\n### isEnabled (${FLAGS} flags cached; median of 5 × ${N} calls)\n`);
console.log("| case | ns per call |\n| --- | ---: |");
for (const [name, ns] of calls) console.log(`| ${name} | ${ns} |`);
console.log(`\n### Requests in process (median of 3 rounds, ${REQUESTS} requests in all)\n`);
console.log("| request | µs per request |\n| --- | ---: |");
for (const [name, us] of requests) console.log(`| ${name} | ${us} |`);
console.log(
  `\nFirst isEnabled after a flag write (cache reload of ${FLAGS} rows): median ${Math.round(median(reloads) * 10) / 10} µs`,
);
ctx.sqlite.close();
rmSync(tmp, { recursive: true, force: true });
