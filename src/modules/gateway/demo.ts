import { eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { gatewayRates, gatewayRequisites, gatewayStores, gatewayTraders, users } from "../../db/schema";
import { transfer } from "../ledger/service";
import { emit } from "../platform/events/service";
import { newWebhookSecret, sealSecret } from "../platform/webhooks/secrets";
import { gatewayClearing, MICRO, storeAvailable, traderAvailable } from "./money";

const userId = (tx: Tx, username: string) =>
  tx.select({ id: users.id }).from(users).where(eq(users.username, username)).get()?.id;

/**
 * The gateway's demo: a RUB rate, a store of merchant_1 (3 % both ways) with 500 USDT to pay out,
 * and trader_1..3 in teamlead_1's team, in work, with 1,000 USDT deposits and two approved
 * requisites each (a card and an SBP phone). Skipped when merchant_1 already has a store.
 */
export function seedGatewayDemo(
  ctx: AppContext,
  tx: Tx,
  now: number,
): { stores: number; traders: number; requisites: number } {
  const made = { stores: 0, traders: 0, requisites: 0 };
  const merchant = userId(tx, "merchant_1");
  if (!merchant || tx.select().from(gatewayStores).where(eq(gatewayStores.merchantId, merchant)).get())
    return made;
  tx.insert(gatewayRates).values({ currency: "RUB", rate: 9550, updatedAt: now }).onConflictDoNothing().run();
  const store = tx
    .insert(gatewayStores)
    .values({
      merchantId: merchant,
      name: "Demo shop",
      // Rotate it (POST /merchant/stores/{id}/rotate-secret) to get a secret to verify callbacks with.
      callbackSecretSealed: sealSecret(ctx.jwtSecret, newWebhookSecret()),
      payInBps: 300,
      payOutBps: 300,
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .get();
  emit(tx, now, {
    type: "gateway.store.created",
    actorId: merchant,
    subjectType: "gateway_store",
    subjectId: store.id,
    payload: { seed: true },
  });
  transfer(ctx, tx, {
    from: gatewayClearing(),
    to: storeAvailable(store.id),
    amount: 500 * MICRO,
    kind: "adjustment",
    idempotencyKey: `gw-demo:store:${store.id}`,
  });
  made.stores++;
  const teamlead = userId(tx, "teamlead_1") ?? null;
  for (let i = 1; i <= 3; i++) {
    const uid = userId(tx, `trader_${i}`);
    if (!uid) continue;
    const trader = tx
      .insert(gatewayTraders)
      .values({
        userId: uid,
        teamleadId: teamlead,
        priority: i,
        payInBps: 100,
        payOutBps: 100,
        inWork: true,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning()
      .get();
    if (!trader) continue;
    emit(tx, now, {
      type: "gateway.trader.created",
      subjectType: "gateway_trader",
      subjectId: trader.id,
      payload: { seed: true },
    });
    transfer(ctx, tx, {
      from: gatewayClearing(),
      to: traderAvailable(trader.id),
      amount: 1000 * MICRO,
      kind: "adjustment",
      idempotencyKey: `gw-demo:trader:${trader.id}`,
    });
    made.traders++;
    const base = {
      traderId: trader.id,
      ownerName: `TRADER ${i}`,
      currency: "RUB",
      payIn: true,
      payOut: true,
      minAmount: 10_000,
      maxAmount: 5_000_000,
      dailyLimit: 50_000_000,
      dailyCountLimit: 200,
      status: "approved" as const,
      traderPriority: i,
      createdAt: now,
      updatedAt: now,
    };
    for (const r of [
      { ...base, paymentMethod: "card" as const, bank: "Sber", details: `2202 2000 0000 000${i}` },
      { ...base, paymentMethod: "sbp" as const, bank: "T-Bank", details: `+7 900 000-00-0${i}` },
    ]) {
      const row = tx.insert(gatewayRequisites).values(r).returning().get();
      emit(tx, now, {
        type: "gateway.requisite.created",
        subjectType: "gateway_requisite",
        subjectId: row.id,
        payload: { seed: true },
      });
      made.requisites++;
    }
  }
  return made;
}
