import { createGrant } from "../../src/modules/billing/grants";
import type { TestApp } from "./app";

/** Gives a user a grant directly (as a paid purchase would), valid `days` from now. */
export function grantSeconds(
  t: TestApp,
  userId: number,
  seconds: number,
  days = 30,
  purchasedAt = t.clock.now(),
) {
  return t.ctx.db.transaction(
    (tx) => createGrant(t.ctx, tx, { userId, seconds, validityDays: days, purchasedAt }),
    {
      behavior: "immediate",
    },
  );
}
