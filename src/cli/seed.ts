import { ROLES } from "../db/schema";
import type { DemoLogin } from "../seed";
import { cliEnv, defineCommand, FROM_SOURCE, UsageError } from "./command";
import { openContext } from "./context";

type Created = { users: Record<string, number>; packages: number; catalog: number; specializations: number };

function summary(c: Created): string {
  const users = Object.values(c.users).reduce((a, b) => a + b, 0);
  if (!users && !c.packages && !c.catalog && !c.specializations) {
    return "demo data already present: nothing added";
  }
  const byRole = Object.entries(c.users)
    .map(([role, n]) => `${role} ${n}`)
    .join(", ");
  return (
    `demo data added: ${users} users${byRole ? ` (${byRole})` : ""}, ${c.packages} packages, ` +
    `${c.catalog} catalog entries, ${c.specializations} verified specializations`
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

export const seed = defineCommand({
  name: "seed",
  usage: "--demo [--force]",
  description: [
    "Adds demo users of every role (one shared, published password), minute packages, a catalog of",
    "subjects, work types and complexities, and experts with verified specializations, then prints",
    "the demo logins. Running it again adds nothing new.",
    "",
    "Demo users have emails @demo.souk.local; a database with any other user is refused unless",
    "--force, so demo accounts never end up beside real ones by accident.",
  ].join("\n"),
  options: {
    demo: { type: "boolean", help: "required: this seed is demo data, not for production" },
    force: { type: "boolean", help: "seed even though the database has real users" },
  },
  examples: [`${FROM_SOURCE} seed --demo      (or: npm run seed)`],
  async run(v, entry) {
    if (!v.demo) throw new UsageError("seed needs --demo (the only seed there is: demo data)", "seed");
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
      console.log("");
      console.log(`Demo logins (every password: ${r.password}; log in with the email or the username):`);
      for (const line of loginLines(r.logins)) console.log(line);
      console.log("");
      const who = r.logins.find((l) => l.role === "admin") ?? r.logins[0];
      const body = JSON.stringify({ login: who?.username ?? "admin_1", password: r.password });
      console.log(
        `Try: curl -s -XPOST http://localhost:${env.PORT}/api/v1/auth/login ` +
          `-H 'content-type: application/json' -d '${body}'`,
      );
    } finally {
      ctx.sqlite.close();
    }
    return 0;
  },
});
