import { faker } from "@faker-js/faker";
import type { AppContext } from "./context";
import { packages, ROLES } from "./db/schema";
import { insertUser } from "./modules/accounts/service";
import { emit } from "./modules/platform/events";

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

/**
 * Demo data for a fresh install: users of every role (password "demo-password") and minute
 * packages. Running it twice adds nothing: existing demo usernames are left alone.
 */
export async function seedDemo(ctx: AppContext) {
  faker.seed(42);
  const passwordHash = await Bun.password.hash("demo-password", {
    algorithm: "argon2id",
    memoryCost: ctx.env.PASSWORD_MEMORY_KIB,
    timeCost: ctx.env.PASSWORD_TIME_COST,
  });
  const created = { users: {} as Record<string, number>, packages: 0 };
  const now = ctx.clock.now();
  ctx.db.transaction(
    (tx) => {
      for (const role of ROLES) {
        for (let i = 0; i < (role === "client" ? 10 : 3); i++) {
          const username = `${role}_${i + 1}`;
          const exists = ctx.sqlite.query("SELECT 1 FROM users WHERE username = ?").get(username);
          if (exists) continue;
          insertUser(ctx, tx, {
            email: `${username}@demo.souk.local`,
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
    },
    { behavior: "immediate" },
  );
  return { ...created, password: "demo-password" };
}
