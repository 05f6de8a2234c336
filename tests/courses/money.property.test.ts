import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ApiError } from "../../src/lib/errors";
import { createCourse, enroll, getCourse, publishCourse } from "../../src/modules/courses/service";
import {
  balanceOf,
  platformRevenue,
  providerClearing,
  transfer,
  userAvailable,
} from "../../src/modules/ledger/service";
import { makeTestApp } from "../helpers/app";

const t = makeTestApp();

let seq = 0;
function fund(userId: number, amount: number) {
  if (amount <= 0) return;
  t.ctx.db.transaction((tx) =>
    transfer(t.ctx, tx, {
      from: providerClearing("stripe", "RUB"),
      to: userAvailable(userId, "RUB"),
      amount,
      kind: "payment",
      idempotencyKey: `prop-fund:${++seq}`,
    }),
  );
}
const bal = (userId: number) => balanceOf(t.ctx.db, userAvailable(userId, "RUB"));
const revenue = () => balanceOf(t.ctx.db, platformRevenue("RUB"));
const ledgerSum = () =>
  (
    t.ctx.sqlite
      .query("SELECT COALESCE(SUM(balance), 0) AS s FROM ledger_accounts WHERE currency = 'RUB'")
      .get() as {
      s: number;
    }
  ).s;
const negativeUserAccounts = () =>
  (
    t.ctx.sqlite
      .query("SELECT COUNT(*) AS n FROM ledger_accounts WHERE owner_type = 'user' AND balance < 0")
      .get() as {
      n: number;
    }
  ).n;

describe("paid enrollments conserve money", () => {
  test("expert + platform + learners end with exactly what the learners were funded with; nothing negative", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200_000 }),
        fc.oneof(
          fc.integer({ min: 0, max: 100 }),
          fc.double({ min: 0, max: 100, noNaN: true, noDefaultInfinity: true }),
        ),
        fc.array(fc.integer({ min: 0, max: 300_000 }), { minLength: 1, maxLength: 8 }),
        async (price, percent, fundings) => {
          t.ctx.settings.setNow({ order_commission_percent: percent }, t.clock.now());
          const expert = await t.user("expert");
          const course = createCourse(t.ctx, expert.id, { title: "Paid", price, currency: "RUB" });
          publishCourse(t.ctx, expert.id, course.id);
          const revenue0 = revenue();

          const learners: { id: number; funded: number; enrolled: boolean }[] = [];
          for (const funded of fundings) {
            const l = await t.user();
            fund(l.id, funded);
            let enrolled = true;
            try {
              enroll(t.ctx, l.id, course.id);
            } catch (err) {
              if (!(err instanceof ApiError) || err.code !== "insufficient_funds") throw err;
              enrolled = false;
            }
            // Refused exactly when the wallet could not cover the price.
            expect(enrolled).toBe(funded >= price);
            learners.push({ id: l.id, funded, enrolled });
          }

          const funded = learners.reduce((s, l) => s + l.funded, 0);
          const learnerBalances = learners.reduce((s, l) => s + bal(l.id), 0);
          const platformGot = revenue() - revenue0;
          expect(learnerBalances + bal(expert.id) + platformGot).toBe(funded);

          const n = learners.filter((l) => l.enrolled).length;
          const commission = Math.round((price * percent) / 100);
          expect(platformGot).toBe(n * commission);
          expect(bal(expert.id)).toBe(n * (price - commission));
          for (const l of learners) expect(bal(l.id)).toBe(l.enrolled ? l.funded - price : l.funded);
          expect(bal(expert.id)).toBeGreaterThanOrEqual(0);
          expect(platformGot).toBeGreaterThanOrEqual(0);
          expect(negativeUserAccounts()).toBe(0);
          expect(ledgerSum()).toBe(0);
          expect(getCourse(t.ctx, null, course.id).enrollments_count).toBe(n);
        },
      ),
      { numRuns: 60 },
    );
  });
});
