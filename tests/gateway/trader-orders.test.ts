import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
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
const DEPOSIT = 1_000_000_000;

beforeEach(async () => {
  t = makeTestApp();
  w = await gatewayWorld(t, { callbackUrl: `${receiver.url}/cb`, deposit: DEPOSIT });
});

const confirm = (id: number, token = w.traderUser.token) =>
  t.call("POST", `/api/v1/trader/orders/${id}/confirm`, { token });
const cancel = (id: number, body: unknown = { reason: "card blocked" }, token = w.traderUser.token) =>
  t.call("POST", `/api/v1/trader/orders/${id}/cancel`, { token, body });
const assignedPayin = (o: Partial<Parameters<typeof insertOrder>[1]> = {}) =>
  insertOrder(t, { store: w.store, status: "assigned", trader: w.trader, requisite: w.requisite, ...o });

async function payoutWorld() {
  fundStore(w.f, w.store.id, 1_000_000_000);
  const payoutReq = w.f.requisite(w.trader.id, { payIn: false, payOut: true });
  const o = insertOrder(t, {
    store: w.store,
    direction: "payout",
    status: "assigned",
    trader: w.trader,
    requisite: payoutReq,
  });
  return { payoutReq, o };
}

describe("GET /trader/orders", () => {
  test("lists my orders newest first with the requisite, and a pay-out's recipient", async () => {
    const a = assignedPayin();
    const { o: b, payoutReq } = await payoutWorld();
    // Someone else's order is not in my list.
    const other = await w.f.trader({ deposit: DEPOSIT });
    insertOrder(t, {
      store: w.store,
      status: "assigned",
      trader: other.trader,
      requisite: w.f.requisite(other.trader.id),
    });
    const res = await t.call("GET", "/api/v1/trader/orders", { token: w.traderUser.token });
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(2);
    expect(res.body.results.map((o: { id: number }) => o.id)).toEqual([b.id, a.id]);
    const [payout, payin] = res.body.results;
    expect(payin).toMatchObject({
      direction: "payin",
      status: "assigned",
      amount: 95_500,
      amount_crypto: 10_000_000,
      trader_commission: 100_000,
      requisite: { id: w.requisite.id, details: w.requisite.details, owner_name: "IVAN P." },
      recipient: null,
      customer_confirmed: false,
    });
    expect(payout).toMatchObject({
      direction: "payout",
      requisite: { id: payoutReq.id },
      recipient: { details: "2200 1111 2222 3333", owner_name: "ANNA K." },
    });
    // The store's terms and the customer stay with the merchant and staff.
    expect(payin.store_commission).toBeUndefined();
    expect(payin.customer_id).toBeUndefined();
  });

  test("filters by status and direction, and pages", async () => {
    for (let i = 0; i < 3; i++) assignedPayin();
    insertOrder(t, { store: w.store, status: "completed", trader: w.trader, requisite: w.requisite });
    await payoutWorld();
    const q = (s: string) => t.call("GET", `/api/v1/trader/orders?${s}`, { token: w.traderUser.token });
    expect((await q("status=assigned")).body.count).toBe(4);
    expect((await q("status=assigned&direction=payin")).body.count).toBe(3);
    expect((await q("direction=payout")).body.count).toBe(1);
    expect((await q("status=completed")).body.count).toBe(1);
    const p = await q("page_size=2&page=2");
    expect(p.body).toMatchObject({ count: 5, previous: expect.any(String), next: expect.any(String) });
    expect(p.body.results).toHaveLength(2);
    expectError(await q("status=bogus"), 400, "validation_failed");
  });

  test("security: no token 401, a merchant 403, a trader without a trader profile 403", async () => {
    expectError(await t.call("GET", "/api/v1/trader/orders"), 401, "unauthenticated");
    expectError(await t.call("GET", "/api/v1/trader/orders", { token: w.merchant.token }), 403, "forbidden");
    const bare = await t.user("trader");
    expectError(await t.call("GET", "/api/v1/trader/orders", { token: bare.token }), 403, "forbidden");
  });
});

