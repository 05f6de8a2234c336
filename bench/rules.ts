/**
 * The rule engine's cost, in process (app.request, no HTTP server: Bun.serve's own work is the same
 * with or without rules, so leaving it out makes the difference easier to see, not smaller).
 *
 *   bun bench/rules.ts [--iterations 20000] [--lifecycles 300] [--rounds 5]
 *
 * 1. One rule with a 20-node condition (groups included), evaluated on a fresh event: µs per
 *    evaluation with payload facts only, and with actor and subject facts (their two point reads
 *    happen once per event and are shared by every rule that evaluates it), and the engine's whole
 *    path for that one rule on one event (index lookup, flag, evaluation, its run row).
 * 2. The order lifecycle (create, take, set-price, pay, start, complete, accept: 7 requests, ~8 events)
 *    on a WAL database file, run sequentially, with
 *      - no rules,
 *      - 1,000 enabled rules, 10 of them on `order.*` (so on every lifecycle event) whose conditions
 *        do not match, the other 990 on other types, runs logged for every evaluation (default),
 *      - the same with `rules_log_unmatched` off (only matched runs and failures are logged).
 *    The configurations alternate round by round on the same database; medians are reported.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/app";
import { createContext } from "../src/boot";
import { expertProfiles, expertSpecializations, subjects, users } from "../src/db/schema";
import { parseEnv } from "../src/env";
import { signAccessToken } from "../src/modules/accounts/tokens";
import { providerClearing, transfer, userAvailable } from "../src/modules/ledger/service";
import { listEventTypes } from "../src/modules/platform/events/types";
import type { Condition } from "../src/modules/platform/rules/document";
import { rulesOnEmit } from "../src/modules/platform/rules/engine";
import { compile } from "../src/modules/platform/rules/evaluate";
import { Facts, type RuleEvent } from "../src/modules/platform/rules/facts";
import { invalidateRules } from "../src/modules/platform/rules/rule-index";
import { assertValidRule } from "../src/modules/platform/rules/validate";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    iterations: { type: "string", default: "20000" },
    lifecycles: { type: "string", default: "300" },
    rounds: { type: "string", default: "5" },
  },
});
const N = Math.min(Math.max(1000, Number(values.iterations)), 1_000_000);
const LIFECYCLES = Math.min(Math.max(20, Number(values.lifecycles)), 10_000);
const ROUNDS = Math.min(Math.max(1, Number(values.rounds)), 20);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r2 = (x: number) => Math.round(x * 100) / 100;

const tmp = mkdtempSync(join(tmpdir(), "souk-bench-rules-"));
const ctx = createContext(
  parseEnv({
    DATA_DIR: tmp,
    LOG_LEVEL: "silent",
    CRON_ENABLED: "false",
    JWT_SECRET: "r".repeat(48),
    PASSWORD_MEMORY_KIB: "1024",
    PASSWORD_TIME_COST: "1",
  }),
);
ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "100000000/minute", RATE_LIMIT_AUTH: "100000000/minute" });
const app = createApp(ctx);
const now = Date.now();

// ---------- setup: a client with money, an expert verified in a subject ----------

const user = (role: "client" | "expert" | "admin", name: string) =>
  ctx.db
    .insert(users)
    .values({ email: `${name}@bench.local`, username: name, role, createdAt: now, updatedAt: now })
    .returning()
    .get();
const client = user("client", "rules_client");
const expert = user("expert", "rules_expert");
const subject = ctx.db
  .insert(subjects)
  .values({ name: "Bench", createdAt: now, updatedAt: now })
  .returning()
  .get();
ctx.db.insert(expertProfiles).values({ userId: expert.id, approvedAt: now, updatedAt: now }).run();
ctx.db
  .insert(expertSpecializations)
  .values({ userId: expert.id, subjectId: subject.id, isVerified: true, verifiedAt: now, createdAt: now })
  .run();
ctx.db.transaction((tx) =>
  transfer(ctx, tx, {
    from: providerClearing("stripe", "RUB"),
    to: userAvailable(client.id, "RUB"),
    amount: 1e13,
    kind: "payment",
    idempotencyKey: "bench-rules-fund",
  }),
);
const clientToken = await signAccessToken(ctx.jwtSecret, client.id, "client", now, 86400);
const expertToken = await signAccessToken(ctx.jwtSecret, expert.id, "expert", now, 86400);

// ---------- 1. one rule, 20 nodes ----------

const leaf = (fact: string, operator: string, value?: unknown) =>
  (value === undefined ? { fact, operator } : { fact, operator, value }) as unknown as Condition;

/**
 * 20 nodes (8 groups, 12 comparisons) that match the bench event with every node evaluated: each
 * `any` is satisfied only by its last child, every `all` by all of its children.
 */
