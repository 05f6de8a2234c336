import { beforeEach, describe, expect, test } from "bun:test";
import { storeAvailable } from "../../src/modules/gateway/money";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

let t: TestApp;
let f: ReturnType<typeof gatewayFixtures>;
let merchant: { id: number; token: string };
let store: Awaited<ReturnType<typeof f.store>>["store"];

beforeEach(async () => {
  t = makeTestApp();
  f = gatewayFixtures(t);
  f.rate("RUB", 9550);
  ({ store, merchant } = await f.store({ payOutBps: 200 }));
});

const recipient = {
  payment_method: "card",
  bank: "Sber",
  details: "2200 1234 5678 9010",
  owner_name: "ANNA K.",
};
const body = (o: Record<string, unknown> = {}) => ({
  store_id: store.id,
  amount: 955_000, // 100 USDT
  currency: "RUB",
  client_order_id: "w-1",
  recipient,
  ...o,
});
const payout = (b: unknown, token = merchant.token) =>
  t.call("POST", "/api/v1/gateway/payout", { token, body: b });
const counts = () =>
  Object.fromEntries(
    ["gateway_orders", "events", "ledger_transfers", "audit_log", "webhook_deliveries", "jobs"].map(
      (table) => [table, (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n],
    ),
  );

async function payoutTrader() {
  const tr = await f.trader({ payOutBps: 50 });
  const r = f.requisite(tr.trader.id, { payIn: false, payOut: true, bank: "Sber" });
  return { tr, r };
}

describe("POST /gateway/payout", () => {
  test("holds amount_crypto plus the store's commission from the store and assigns a pay-out requisite", async () => {
    f.credit(storeAvailable(store.id), 500_000_000);
    const { tr, r } = await payoutTrader();
    const res = await payout(body());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      direction: "payout",
      status: "assigned",
      amount_crypto: 100_000_000,
      store_commission: 2_000_000,
      payment_method: "card",
      bank: "Sber",
      recipient,
      requisite: null, // the trader's details are not the merchant's business on a pay-out
    });
    expect(f.balances({ storeId: store.id, traderId: tr.trader.id })).toMatchObject({
      storeAvailable: 500_000_000 - 102_000_000,
      storeHeld: 102_000_000,
      traderHeld: 0,
    });
    const row = t.ctx.sqlite
      .query("SELECT requisite_id FROM gateway_orders WHERE id = ?")
      .get(res.body.id) as {
      requisite_id: number;
    };
    expect(row.requisite_id).toBe(r.id);
    expect(f.ledgerSums().every((s) => s.total === 0)).toBe(true);
  });

  test("402 insufficient_funds when the store cannot cover it, and nothing at all is written", async () => {
    f.credit(storeAvailable(store.id), 101_999_999); // one micro-unit short of amount + commission
    await payoutTrader();
    const before = counts();
    const err = expectError(await payout(body()), 402, "insufficient_funds");
    expect(err.details).toMatchObject({ available: 101_999_999, required: 102_000_000 });
    expect(counts()).toEqual(before);
    expect(f.balances({ storeId: store.id })).toMatchObject({ storeAvailable: 101_999_999, storeHeld: 0 });
    // The client order id is still free: once funded, the same request creates the order.
    f.credit(storeAvailable(store.id), 1);
    expect((await payout(body())).status).toBe(201);
  });

  test("with no pay-out requisite the order retries and keeps the store's hold", async () => {
    f.credit(storeAvailable(store.id), 500_000_000);
    const tr = await f.trader();
    f.requisite(tr.trader.id); // pay-in only
    const res = await payout(body());
    expect(res.status).toBe(201);
    expect(res.body.status).toBe("retrying");
    expect(f.balances({ storeId: store.id }).storeHeld).toBe(102_000_000);
  });

  test("a fraud deny fails the order before any hold; review holds nothing either", async () => {
    f.credit(storeAvailable(store.id), 500_000_000);
    await payoutTrader();
    t.ctx.settings.setNow({ fraud_max_amount: 50_000_000, fraud_review_amount: 0 }, t.clock.now());
    const denied = await payout(body());
    expect(denied.status).toBe(201);
    expect(denied.body.status).toBe("failed");
    expect(denied.body.status_reason).toContain("above the maximum");
    t.ctx.settings.setNow({ fraud_max_amount: 0, fraud_review_amount: 50_000_000 }, t.clock.now());
    const review = await payout(body({ client_order_id: "w-2" }));
    expect(review.body.status).toBe("review");
    expect(f.balances({ storeId: store.id })).toMatchObject({ storeAvailable: 500_000_000, storeHeld: 0 });
  });

  test("idempotent on client_order_id like pay-ins; a pay-in's id is taken for pay-outs too", async () => {
    f.credit(storeAvailable(store.id), 500_000_000);
    await payoutTrader();
    const first = await payout(body());
    const again = await payout(body());
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.id).toBe(first.body.id);
    expectError(
      await payout(body({ recipient: { ...recipient, details: "other" } })),
      409,
      "idempotency_conflict",
    );
    expect(f.balances({ storeId: store.id }).storeHeld).toBe(102_000_000);
    const inRes = await t.call("POST", "/api/v1/gateway/payin", {
      token: merchant.token,
      body: { store_id: store.id, amount: 955_000, currency: "RUB", client_order_id: "w-1" },
    });
    expectError(inRes, 409, "idempotency_conflict");
  });

  test("bad input is 400; others' stores 404; other roles 403", async () => {
    f.credit(storeAvailable(store.id), 500_000_000);
    const cases: [unknown, string][] = [
      [body({ recipient: undefined }), "json.recipient"],
      [body({ recipient: { ...recipient, payment_method: "cash" } }), "json.recipient.payment_method"],
      [body({ recipient: { ...recipient, details: "" } }), "json.recipient.details"],
      [body({ recipient: { ...recipient, iban: "x" } }), "json.recipient"],
      [body({ customer_id: "c-1" }), "json"], // pay-ins only
      [body({ amount: 0 }), "json.amount"],
      [body({ amount: 2 ** 53 }), "json.amount"],
      [body({ currency: "EUR" }), "json.currency"],
    ];
    for (const [b, path] of cases) {
      const err = expectError(await payout(b), 400, "validation_failed");
      expect([path, err.details.issues.some((i: { path: string }) => i.path.startsWith(path))]).toEqual([
        path,
        true,
      ]);
    }
    const { store: theirs } = await f.store();
    expectError(await payout(body({ store_id: theirs.id })), 404, "not_found");
    const trader = await t.user("trader");
    expectError(await payout(body(), trader.token), 403, "forbidden");
    expect(counts().gateway_orders).toBe(0);
  });
});
