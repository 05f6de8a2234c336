import { statSync } from "node:fs";
import { ROLES } from "../db/schema";
import { iso } from "../lib/time";
import type { DemoLogin } from "../seed";
import { MAX_SCALE } from "../seed-scale/limits";
import type { ProgressInfo } from "../seed-scale/progress";
import { cliEnv, defineCommand, FROM_SOURCE, UsageError } from "./command";
import { databaseLabel, openContext } from "./context";

type Created = {
  users: Record<string, number>;
  packages: number;
  catalog: number;
  specializations: number;
  gateway: { stores: number; traders: number; requisites: number };
};

function summary(c: Created): string {
  const users = Object.values(c.users).reduce((a, b) => a + b, 0);
  if (!users && !c.packages && !c.catalog && !c.specializations && !c.gateway.stores) {
    return "demo data already present: nothing added";
  }
  const byRole = Object.entries(c.users)
    .map(([role, n]) => `${role} ${n}`)
    .join(", ");
  return (
    `demo data added: ${users} users${byRole ? ` (${byRole})` : ""}, ${c.packages} packages, ` +
    `${c.catalog} catalog entries, ${c.specializations} verified specializations, ` +
    `${c.gateway.stores} gateway store, ${c.gateway.traders} traders with ${c.gateway.requisites} approved requisites`
  );
}

/** One line per role: a login to copy, then the role's other usernames. */
function loginLines(logins: DemoLogin[]): string[] {
  const width = Math.max(...ROLES.map((r) => r.length));
  const emailWidth = Math.max(0, ...logins.map((l) => l.email.length));
  return ROLES.flatMap((role) => {
    const [first, ...rest] = logins.filter((l) => l.role === role);
    if (!first) return [];
    const others = rest.map((l) => l.username);
    const also =
      others.length === 0
        ? ""
        : ` (also ${others.length > 3 ? `${others[0]} … ${others.at(-1)}` : others.join(", ")})`;
    return [`  ${role.padEnd(width)}  ${first.email.padEnd(emailWidth)}  username ${first.username}${also}`];
  });
}

const SCALE_HELP = [
  "",
  "With --scale N it builds, on an empty database, a realistic history of the last 180 days for",
  "N x 1,000 users (N from 1 to 1000): about N x 10,000 orders of both kinds in every status, with",
  "chat, reviews both ways, SLA breaches, disputes, wallet top-ups and escrow through the ledger,",
  "courses and enrollments, minute packages and about N x 10,000 usage records, and the platform",
  "events of all of it; then the daily metrics of those days. Every generated user logs in with the",
  "same demo password. The same --seed gives the same data (within the same hour). A progress bar",
  "goes to stderr; --scale 100 takes a few minutes and about 3 GB. See docs/demo-data.md.",
].join("\n");

/** A whole number within [min, max] from an option's text, or a usage error naming the option. */
function wholeNumber(value: string, option: string, min: number, max: number, what: string): number {
  const n = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(
      `--${option} must be a whole number from ${min} to ${max}${what}, not '${value}'`,
      "seed",
    );
  }
  return n;
}

export const seed = defineCommand({
  name: "seed",
  usage: "--demo [--force] [--scale N [--seed S]]",
  description: [
    "Adds demo users of every role (one shared, published password), minute packages, a catalog of",
    "subjects, work types and complexities, experts with verified specializations, and the payment",
    "gateway's demo (a RUB rate, merchant_1's store, trader_1..3 with deposits and approved",
    "requisites), then prints the demo logins. Running it again adds nothing new.",
    "",
    "Demo users have emails @demo.souk.local; a database with any other user is refused unless",
    "--force, so demo accounts never end up beside real ones by accident.",
    SCALE_HELP,
  ].join("\n"),
  options: {
    demo: { type: "boolean", help: "required: this seed is demo data, not for production" },
    force: { type: "boolean", help: "seed even though the database has real users (not with --scale)" },
    scale: {
      type: "string",
      value: "N",
      help: `also a 180-day history of N x 1,000 users (1 to ${MAX_SCALE})`,
    },
    seed: { type: "string", value: "S", help: "with --scale: the random seed, 0 to 4294967295 (default 1)" },
  },
  examples: [
    `${FROM_SOURCE} seed --demo      (or: npm run seed)`,
    `${FROM_SOURCE} seed --demo --scale 100 --seed 7`,
  ],
  async run(v, entry) {
    if (!v.demo) throw new UsageError("seed needs --demo (the only seed there is: demo data)", "seed");
    if (v.seed !== undefined && v.scale === undefined) {
      throw new UsageError("--seed goes with --scale (the plain demo data is always the same)", "seed");
    }
    if (v.scale !== undefined) {
      if (v.force)
        throw new UsageError("--force does not apply to --scale, which needs an empty database", "seed");
      const scale = wholeNumber(v.scale, "scale", 1, MAX_SCALE, " (thousands of users)");
      const seedValue = v.seed === undefined ? 1 : wholeNumber(v.seed, "seed", 0, 4_294_967_295, "");
      return runScale(scale, seedValue);
    }
    const env = cliEnv();
    // Loaded on demand: faker and the seed code cost ~100 ms of every `serve` cold start otherwise.
    const { RealUsersPresent, seedDemo } = await import("../seed");
    const again = `${entry.invocation} seed --demo --force`;
    const ctx = openContext(env);
    try {
      const r = await seedDemo(ctx, { force: v.force }).catch((e: Error) => {
        throw e instanceof RealUsersPresent ? new Error(`${e.message}: ${again}`) : e;
      });
      console.log(summary(r));
      printLogins(r.password, r.logins, env.PORT);
    } finally {
      ctx.sqlite.close();
    }
    return 0;
  },
});