function twentyNodes(withRows: boolean): Condition {
  const row = (f: string, alt: string) => (withRows ? f : alt);
  return {
    all: [
      {
        any: [
          leaf("payload.amount", "gt", 1e12),
          leaf("payload.kind", "eq", "session"),
          leaf(row("actor.role", "payload.role"), "eq", "expert"),
        ],
      },
      { not: leaf("payload.flagged", "exists") },
      {
        all: [
          leaf("type", "in", ["order.created", "order.take", "order.pay"]),
          leaf("payload.budget", "gte", 0),
          leaf(row("subject.status", "payload.status"), "ne", "cancelled"),
        ],
      },
      {
        any: [
          { not: leaf("payload.note", "contains", "nothing") },
          leaf("payload.count", "gt", 5),
          leaf("payload.kind", "ne", "x"),
        ],
      },
      leaf("subject_type", "eq", "order"),
      leaf(row("subject.client_id", "payload.client_id"), "gte", 1),
      leaf("actor_id", "exists"),
      leaf(row("actor.telegram_id", "payload.telegram_id"), "exists", false),
    ],
  };
}

function countNodes(c: Condition): number {
  if ("all" in c) return 1 + c.all.reduce((n, x) => n + countNodes(x), 0);
  if ("any" in c) return 1 + c.any.reduce((n, x) => n + countNodes(x), 0);
  if ("not" in c) return 1 + countNodes(c.not);
  return 1;
}

const micro: { what: string; us: number }[] = [];
const order = (await (
  await app.request("/api/v1/orders", {
    method: "POST",
    headers: { authorization: `Bearer ${clientToken}`, "content-type": "application/json" },
    body: JSON.stringify({ title: "Micro", subject_id: subject.id, budget: 100 }),
  })
).json()) as { id: number };
const event: RuleEvent = {
  id: 1,
  type: "order.take",
  actorId: expert.id,
  subjectType: "order",
  subjectId: String(order.id),
  payload: {
    budget: 100,
    kind: "work",
    count: 3,
    note: "nothing special",
    status: "new",
    client_id: client.id,
    role: "expert",
  },
};

for (const withRows of [false, true]) {
  const cond = twentyNodes(withRows);
  if (countNodes(cond) !== 20) throw new Error(`the condition has ${countNodes(cond)} nodes, not 20`);
  assertValidRule({ event_type: "order.*", conditions: cond, actions: [] });
  const test = compile(cond);
  let hits = 0;
  const rounds: number[] = [];
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) if (test(new Facts(ctx.db, event))) hits++;
    rounds.push(((performance.now() - t0) / N) * 1000);
  }
  rounds.shift(); // warm-up
  micro.push({
    what: withRows
      ? "20-node condition, actor + subject facts (2 point reads per event, then cached)"
      : "20-node condition, event and payload facts",
    us: r2(median(rounds)),
  });
  if (hits !== N * 4)
    throw new Error(`the condition matched ${hits} of ${N * 4} times: not every node was evaluated`);
}

// The engine's path for one rule on one event: lookup, flag, evaluate, the run row.
{
  ctx.sqlite
    .query(
      "INSERT INTO rules (name, event_type, conditions, actions, created_at, updated_at) VALUES ('micro', 'order.take', ?, '[]', ?, ?)",
    )
    .run(JSON.stringify(twentyNodes(true)), now, now);
  invalidateRules(ctx);
  const perRound = 2000;
  const rounds: number[] = [];
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now();
    ctx.db.transaction((tx) => {
      for (let i = 0; i < perRound; i++)
        rulesOnEmit(ctx, tx, { ...event, id: 1_000_000 + r * perRound + i, createdAt: now });
    });
    rounds.push(((performance.now() - t0) / perRound) * 1000);
  }
  rounds.shift();
  micro.push({
    what: "the engine on one event with that rule (matched, no actions): lookup, flag, evaluation, savepoint, run row",
    us: r2(median(rounds)),
  });
  ctx.sqlite.exec("DELETE FROM rule_runs; DELETE FROM rules");
  invalidateRules(ctx);
}

// ---------- 2. the lifecycle with and without 1,000 rules ----------

const insertRule = ctx.sqlite.query(
  "INSERT INTO rules (name, event_type, enabled, priority, conditions, actions, created_at, updated_at) VALUES (?, ?, 0, ?, ?, ?, ?, ?)",
);
const otherTypes = listEventTypes()
  .map((e) => e.type)
  .filter((ty) => !ty.startsWith("order."));
const otherPatterns = ["user.*", "purchase.*", "usage.*", "expert.*", "course.*"];
const noMatch = (i: number): Condition =>
  i % 2 === 0
    ? { all: [leaf("payload.amount", "gt", 1e12), leaf("actor.role", "eq", "arbitrator")] }
    : { any: [leaf("subject.status", "eq", "disputed"), { all: [leaf("payload.price", "gt", 1e12)] }] };
const act = JSON.stringify([{ type: "request_admin_attention", params: { reason: "bench" } }]);
ctx.sqlite.transaction(() => {
  for (let i = 0; i < 10; i++)
    insertRule.run(`on order.* ${i}`, "order.*", i, JSON.stringify(noMatch(i)), act, now, now);
  for (let i = 0; i < 990; i++) {
    const type =
      i % 10 === 0 ? otherPatterns[(i / 10) % otherPatterns.length]! : otherTypes[i % otherTypes.length]!;
    insertRule.run(`other ${i}`, type, i % 7, JSON.stringify(noMatch(i)), act, now, now);
  }
})();
const rulesCount = (ctx.sqlite.query("SELECT count(*) AS n FROM rules").get() as { n: number }).n;

