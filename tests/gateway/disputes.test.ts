import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { gatewayClearing, traderAvailable } from "../../src/modules/gateway/money";
import { dayOf } from "../../src/modules/gateway/orders/machine";
import { transfer } from "../../src/modules/ledger/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { startWebhookReceiver } from "../helpers/webhook-receiver";
import {
  audits,
  callbacks,
  eventTypes,
  fileCount,
  fundStore,
  gatewayWorld,
  insertOrder,
  ledgerBalanced,
  orderRow,
  pngFile,
  postForm,
  requisiteRow,
} from "./lifecycle-helpers";

const receiver = startWebhookReceiver();
afterAll(() => receiver.stop());

let t: TestApp;
let w: Awaited<ReturnType<typeof gatewayWorld>>;
let support: { id: number; token: string };
const DEPOSIT = 1_000_000_000;

beforeEach(async () => {
  t = makeTestApp();
  w = await gatewayWorld(t, { callbackUrl: `${receiver.url}/cb`, deposit: DEPOSIT });
  support = await t.user("support");
});

const dispute = (
  id: number,
  body: unknown = { reason: "the customer paid at 10:42" },
  token = w.merchant.token,
) => t.call("POST", `/api/v1/gateway/orders/${id}/dispute`, { token, body });
const resolve = (id: number, body: unknown, token = support.token) =>
  t.call("POST", `/api/v1/support/gateway/orders/${id}/resolve`, { token, body });

/** A pay-in that was assigned today and then ended without payment (hold and share returned). */
function endedPayin(status: "cancelled" | "expired" = "expired") {
  // The requisite's counters are today's (the share was taken at assignment and given back).
  t.ctx.sqlite
    .query("UPDATE gateway_requisites SET usage_day = ? WHERE id = ?")
    .run(dayOf(t.clock.now()), w.requisite.id);
  return insertOrder(t, { store: w.store, status, trader: w.trader, requisite: w.requisite });
}

describe("POST /gateway/orders/{id}/dispute", () => {
  test("an expired pay-in is disputed: disputed, from expired, with the reason; no money moves", async () => {
    const o = endedPayin("expired");
    const res = await dispute(o.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: o.id,
      status: "disputed",
      dispute_reason: "the customer paid at 10:42",
    });
    expect(orderRow(t, o.id)).toMatchObject({ disputedFrom: "expired", disputeReceiptId: null });
    expect(w.f.balances({ storeId: w.store.id, traderId: w.trader.id })).toMatchObject({
      traderAvailable: DEPOSIT,
      traderHeld: 0,
      storeAvailable: 0,
    });
    expect(eventTypes(t, o.id)).toEqual(["gateway.order.disputed"]);
    expect(audits(t, o.id)[0]).toMatchObject({ action: "gateway.order.disputed", actor_id: w.merchant.id });
    expect(callbacks(t, o.id).map((c) => c.type)).toEqual(["gateway.order.disputed"]);
    expectError(await dispute(o.id), 409, "invalid_transition");
  });

  test("a cancelled pay-in, multipart with a receipt", async () => {
    const o = endedPayin("cancelled");
    const res = await postForm(t, `/api/v1/gateway/orders/${o.id}/dispute`, w.merchant.token, {
      reason: "bank statement attached",
      receipt: pngFile(),
    });
    expect(res.status).toBe(200);
    const row = orderRow(t, o.id);
    expect(row).toMatchObject({
      status: "disputed",
      disputedFrom: "cancelled",
      disputeReason: "bank statement attached",
    });
    const file = t.ctx.sqlite
      .query("SELECT purpose, owner_id FROM files WHERE id = ?")
      .get(row.disputeReceiptId!);
    expect(file).toEqual({ purpose: "gateway_receipt", owner_id: w.merchant.id });
  });

  test("only a cancelled or expired pay-in that reached a trader", async () => {
    const assigned = insertOrder(t, {
      store: w.store,
      status: "assigned",
      trader: w.trader,
      requisite: w.requisite,
    });
    expect(expectError(await dispute(assigned.id), 409, "invalid_transition").details).toEqual({
      from: "assigned",
      to: "disputed",
    });
    const neverRouted = insertOrder(t, { store: w.store, status: "cancelled" });
    expectError(await dispute(neverRouted.id), 409, "conflict");
    fundStore(w.f, w.store.id, 100_000_000);
    const payout = insertOrder(t, {
      store: w.store,
      direction: "payout",
      status: "expired",
      trader: w.trader,
      requisite: w.f.requisite(w.trader.id, { payIn: false, payOut: true }),
    });
    expectError(await dispute(payout.id), 409, "invalid_transition");
    expect(orderRow(t, assigned.id).status).toBe("assigned");
  });

  test("bad bodies 400 (JSON or multipart), bad receipt 415, nothing written", async () => {
    const o = endedPayin();
    expectError(await dispute(o.id, {}), 400, "validation_failed");
    expectError(await dispute(o.id, { reason: "x", amount: 5 }), 400, "validation_failed");
    expectError(
      await t.call("POST", `/api/v1/gateway/orders/${o.id}/dispute`, { token: w.merchant.token }),
      400,
      "validation_failed",
    );
    const path = `/api/v1/gateway/orders/${o.id}/dispute`;
    expectError(await postForm(t, path, w.merchant.token, { receipt: pngFile() }), 400, "validation_failed");
    expectError(
      await postForm(t, path, w.merchant.token, { reason: "paid", receipt: new File(["<svg/>"], "r.png") }),
      415,
      "unsupported_media_type",
    );
    expect(orderRow(t, o.id).status).toBe("expired");
    expect(fileCount(t)).toBe(0);
  });

  test("security: another merchant 404, a trader or support 403, no token 401", async () => {
    const o = endedPayin();
    const stranger = await t.user("merchant");
    expectError(await dispute(o.id, undefined, stranger.token), 404, "not_found");
    expectError(await dispute(o.id, undefined, w.traderUser.token), 403, "forbidden");
    expectError(await dispute(o.id, undefined, support.token), 403, "forbidden");
    expectError(
      await t.call("POST", `/api/v1/gateway/orders/${o.id}/dispute`, { body: { reason: "x" } }),
      401,
      "unauthenticated",
    );
    expect(orderRow(t, o.id).status).toBe("expired");
  });
});

