import {
  expertProfiles,
  expertSpecializations,
  type OrderStatus,
  orders,
  subjects,
} from "../../src/db/schema";
import {
  balanceOf,
  providerClearing,
  transfer,
  userAvailable,
  userHeld,
} from "../../src/modules/ledger/service";
import type { TestApp } from "./app";

let subjectSeq = 0;

/** A catalog subject inserted directly. */
export function makeSubject(t: TestApp, name = `Subject ${++subjectSeq}`) {
  const now = t.clock.now();
  return t.ctx.db.insert(subjects).values({ name, createdAt: now, updatedAt: now }).returning().get();
}

/** An expert (role, profile) with verified specializations in the given subjects. */
export async function makeExpert(
  t: TestApp,
  subjectIds: number[] = [],
  extra: Parameters<TestApp["user"]>[1] = {},
) {
  const u = await t.user("expert", extra);
  const now = t.clock.now();
  t.ctx.db.insert(expertProfiles).values({ userId: u.id, approvedAt: now, updatedAt: now }).run();
  for (const subjectId of subjectIds) {
    t.ctx.db
      .insert(expertSpecializations)
      .values({ userId: u.id, subjectId, isVerified: true, verifiedAt: now, createdAt: now })
      .run();
  }
  return u;
}

/** An order row in any state, inserted directly (for tests that do not exercise the transitions). */
export function makeOrder(
  t: TestApp,
  o: { clientId: number; subjectId: number; status?: OrderStatus } & Partial<typeof orders.$inferInsert>,
) {
  const now = t.clock.now();
  return t.ctx.db
    .insert(orders)
    .values({ title: "Coursework", createdAt: now, updatedAt: now, ...o })
    .returning()
    .get();
}

let fundSeq = 0;
/** Credits a user's wallet as if a provider had paid in. */
export function fundWallet(t: TestApp, userId: number, amount: number, currency = "RUB") {
  t.ctx.db.transaction((tx) =>
    transfer(t.ctx, tx, {
      from: providerClearing("stripe", currency),
      to: userAvailable(userId, currency),
      amount,
      kind: "payment",
      idempotencyKey: `test-fund:${++fundSeq}:${userId}`,
    }),
  );
}

/** A user's available and held balances. */
export const wallet = (t: TestApp, userId: number, currency = "RUB") => ({
  available: balanceOf(t.ctx.db, userAvailable(userId, currency)),
  held: balanceOf(t.ctx.db, userHeld(userId, currency)),
});