// The engine's cost per order event with these rules (10 evaluated, none matching), both ways.
for (const logUnmatched of [false, true]) {
  ctx.sqlite.query("UPDATE rules SET enabled = 1").run();
  ctx.settings.setNow({ rules_log_unmatched: logUnmatched });
  invalidateRules(ctx);
  const perRound = 2000;
  const rounds: number[] = [];
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now();
    ctx.db.transaction((tx) => {
      for (let i = 0; i < perRound; i++) {
        rulesOnEmit(ctx, tx, { ...event, id: 2_000_000 + r * perRound + i, createdAt: now });
      }
    });
    rounds.push(((performance.now() - t0) / perRound) * 1000);
  }
  rounds.shift();
  micro.push({
    what: `the engine on one order event with ${rulesCount.toLocaleString("en-US")} rules (10 evaluated, none matching), unmatched runs ${logUnmatched ? "logged" : "not logged"}`,
    us: r2(median(rounds)),
  });
}
ctx.sqlite.exec("DELETE FROM rule_runs");

async function post(path: string, token: string, body?: unknown) {
  const res = await app.request(path, {
    method: "POST",
    headers:
      body === undefined
        ? { authorization: `Bearer ${token}` }
        : { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${path} -> ${res.status}: ${text.slice(0, 200)}`);
  return text;
}

async function lifecycle(n: number) {
  const o = JSON.parse(
    await post("/api/v1/orders", clientToken, {
      title: `Bench ${n}`,
      subject_id: subject.id,
      budget: 10_000,
    }),
  ) as { id: number };
  const p = `/api/v1/orders/${o.id}`;
  await post(`${p}/take`, expertToken);
  await post(`${p}/set-price`, expertToken, { price: 10_000 });
  await post(`${p}/pay`, clientToken);
  await post(`${p}/start`, expertToken);
  await post(`${p}/complete`, expertToken);
  await post(`${p}/accept`, clientToken);
}

type Config = { name: string; enabled: boolean; logUnmatched: boolean };
const CONFIGS: Config[] = [
  { name: "no rules", enabled: false, logUnmatched: true },
  {
    name: `${rulesCount.toLocaleString("en-US")} rules, 10 on order.*, every run logged`,
    enabled: true,
    logUnmatched: true,
  },
  {
    name: `${rulesCount.toLocaleString("en-US")} rules, 10 on order.*, unmatched runs not logged`,
    enabled: true,
    logUnmatched: false,
  },
];

function configure(c: Config) {
  ctx.sqlite.query("UPDATE rules SET enabled = ?").run(c.enabled ? 1 : 0);
  ctx.settings.setNow({ rules_log_unmatched: c.logUnmatched });
  invalidateRules(ctx);
}

let seq = 0;
for (const c of CONFIGS) {
  configure(c);
  for (let i = 0; i < 30; i++) await lifecycle(seq++);
}
const results = new Map<string, { rate: number[]; cpu: number[] }>(
  CONFIGS.map((c) => [c.name, { rate: [], cpu: [] }]),
);
const runsBefore = (ctx.sqlite.query("SELECT count(*) AS n FROM rule_runs").get() as { n: number }).n;
for (let r = 0; r < ROUNDS; r++) {
  for (const c of CONFIGS) {
    configure(c);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < LIFECYCLES; i++) await lifecycle(seq++);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    results.get(c.name)!.rate.push((LIFECYCLES / wall) * 1000);
    results.get(c.name)!.cpu.push((cpu.user + cpu.system) / LIFECYCLES);
  }
}
const runsLogged =
  (ctx.sqlite.query("SELECT count(*) AS n FROM rule_runs").get() as { n: number }).n - runsBefore;
const attention = (ctx.sqlite.query("SELECT count(*) AS n FROM attention_items").get() as { n: number }).n;
rmSync(tmp, { recursive: true, force: true });

console.log(
  `bun ${Bun.version}, in process (app.request), WAL file database; µs are wall time per call, median of 3 rounds of ${N}\n`,
);
console.log("| engine cost | µs |");
console.log("|---|---:|");
for (const m of micro) console.log(`| ${m.what} | ${m.us} |`);
const base = median(results.get(CONFIGS[0]!.name)!.rate);
console.log(
  `\norder lifecycle, ${LIFECYCLES} sequential lifecycles per round, ${ROUNDS} rounds alternating (medians)\n`,
);
console.log("| configuration | orders/s | vs no rules | CPU µs per order |");
console.log("|---|---:|---:|---:|");
for (const c of CONFIGS) {
  const r = results.get(c.name)!;
  const rate = median(r.rate);
  console.log(`| ${c.name} | ${r2(rate)} | ${r2((rate / base) * 100)}% | ${Math.round(median(r.cpu))} |`);
}
console.log(
  `\nrule runs logged during the measured rounds: ${runsLogged}; attention items (must be 0: no rule matched): ${attention}`,
);
