import { faker } from "@faker-js/faker";
import type { AppContext } from "./context";
import { ROLES } from "./db/schema";
import { insertUser } from "./modules/accounts/service";

/** Demo data for a fresh install: a few users of every role (password "demo-password"). */
export async function seedDemo(ctx: AppContext) {
  faker.seed(42);
  const passwordHash = await Bun.password.hash("demo-password", {
    algorithm: "argon2id",
    memoryCost: ctx.env.PASSWORD_MEMORY_KIB,
    timeCost: ctx.env.PASSWORD_TIME_COST,
  });
  const created: Record<string, number> = {};
  ctx.db.transaction(
    (tx) => {
      for (const role of ROLES) {
        for (let i = 0; i < (role === "client" ? 10 : 3); i++) {
          const first = faker.person.firstName();
          const last = faker.person.lastName();
          const username = `${role}_${i + 1}`;
          insertUser(ctx, tx, {
            email: `${username}@demo.souk.local`,
            username,
            passwordHash,
            role,
            firstName: first,
            lastName: last,
            ...(role === "expert" ? {} : {}),
          });
          created[role] = (created[role] ?? 0) + 1;
        }
      }
    },
    { behavior: "immediate" },
  );
  return { users: created, password: "demo-password" };
}
