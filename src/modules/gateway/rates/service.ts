import { asc, eq } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable } from "../../../db/client";
import { gatewayRates } from "../../../db/schema";
import { write } from "../../../db/write";
import { iso } from "../../../lib/time";
import type { AdminActor } from "../../accounts/admin";
import { audit } from "../../platform/audit";
import { emit } from "../../platform/events/service";

type RateRow = typeof gatewayRates.$inferSelect;

export const serializeRate = (r: RateRow) => ({
  currency: r.currency,
  rate: r.rate,
  updated_at: iso(r.updatedAt),
});

/** Every rate, by currency. */
export const listRates = (db: Queryable) =>
  db.select().from(gatewayRates).orderBy(asc(gatewayRates.currency)).all().map(serializeRate);

/** The rate of one currency (fiat minor units per 1 USDT), or null when none is set. */
export const rateOf = (db: Queryable, currency: string): number | null =>
  db.select({ rate: gatewayRates.rate }).from(gatewayRates).where(eq(gatewayRates.currency, currency)).get()
    ?.rate ?? null;

/**
 * Sets a currency's rate (new orders fix it; open ones keep theirs), audited with before and
 * after; the event only when the rate changed.
 */
export function setRate(ctx: AppContext, actor: AdminActor, currency: string, rate: number) {
  return write(ctx, (tx, now) => {
    const before = tx.select().from(gatewayRates).where(eq(gatewayRates.currency, currency)).get();
    const row = tx
      .insert(gatewayRates)
      .values({ currency, rate, updatedBy: actor.id, updatedAt: now })
      .onConflictDoUpdate({
        target: gatewayRates.currency,
        set: { rate, updatedBy: actor.id, updatedAt: now },
      })
      .returning()
      .get();
    const details = { currency, before: before?.rate ?? null, after: rate };
    audit(tx, now, {
      actorId: actor.id,
      action: "gateway.rate.updated",
      targetType: "gateway_rate",
      targetId: currency,
      details,
      ip: actor.ip,
      requestId: actor.requestId,
    });
    // A repeated PUT of the same rate is audited but changes nothing anyone listens for.
    if (before?.rate !== rate) {
      emit(tx, now, {
        type: "gateway.rate.updated",
        actorId: actor.id,
        subjectType: "gateway_rate",
        subjectId: currency,
        payload: details,
      });
    }
    return serializeRate(row);
  });
}