describe("POST /trader/orders/{id}/confirm", () => {
  test("a pay-in's money arrived: completed, the hold settles to the store, platform and trader", async () => {
    const o = assignedPayin();
    const res = await confirm(o.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: o.id, status: "completed" });
    expect(res.body.completed_at).toBe(new Date(t.clock.now()).toISOString());
    // 10 USDT: store 3% (0.3), trader 1% (0.1), platform the 0.2 between.
    expect(w.f.balances({ storeId: w.store.id, traderId: w.trader.id })).toEqual({
      storeAvailable: 9_700_000,
      storeHeld: 0,
      traderAvailable: DEPOSIT - 10_000_000 + 100_000,
      traderHeld: 0,
      platform: 200_000,
    });
    expect(ledgerBalanced(w.f)).toBe(true);
    // A completed order keeps its share of the day's limits.
    expect(requisiteRow(t, w.requisite.id)).toMatchObject({ usedAmount: 95_500, usedCount: 1 });
    expect(eventTypes(t, o.id)).toEqual(["gateway.order.completed"]);
    const [a] = audits(t, o.id);
    expect(a).toMatchObject({ action: "gateway.order.completed", actor_id: w.traderUser.id });
    expect(a!.request_id).toEqual(expect.any(String));
    expect(callbacks(t, o.id)).toEqual([
      {
        type: "gateway.order.completed",
        payload: expect.objectContaining({ id: o.id, status: "completed" }),
      },
    ]);
  });

  test("a customer-confirmed pay-in completes too; a second confirm is 409", async () => {
    const o = insertOrder(t, {
      store: w.store,
      status: "customer_confirmed",
      trader: w.trader,
      requisite: w.requisite,
    });
    expect((await confirm(o.id)).status).toBe(200);
    expect(orderRow(t, o.id).status).toBe("completed");
    const again = expectError(await confirm(o.id), 409, "invalid_transition");
    expect(again.details).toEqual({ from: "completed", to: "completed" });
    expect(w.f.balances({ storeId: w.store.id }).storeAvailable).toBe(9_700_000);
    expect(ledgerBalanced(w.f)).toBe(true);
  });

  test("a pay-out needs the receipt: 400 without, completed with it", async () => {
    const { o } = await payoutWorld();
    const before = w.f.balances({ storeId: w.store.id, traderId: w.trader.id });
    expect(before.storeHeld).toBe(10_300_000);
    expectError(await confirm(o.id), 400, "validation_failed");
    expect(orderRow(t, o.id).status).toBe("assigned");
    // Multipart without the file is the same 400.
    expectError(
      await postForm(t, `/api/v1/trader/orders/${o.id}/confirm`, w.traderUser.token, {}),
      400,
      "validation_failed",
    );
    expect(fileCount(t)).toBe(0);
    const res = await postForm(t, `/api/v1/trader/orders/${o.id}/confirm`, w.traderUser.token, {
      receipt: pngFile(),
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("completed");
    const row = orderRow(t, o.id);
    expect(row.traderReceiptId).toEqual(expect.any(Number));
    const file = t.ctx.sqlite
      .query("SELECT purpose, owner_id FROM files WHERE id = ?")
      .get(row.traderReceiptId!);
    expect(file).toEqual({ purpose: "gateway_receipt", owner_id: w.traderUser.id });
    // The store's hold pays the trader amount plus commission; the platform keeps the rest.
    expect(w.f.balances({ storeId: w.store.id, traderId: w.trader.id })).toEqual({
      storeAvailable: before.storeAvailable,
      storeHeld: 0,
      traderAvailable: before.traderAvailable + 10_100_000,
      traderHeld: 0,
      platform: 200_000,
    });
    expect(ledgerBalanced(w.f)).toBe(true);
  });

  test("a receipt that is not PDF/PNG/JPEG/WebP is 415, nothing written, no bytes kept", async () => {
    const { o } = await payoutWorld();
    const res = await postForm(t, `/api/v1/trader/orders/${o.id}/confirm`, w.traderUser.token, {
      receipt: new File(["MZ not a receipt"], "r.png", { type: "image/png" }),
    });
    expectError(res, 415, "unsupported_media_type");
    expect(orderRow(t, o.id).status).toBe("assigned");
    expect(fileCount(t)).toBe(0);
    const dir = join(t.ctx.env.DATA_DIR, "uploads");
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  test("a receipt on an order that cannot complete leaves no file behind", async () => {
    const o = insertOrder(t, { store: w.store, status: "expired", trader: w.trader, requisite: w.requisite });
    const res = await postForm(t, `/api/v1/trader/orders/${o.id}/confirm`, w.traderUser.token, {
      receipt: pngFile(),
    });
    expectError(res, 409, "invalid_transition");
    expect(fileCount(t)).toBe(0);
    expect(readdirSync(join(t.ctx.env.DATA_DIR, "uploads"))).toEqual([]);
  });

  test("unknown fields 400; another trader's order 404; unknown 404; a merchant 403", async () => {
    const o = assignedPayin();
    const extra = await t.call("POST", `/api/v1/trader/orders/${o.id}/confirm`, {
      token: w.traderUser.token,
      body: { paid: true },
    });
    expectError(extra, 400, "validation_failed");
    const other = await w.f.trader({ deposit: DEPOSIT });
    expectError(await confirm(o.id, other.user.token), 404, "not_found");
    expectError(await confirm(999_999), 404, "not_found");
    expectError(await confirm(o.id, w.merchant.token), 403, "forbidden");
    expectError(await t.call("POST", `/api/v1/trader/orders/${o.id}/confirm`), 401, "unauthenticated");
    expect(orderRow(t, o.id).status).toBe("assigned");
    expect(w.f.balances({ traderId: w.trader.id }).traderHeld).toBe(10_000_000);
  });
});

describe("POST /trader/orders/{id}/cancel", () => {
  test("a pay-in is cancelled: the hold and the day's share return exactly", async () => {
    const o = assignedPayin();
    expect(requisiteRow(t, w.requisite.id)).toMatchObject({ usedAmount: 95_500, usedCount: 1 });
    const res = await cancel(o.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "cancelled", status_reason: "card blocked" });
    expect(w.f.balances({ storeId: w.store.id, traderId: w.trader.id })).toEqual({
      storeAvailable: 0,
      storeHeld: 0,
      traderAvailable: DEPOSIT,
      traderHeld: 0,
      platform: 0,
    });
    expect(requisiteRow(t, w.requisite.id)).toMatchObject({ usedAmount: 0, usedCount: 0 });
    expect(ledgerBalanced(w.f)).toBe(true);
    expect(eventTypes(t, o.id)).toEqual(["gateway.order.cancelled"]);
    expect(callbacks(t, o.id).map((c) => c.type)).toEqual(["gateway.order.cancelled"]);
    expectError(await cancel(o.id), 409, "invalid_transition");
  });

  test("a pay-out goes to another trader, never back to this one", async () => {
    const { o, payoutReq } = await payoutWorld();
    const next = await w.f.trader({ deposit: DEPOSIT, payOutBps: 150 });
    const nextReq = w.f.requisite(next.trader.id, { payIn: false, payOut: true });
    const res = await cancel(o.id, { reason: "my bank is down" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: o.id, status: "assigned", requisite: null });
    const row = orderRow(t, o.id);
    expect(row).toMatchObject({
      status: "assigned",
      traderId: next.trader.id,
      requisiteId: nextReq.id,
      traderCommission: 150_000,
      excludedTraders: [w.trader.id],
    });
    expect(requisiteRow(t, payoutReq.id)).toMatchObject({ usedAmount: 0, usedCount: 0 });
    expect(requisiteRow(t, nextReq.id)).toMatchObject({ usedAmount: 95_500, usedCount: 1 });
    // The store's hold stays for the next trader.
    expect(w.f.balances({ storeId: w.store.id }).storeHeld).toBe(10_300_000);
    expect(ledgerBalanced(w.f)).toBe(true);
    expect(audits(t, o.id).map((a) => a.action)).toEqual([
      "gateway.order.trader_cancelled",
      "gateway.order.assigned",
    ]);
    // Not mine any more.
    expectError(await cancel(o.id), 404, "not_found");
    expectError(await confirm(o.id), 404, "not_found");
    const mine = await t.call("GET", "/api/v1/trader/orders", { token: w.traderUser.token });
    expect(mine.body.count).toBe(0);
    const theirs = await t.call("GET", "/api/v1/trader/orders", { token: next.user.token });
    expect(theirs.body.results[0]).toMatchObject({ id: o.id, requisite: { id: nextReq.id } });
  });

  test("a pay-out nobody else can take goes retrying, its store hold kept", async () => {
    const { o, payoutReq } = await payoutWorld();
    const res = await cancel(o.id);
    expect(res.body).toMatchObject({ status: "retrying" });
    expect(orderRow(t, o.id)).toMatchObject({
      traderId: null,
      requisiteId: null,
      excludedTraders: [w.trader.id],
    });
    expect(requisiteRow(t, payoutReq.id)).toMatchObject({ usedAmount: 0, usedCount: 0 });
    expect(w.f.balances({ storeId: w.store.id }).storeHeld).toBe(10_300_000);
    expect(ledgerBalanced(w.f)).toBe(true);
  });

  test("the reason is required and strict; others' orders 404; a merchant 403", async () => {
    const o = assignedPayin();
    expectError(await cancel(o.id, {}), 400, "validation_failed");
    expectError(await cancel(o.id, { reason: "  " }), 400, "validation_failed");
    expectError(await cancel(o.id, { reason: "x", extra: 1 }), 400, "validation_failed");
    const other = await w.f.trader({ deposit: DEPOSIT });
    expectError(await cancel(o.id, undefined, other.user.token), 404, "not_found");
    expectError(await cancel(o.id, undefined, w.merchant.token), 403, "forbidden");
    expect(orderRow(t, o.id).status).toBe("assigned");
    expect(w.f.balances({ traderId: w.trader.id }).traderHeld).toBe(10_000_000);
  });
});

describe("a trader acts only on an open order", () => {
  test("a disputed pay-in (its hold already released) cannot be confirmed or cancelled by the trader: 409, nothing moves", async () => {
    const o = insertOrder(t, {
      store: w.store,
      status: "disputed",
      trader: w.trader,
      requisite: w.requisite,
      set: { disputedFrom: "expired", disputeReason: "paid" },
    });
    // Another open pay-in of the same trader: its hold must not pay for the disputed one.
    insertOrder(t, { store: w.store, status: "assigned", trader: w.trader, requisite: w.requisite });
    const before = {
      balances: w.f.balances({ traderId: w.trader.id, storeId: w.store.id }),
      req: requisiteRow(t, w.requisite.id),
    };
    const token = w.traderUser.token;
    expectError(
      await t.call("POST", `/api/v1/trader/orders/${o.id}/confirm`, { token }),
      409,
      "invalid_transition",
    );
    expectError(
      await t.call("POST", `/api/v1/trader/orders/${o.id}/cancel`, { token, body: { reason: "no" } }),
      409,
      "invalid_transition",
    );
    expect(orderRow(t, o.id).status).toBe("disputed");
    expect(w.f.balances({ traderId: w.trader.id, storeId: w.store.id })).toEqual(before.balances);
    expect([requisiteRow(t, w.requisite.id).usedCount, requisiteRow(t, w.requisite.id).usedAmount]).toEqual([
      before.req.usedCount,
      before.req.usedAmount,
    ]);
  });
});
