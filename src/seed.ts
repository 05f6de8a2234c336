import { faker } from "@faker-js/faker";
import type { AppContext } from "./context";
import { packages, ROLES, type Role } from "./db/schema";
import { insertUser } from "./modules/accounts/service";
import { seedGatewayDemo } from "./modules/gateway/demo";
import { type CatalogKind, ensureCatalogEntry } from "./modules/marketplace/catalog/service";
import { ensureVerifiedExpert } from "./modules/marketplace/experts/service";
import { emit } from "./modules/platform/events/service";

const DEMO_PACKAGES = [
  {
    name: "Starter",
    seconds: 60 * 60,
    price: 29_900,
    validityDays: 30,
    description: "One hour of recognition",
  },
  { name: "Standard", seconds: 5 * 60 * 60, price: 99_000, validityDays: 90, description: "Five hours" },
  {
    name: "Pro",
    seconds: 20 * 60 * 60,
    price: 299_000,
    validityDays: 365,
    description: "Twenty hours for a year",
  },
];

const DEMO_CATALOG: Record<CatalogKind, { name: string; description: string }[]> = {
  subjects: [
    { name: "Mathematics", description: "Algebra, calculus, statistics" },
    { name: "Physics", description: "Mechanics, electricity, optics" },
    { name: "Programming", description: "Algorithms, web, databases" },
    { name: "Economics", description: "Micro- and macroeconomics, finance" },
    { name: "History", description: "World and national history" },
  ],
  "work-types": [
    { name: "Consultation", description: "A live session with an expert" },
    { name: "Essay", description: "A short written work" },
    { name: "Coursework", description: "A term paper" },
    { name: "Lab report", description: "Calculations and a write-up" },
    { name: "Thesis", description: "A graduation project" },
  ],
  complexities: [
    { name: "Basic", description: "School level" },
    { name: "Intermediate", description: "Undergraduate level" },
    { name: "Advanced", description: "Graduate level" },
  ],
};

/** Demo experts `expert_<n>` get a profile and these verified specializations (by subject name). */
const DEMO_SPECIALIZATIONS: Record<string, string[]> = {
  expert_1: ["Mathematics", "Physics"],
  expert_2: ["Programming"],
  expert_3: ["Economics", "History"],
};

export const DEMO_PASSWORD = "demo-password";
const DEMO_DOMAIN = "demo.souk.local";

/** Demo users are `<role>_<n>` with the email `<username>@demo.souk.local`; anyone else is real. */
const IS_DEMO_USER = `email IS NOT NULL AND username IS NOT NULL AND email = username || '@${DEMO_DOMAIN}'`;

export type DemoLogin = { role: Role; username: string; email: string };

/** Users the demo seed did not create (registered, bootstrapped, from Telegram, or renamed). */
export function realUserCount(ctx: AppContext): number {
  return ctx.sqlite
    .query<{ n: number }, []>(`SELECT count(*) AS n FROM users WHERE NOT (${IS_DEMO_USER})`)
    .get()!.n;
}

export function demoLogins(ctx: AppContext): DemoLogin[] {
  return ctx.sqlite
    .query<DemoLogin, []>(`SELECT role, username, email FROM users WHERE ${IS_DEMO_USER} ORDER BY id`)
    .all();
}

/** seed --demo on a database with real users: demo accounts share a published password. */
export class RealUsersPresent extends Error {
  constructor(readonly count: number) {
    super(
      `refused: this database has ${count} user${count === 1 ? "" : "s"} not created by the demo seed, and ` +
        `the demo accounts share a published password (${DEMO_PASSWORD}). Point DATA_DIR at a fresh ` +
        "directory, or add the demo data anyway with --force",
    );
  }
}

/**
 * Demo data for a fresh install: users of every role (password "demo-password"), minute
 * packages, a catalog (subjects, work types, complexities), demo experts with a profile and
 * verified specializations, and the payment gateway's demo (a rate, a store, traders with deposits
 * and approved requisites). Running it twice adds nothing: existing demo rows are left alone.
 * A database with real users is refused (RealUsersPresent) unless `force`.
 */
export async function seedDemo(ctx: AppContext, opts: { force?: boolean } = {}) {
  faker.seed(42);
  const passwordHash = await Bun.password.hash(DEMO_PASSWORD, {
    algorithm: "argon2id",
    memoryCost: ctx.env.PASSWORD_MEMORY_KIB,
    timeCost: ctx.env.PASSWORD_TIME_COST,
  });
  const created = {
    users: {} as Record<string, number>,
    packages: 0,
    catalog: 0,
    specializations: 0,
    gateway: { stores: 0, traders: 0, requisites: 0 },
  };
  const now = ctx.clock.now();
  ctx.db.transaction(
    (tx) => {
      // In the transaction: a user registering meanwhile cannot slip past the check.
      const real = realUserCount(ctx);
      if (real && !opts.force) throw new RealUsersPresent(real);
      for (const role of ROLES) {
        for (let i = 0; i < (role === "client" ? 10 : 3); i++) {
          const username = `${role}_${i + 1}`;
          const exists = ctx.sqlite.query("SELECT 1 FROM users WHERE username = ?").get(username);
          if (exists) continue;
          insertUser(ctx, tx, {
            email: `${username}@${DEMO_DOMAIN}`,
            username,
            passwordHash,
            role,
            firstName: faker.person.firstName(),
            lastName: faker.person.lastName(),
          });
          created.users[role] = (created.users[role] ?? 0) + 1;
        }
      }
      for (const [i, p] of DEMO_PACKAGES.entries()) {
        if (ctx.sqlite.query("SELECT 1 FROM packages WHERE name = ?").get(p.name)) continue;
        const row = tx
          .insert(packages)
          .values({ ...p, currency: "RUB", sortOrder: i, createdAt: now, updatedAt: now })
          .returning()
          .get();
        emit(tx, now, {
          type: "package.created",
          subjectType: "package",
          subjectId: row.id,
          payload: { seed: true },
        });
        created.packages++;
      }
      const subjectIds = new Map<string, number>();
      for (const [kind, entries] of Object.entries(DEMO_CATALOG) as [
        CatalogKind,
        typeof DEMO_CATALOG.subjects,
      ][]) {
        for (const [i, e] of entries.entries()) {
          const { row, created: isNew } = ensureCatalogEntry(tx, now, kind, { ...e, sortOrder: i });
          if (kind === "subjects") subjectIds.set(row.name, row.id);
          if (isNew) created.catalog++;
        }
      }
      for (const [username, names] of Object.entries(DEMO_SPECIALIZATIONS)) {
        const expert = ctx.sqlite
          .query<{ id: number }, [string]>("SELECT id FROM users WHERE username = ? AND role = 'expert'")
          .get(username);
        if (!expert) continue;
        created.specializations += ensureVerifiedExpert(
          tx,
          now,
          expert.id,
          names.map((n) => subjectIds.get(n)!),
        );
      }
      created.gateway = seedGatewayDemo(ctx, tx, now);
    },
    { behavior: "immediate" },
  );
  return { ...created, password: DEMO_PASSWORD, logins: demoLogins(ctx) };
}
