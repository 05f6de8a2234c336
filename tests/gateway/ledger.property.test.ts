import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { gatewayOrders } from "../../src/db/schema";
import { storeAvailable } from "../../src/modules/gateway/money";
import { expireGatewayOrders } from "../../src/modules/gateway/orders/expiry";
import { makeTestApp, type TestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

const OPS = [
  "payin",
  "payout",
  "customer_confirm",
  "trader_confirm",
  "trader_cancel",
  "expire",
  "dispute",
  "resolve",
  "review",
] as const;

// The smallest PNG there is: a pay-out confirmation needs a receipt.
const PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);

async function multipart(t: TestApp, path: string, token: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.set("receipt", new File([PNG], "receipt.png", { type: "image/png" }));
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  const res = await t.app.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return res.status;
}

/** What the books must say at every step, read from the database after each operation. */
function checkInvariants(
  t: TestApp,
  f: ReturnType<typeof gatewayFixtures>,
  storeId: number,
  traderIds: number[],
) {
  for (const s of f.ledgerSums()) expect(s.total).toBe(0);
  const negative = t.ctx.sqlite
    .query<{ n: number }, []>(
      "SELECT count(*) AS n FROM ledger_accounts WHERE balance < 0 AND allow_negative = 0",
    )
    .get()!.n;
  expect(negative).toBe(0);
  const orders = t.ctx.db.select().from(gatewayOrders).all();
  const open = (o: (typeof orders)[number]) => o.status === "assigned" || o.status === "customer_confirmed";
  for (const id of traderIds) {
    const held = orders
      .filter((o) => o.direction === "payin" && o.traderId === id && open(o))
      .reduce((a, o) => a + o.amountCrypto, 0);
    expect(f.balances({ traderId: id }).traderHeld).toBe(held);
  }
  const storeHeld = orders
    .filter((o) => o.direction === "payout" && (open(o) || o.status === "retrying"))
    .reduce((a, o) => a + o.amountCrypto + o.storeCommission, 0);
  expect(f.balances({ storeId }).storeHeld).toBe(storeHeld);
  // Each requisite's daily counters are exactly its open and completed orders of the day.
  const reqs = t.ctx.sqlite
    .query<{ id: number; usage_day: number; used_count: number; used_amount: number }, []>(
      "SELECT id, usage_day, used_count, used_amount FROM gateway_requisites",
    )
    .all();
  for (const r of reqs) {
    const mine = orders.filter(
      (o) => o.requisiteId === r.id && o.usageDay === r.usage_day && (open(o) || o.status === "completed"),
    );
    expect([r.used_count, r.used_amount]).toEqual([mine.length, mine.reduce((a, o) => a + o.amount, 0)]);
  }
}

describe("gateway ledger invariants under random histories", () => {
  test("the ledger sums to 0, holds equal open orders, counters equal open and completed orders, nothing negative", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            op: fc.constantFrom(...OPS),
            k: fc.nat(30),
            amount: fc.integer({ min: 1_000, max: 4_000_000 }),
            yes: fc.boolean(),
          }),
          { minLength: 5, maxLength: 40 },
        ),
        async (steps) => {
          const t = makeTestApp();
          t.clock.set(Date.parse("2026-12-01T01:00:00.000Z"));
          // Large orders go to review, so support's decisions come up too.
          t.ctx.settings.setNow({ fraud_review_amount: 300_000_000, MAX_ORDER_RETRIES: 2 }, t.clock.now());
          const f = gatewayFixtures(t);
          f.rate();
          const { store, merchant } = await f.store({ payInBps: 300, payOutBps: 300 });
          f.credit(storeAvailable(store.id), 2_000_000_000);
          const support = await t.user("support");
          const traders = [
            await f.trader({ priority: 1, deposit: 800_000_000, payInBps: 100, payOutBps: 100 }),
            await f.trader({ priority: 2, deposit: 300_000_000, payInBps: 200, payOutBps: 200 }),
          ];
          for (const [i, tr] of traders.entries()) {
            f.requisite(tr.trader.id, { payOut: true, dailyCountLimit: 4 + i, dailyLimit: 9_000_000 });
          }
          const tokenOf = new Map(traders.map((tr) => [tr.trader.id, tr.user.token]));
          const ids: number[] = [];
          let n = 0;
          for (const s of steps) {
            const id = ids.length ? ids[s.k % ids.length]! : 0;
            const row = id
              ? t.ctx.db.select().from(gatewayOrders).where(eq(gatewayOrders.id, id)).get()
              : undefined;
            const traderToken = row?.traderId ? tokenOf.get(row.traderId)! : traders[0]!.user.token;
            let status = 0;
            switch (s.op) {
              case "payin":
              case "payout": {
                const body: Record<string, unknown> = {
                  store_id: store.id,
                  amount: s.amount,
                  currency: "RUB",
                  client_order_id: `p-${++n}`,
                };
                if (s.op === "payout")
                  body.recipient = { payment_method: "card", details: "4000 0000 0000 0002" };
                const r = await t.call("POST", `/api/v1/gateway/${s.op}`, { token: merchant.token, body });
                status = r.status;
                if (r.status === 201) ids.push(r.body.id);
                expect([201, 402]).toContain(r.status);
                break;
              }
              case "customer_confirm":
                if (!id) continue;
                status = (
                  await t.call("POST", `/api/v1/gateway/payin/confirm/${id}`, { token: merchant.token })
                ).status;
                break;
              case "trader_confirm":
                if (!id) continue;
                status =
                  row?.direction === "payout"
                    ? await multipart(t, `/api/v1/trader/orders/${id}/confirm`, traderToken)
                    : (await t.call("POST", `/api/v1/trader/orders/${id}/confirm`, { token: traderToken }))
                        .status;
                break;
              case "trader_cancel":
                if (!id) continue;
                status = (
                  await t.call("POST", `/api/v1/trader/orders/${id}/cancel`, {
                    token: traderToken,
                    body: { reason: "cannot" },
                  })
                ).status;
                break;
              case "expire":
                t.clock.advance(s.yes ? 31 * 60_000 : 16 * 60_000);
                expireGatewayOrders(t.ctx);
                break;
              case "dispute":
                if (!id) continue;
                status = (
                  await t.call("POST", `/api/v1/gateway/orders/${id}/dispute`, {
                    token: merchant.token,
                    body: { reason: "paid" },
                  })
                ).status;
                break;
              case "resolve":
                if (!id) continue;
                status = (
                  await t.call("POST", `/api/v1/support/gateway/orders/${id}/resolve`, {
                    token: support.token,
                    body: { outcome: s.yes ? "completed" : "cancelled" },
                  })
                ).status;
                break;
              case "review":
                if (!id) continue;
                status = (
                  await t.call("POST", `/api/v1/support/gateway/orders/${id}/review`, {
                    token: support.token,
                    body: { decision: s.yes ? "allow" : "deny" },
                  })
                ).status;
                break;
            }
            // Refusals are fine (wrong state, short deposit); a server error never is.
            expect(status).toBeLessThan(500);
            checkInvariants(t, f, store.id, [...tokenOf.keys()]);
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});