describe("POST /support/gateway/orders/{id}/resolve", () => {
  test("completed: the money moves as a completion, from the trader's deposit", async () => {
    const o = endedPayin("expired");
    expect((await dispute(o.id)).status).toBe(200);
    const res = await resolve(o.id, { outcome: "completed" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "completed",
      status_reason: "dispute resolved for the merchant",
    });
    expect(w.f.balances({ storeId: w.store.id, traderId: w.trader.id })).toEqual({
      storeAvailable: 9_700_000,
      storeHeld: 0,
      traderAvailable: DEPOSIT - 10_000_000 + 100_000,
      traderHeld: 0,
      platform: 200_000,
    });
    expect(ledgerBalanced(w.f)).toBe(true);
    // Completed today: it counts in the requisite's day again.
    expect(requisiteRow(t, w.requisite.id)).toMatchObject({ usedAmount: 95_500, usedCount: 1 });
    expect(eventTypes(t, o.id)).toEqual(["gateway.order.disputed", "gateway.order.completed"]);
    expect(audits(t, o.id)[1]).toMatchObject({ action: "gateway.order.completed", actor_id: support.id });
    expectError(await resolve(o.id, { outcome: "cancelled" }), 409, "invalid_transition");
  });

  test("completed when the deposit cannot cover it: 402 and nothing changes", async () => {
    const o = endedPayin("cancelled");
    await dispute(o.id);
    // The trader withdrew almost everything meanwhile.
    t.ctx.db.transaction(
      (tx) =>
        transfer(t.ctx, tx, {
          from: traderAvailable(w.trader.id),
          to: gatewayClearing(),
          amount: DEPOSIT - 5_000_000,
          kind: "adjustment",
          idempotencyKey: "withdraw-test",
        }),
      { behavior: "immediate" },
    );
    const before = w.f.balances({ storeId: w.store.id, traderId: w.trader.id });
    expectError(await resolve(o.id, { outcome: "completed" }), 402, "insufficient_funds");
    expect(orderRow(t, o.id).status).toBe("disputed");
    expect(w.f.balances({ storeId: w.store.id, traderId: w.trader.id })).toEqual(before);
    expect(eventTypes(t, o.id)).toEqual(["gateway.order.disputed"]);
    expect(requisiteRow(t, w.requisite.id)).toMatchObject({ usedAmount: 0, usedCount: 0 });
    expect(ledgerBalanced(w.f)).toBe(true);
  });

  test("cancelled: the order is cancelled again, nothing moves", async () => {
    const o = endedPayin("expired");
    await dispute(o.id);
    const res = await resolve(o.id, { outcome: "cancelled", reason: "no payment in the trader's statement" });
    expect(res.body).toMatchObject({
      status: "cancelled",
      status_reason: "no payment in the trader's statement",
    });
    expect(w.f.balances({ storeId: w.store.id, traderId: w.trader.id })).toMatchObject({
      traderAvailable: DEPOSIT,
      storeAvailable: 0,
      platform: 0,
    });
    expect(callbacks(t, o.id).map((c) => c.type)).toEqual([
      "gateway.order.disputed",
      "gateway.order.cancelled",
    ]);
    expect(ledgerBalanced(w.f)).toBe(true);
  });

  test("errors and security: bad outcome 400, not disputed 409, unknown 404, merchant and trader 403", async () => {
    const o = endedPayin();
    await dispute(o.id);
    expectError(await resolve(o.id, { outcome: "refund" }), 400, "validation_failed");
    expectError(await resolve(o.id, { outcome: "completed", extra: true }), 400, "validation_failed");
    expectError(await resolve(endedPayin().id, { outcome: "completed" }), 409, "invalid_transition");
    expectError(await resolve(999_999, { outcome: "completed" }), 404, "not_found");
    expectError(await resolve(o.id, { outcome: "completed" }, w.merchant.token), 403, "forbidden");
    expectError(await resolve(o.id, { outcome: "completed" }, w.traderUser.token), 403, "forbidden");
    const admin = await t.user("admin");
    expect((await resolve(o.id, { outcome: "cancelled" }, admin.token)).status).toBe(200);
  });
});
