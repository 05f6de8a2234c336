import { eq } from "drizzle-orm";
import {
  gatewayOrders,
  gatewayRates,
  gatewayRequisites,
  gatewayStores,
  gatewayTraders,
} from "../../src/db/schema";
import {
  commission,
  gatewayClearing,
  gatewayRevenue,
  storeAvailable,
  storeHeld,
  toCrypto,
  traderAvailable,
  traderHeld,
} from "../../src/modules/gateway/money";
import { balanceOf, transfer } from "../../src/modules/ledger/service";
import { newWebhookSecret, sealSecret } from "../../src/modules/platform/webhooks/secrets";
import type { TestApp } from "./app";

let seq = 0;

/**
 * Gateway fixtures written straight to the tables (rates, stores, traders, requisites, deposits),
 * so a test of one route does not depend on the routes that create these.
 */
export function gatewayFixtures(t: TestApp) {
  const { ctx, clock } = t;
  const now = () => clock.now();

  function rate(currency = "RUB", value = 9550) {
    ctx.db
      .insert(gatewayRates)
      .values({ currency, rate: value, updatedAt: now() })
      .onConflictDoUpdate({ target: gatewayRates.currency, set: { rate: value, updatedAt: now() } })
      .run();
  }

  /** A merchant user with a store; `secret` is the store's callback secret. */
  async function store(
    o: {
      payInBps?: number;
      payOutBps?: number;
      callbackUrl?: string | null;
      merchant?: { id: number; token: string };
    } = {},
  ) {
    const merchant = o.merchant ?? (await t.user("merchant"));
    const secret = newWebhookSecret();
    const row = ctx.db
      .insert(gatewayStores)
      .values({
        merchantId: merchant.id,
        name: `Store ${++seq}`,
        callbackUrl: o.callbackUrl ?? null,
        callbackSecretSealed: sealSecret(ctx.jwtSecret, secret),
        payInBps: o.payInBps ?? 300,
        payOutBps: o.payOutBps ?? 300,
        createdAt: now(),
        updatedAt: now(),
      })
      .returning()
      .get();
    return { store: row, merchant, secret };
  }

  /** Credits `amount` USDT micro-units to an account from the gateway clearing account. */
  function credit(to: ReturnType<typeof traderAvailable>, amount: number) {
    ctx.db.transaction(
      (tx) => {
        transfer(ctx, tx, {
          from: gatewayClearing(),
          to,
          amount,
          kind: "adjustment",
          idempotencyKey: `test-credit-${++seq}`,
        });
      },
      { behavior: "immediate" },
    );
  }

  /** A trader user with a trader row, in work, with `deposit` USDT micro-units available. */
  async function trader(
    o: {
      priority?: number;
      payInBps?: number;
      payOutBps?: number;
      deposit?: number;
      inWork?: boolean;
      trafficEnabled?: boolean;
      teamleadId?: number | null;
    } = {},
  ) {
    const user = await t.user("trader");
    const row = ctx.db
      .insert(gatewayTraders)
      .values({
        userId: user.id,
        teamleadId: o.teamleadId ?? null,
        priority: o.priority ?? 100,
        payInBps: o.payInBps ?? 100,
        payOutBps: o.payOutBps ?? 100,
        inWork: o.inWork ?? true,
        trafficEnabled: o.trafficEnabled ?? true,
        createdAt: now(),
        updatedAt: now(),
      })
      .returning()
      .get();
    if (o.deposit) credit(traderAvailable(row.id), o.deposit);
    return { trader: row, user };
  }

  /** An approved requisite of a trader (pay-in by default), limits generous unless given. */
  function requisite(
    traderId: number,
    o: Partial<typeof gatewayRequisites.$inferInsert> = {},
  ): typeof gatewayRequisites.$inferSelect {
    const tr = ctx.db.select().from(gatewayTraders).where(eq(gatewayTraders.id, traderId)).get()!;
    return ctx.db
      .insert(gatewayRequisites)
      .values({
        traderId,
        paymentMethod: "card",
        bank: "Sber",
        details: `2200 0000 0000 ${String(++seq).padStart(4, "0")}`,
        ownerName: "IVAN P.",
        payIn: true,
        payOut: false,
        currency: "RUB",
        minAmount: 100,
        maxAmount: 10_000_000,
        dailyLimit: 1_000_000_000,
        dailyCountLimit: 1000,
        status: "approved",
        traderPriority: tr.priority,
        createdAt: now(),
        updatedAt: now(),
        ...o,
      })
      .returning()
      .get();
  }

  /** Balances of the USDT accounts a test checks. */
  const balances = (ids: { storeId?: number; traderId?: number }) => ({
    storeAvailable: ids.storeId == null ? 0 : balanceOf(ctx.db, storeAvailable(ids.storeId)),
    storeHeld: ids.storeId == null ? 0 : balanceOf(ctx.db, storeHeld(ids.storeId)),
    traderAvailable: ids.traderId == null ? 0 : balanceOf(ctx.db, traderAvailable(ids.traderId)),
    traderHeld: ids.traderId == null ? 0 : balanceOf(ctx.db, traderHeld(ids.traderId)),
    platform: balanceOf(ctx.db, gatewayRevenue()),
  });

  /** Sum of every ledger balance per currency: 0 for each, always. */
  const ledgerSums = () =>
    ctx.sqlite
      .query<{ currency: string; total: number }, []>(
        "SELECT currency, SUM(balance) AS total FROM ledger_accounts GROUP BY currency",
      )
      .all();

  /**
   * A `new` order row of a store at rate 9550 (nothing held, no event): what creation writes before
   * the fraud check and selection.
   */
  function newOrder(
    store: typeof gatewayStores.$inferSelect,
    o: Partial<typeof gatewayOrders.$inferInsert> & { amount?: number } = {},
  ) {
    const amount = o.amount ?? 100_000;
    const direction = o.direction ?? "payin";
    const amountCrypto = toCrypto(amount, o.rate ?? 9550);
    const bps = direction === "payin" ? store.payInBps : store.payOutBps;
    return ctx.db
      .insert(gatewayOrders)
      .values({
        direction,
        storeId: store.id,
        clientOrderId: `co-${++seq}`,
        requestHash: "test",
        status: "new",
        amount,
        currency: "RUB",
        rate: 9550,
        amountCrypto,
        storeBps: bps,
        storeCommission: commission(amountCrypto, bps),
        fraudDecision: "allow",
        fraudReasons: [],
        selectionLog: [],
        excludedTraders: [],
        createdAt: now(),
        updatedAt: now(),
        ...o,
      })
      .returning()
      .get();
  }

  return { rate, store, trader, requisite, credit, balances, ledgerSums, newOrder };
}