function printLogins(password: string, logins: DemoLogin[], port: number) {
  console.log("");
  console.log(`Demo logins (every password: ${password}; log in with the email or the username):`);
  for (const line of loginLines(logins)) console.log(line);
  console.log("");
  const who = logins.find((l) => l.role === "admin") ?? logins[0];
  const body = JSON.stringify({ login: who?.username ?? "admin_1", password });
  console.log(
    `Try: curl -s -XPOST http://localhost:${port}/api/v1/auth/login ` +
      `-H 'content-type: application/json' -d '${body}'`,
  );
}

const thousands = (n: number) => n.toLocaleString("en-US");

/** `seed --demo --scale N`: the history, then the derived tables, with a progress bar on stderr. */
async function runScale(scale: number, seedValue: number) {
  const env = cliEnv();
  const { DatabaseNotEmpty, seedScale } = await import("../seed-scale/generate");
  const { rebuildDerived } = await import("../seed-scale/derived");
  const { ProgressBar } = await import("../seed-scale/progress");
  const { demoLogins } = await import("../seed");
  const ctx = openContext(env);
  try {
    const bar = new ProgressBar("history");
    let last: ProgressInfo | undefined;
    // The bar's 100 % line is drawn once the load is over, with its final counts.
    const loaded = () => last && bar.done({ ...last, fraction: 1 });
    const r = await seedScale(ctx, {
      scale,
      seed: seedValue,
      onProgress: (p) => {
        last = p;
        if (p.fraction < 1) bar.update(p);
      },
      onIndexes: (s) => {
        if (s.done === 0) loaded();
        bar.note(
          s.done === 0
            ? `indexes: rebuilding ${s.indexes} indexes of ${s.total} tables`
            : `indexes: ${s.done}/${s.total} ${s.table} (${s.indexes}) ${(s.elapsedMs / 1000).toFixed(1)}s`,
        );
      },
    }).catch((e: Error) => {
      if (e instanceof DatabaseNotEmpty) throw e;
      // Earlier batches are committed: say so rather than leave a half-built history unexplained.
      throw new Error(`${e.message} (the history is incomplete: delete ${databaseLabel(env)} and run again)`);
    });
    loaded();
    const started = performance.now();
    const derived = rebuildDerived(ctx, r, (s) => {
      if (s.label === "scores" ? s.done === s.total : s.done === s.total || s.done % 30 === 0)
        bar.note(`${s.label}: ${s.done}/${s.total}`);
    });
    ctx.sqlite.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const path = databaseLabel(env);
    const size = path === ":memory:" ? 0 : statSync(path).size;
    console.log(
      `demo history from ${iso(r.from)} to ${iso(r.to)} (seed ${seedValue}) built in ${(r.generateMs / 1000).toFixed(1)} s ` +
        `(${(r.indexMs / 1000).toFixed(1)} s of it rebuilding indexes), ` +
        `derived tables in ${((performance.now() - started) / 1000).toFixed(1)} s: ${thousands(derived.clients)} client risks, ` +
        `${thousands(derived.experts)} expert scores, ${derived.metricsDays} days of daily metrics`,
    );
    console.log(
      Object.entries(r.rows)
        .map(([t, n]) => `  ${t.padEnd(18)} ${thousands(n).padStart(12)}`)
        .join("\n"),
    );
    const statuses = Object.entries(r.ordersByStatus).sort((a, b) => b[1] - a[1]);
    console.log(`orders by status: ${statuses.map(([s, n]) => `${s} ${thousands(n)}`).join(", ")}`);
    console.log(`database ${path}: ${(size / 1e6).toFixed(0)} MB`);
    // The seed's own `<role>_<n>` logins; every generated user shares their password.
    const logins = demoLogins(ctx);
    const named = logins.filter((l) => /^[a-z]+_\d+$/.test(l.username));
    printLogins(r.password, named, env.PORT);
    const other = logins.find((l) => !named.includes(l) && l.role === "client");
    if (other)
      console.log(
        `Any of the ${thousands(logins.length - named.length)} generated users too, e.g. ${other.username}.`,
      );
  } finally {
    ctx.sqlite.close();
  }
  return 0;
}
