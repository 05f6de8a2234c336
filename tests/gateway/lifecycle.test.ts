import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { subjectHandler } from "../../src/modules/platform/rules/subjects";
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

const assignedPayin = (o: Partial<Parameters<typeof insertOrder>[1]> = {}) =>
  insertOrder(t, { store: w.store, status: "assigned", trader: w.trader, requisite: w.requisite, ...o });
const customerConfirm = (id: number, token = w.merchant.token, body?: unknown) =>
  t.call("POST", `/api/v1/gateway/payin/confirm/${id}`, { token, body });

describe("POST /gateway/payin/confirm/{id}", () => {
  test("the customer paid: customer_confirmed, with the grace period from now", async () => {
    const o = assignedPayin();
    t.clock.advance(60_000);
    const res = await customerConfirm(o.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: o.id,
      status: "customer_confirmed",
      requisite: { details: w.requisite.details },
      customer_confirmed_at: new Date(t.clock.now()).toISOString(),
      expires_at: new Date(t.clock.now() + 1_800_000).toISOString(),
    });
    expect(res.body.trader_id).toBeUndefined();
    // Nothing moves: the trader's hold waits for the trader's confirmation.
    expect(w.f.balances({ traderId: w.trader.id }).traderHeld).toBe(10_000_000);
    expect(eventTypes(t, o.id)).toEqual(["gateway.order.customer_confirmed"]);
    expect(audits(t, o.id)[0]).toMatchObject({
      action: "gateway.order.customer_confirmed",
      actor_id: w.merchant.id,
    });
    expect(callbacks(t, o.id).map((c) => c.type)).toEqual(["gateway.order.customer_confirmed"]);
    expectError(await customerConfirm(o.id), 409, "invalid_transition");
  });

  test("with a receipt (multipart): stored as the customer's receipt", async () => {
    const o = assignedPayin();
    const res = await postForm(t, `/api/v1/gateway/payin/confirm/${o.id}`, w.merchant.token, {
      receipt: pngFile(),
    });
    expect(res.status).toBe(200);
    const row = orderRow(t, o.id);
    expect(row.status).toBe("customer_confirmed");
    const file = t.ctx.sqlite
      .query("SELECT purpose, owner_id FROM files WHERE id = ?")
      .get(row.customerReceiptId!);
    expect(file).toEqual({ purpose: "gateway_receipt", owner_id: w.merchant.id });
  });

  test("bad receipts and bodies: 415 by bytes, 400 for a text receipt or unknown fields", async () => {
    const o = assignedPayin();
    const path = `/api/v1/gateway/payin/confirm/${o.id}`;
    expectError(
      await postForm(t, path, w.merchant.token, { receipt: new File(["hello"], "r.pdf") }),
      415,
      "unsupported_media_type",
    );
    expectError(await postForm(t, path, w.merchant.token, { receipt: "text" }), 400, "validation_failed");
    expectError(
      await postForm(t, path, w.merchant.token, { receipt: pngFile(), note: "x" }),
      400,
      "validation_failed",
    );
    expectError(await customerConfirm(o.id, w.merchant.token, { paid: true }), 400, "validation_failed");
    const text = await t.call("POST", path, {
      token: w.merchant.token,
      raw: "paid",
      headers: { "content-type": "text/plain" },
    });
    expectError(text, 415, "unsupported_media_type");
    expect(orderRow(t, o.id).status).toBe("assigned");
    expect(fileCount(t)).toBe(0);
  });

  test("only an assigned pay-in within its window", async () => {
    const late = assignedPayin();
    t.clock.advance(900_000);
    expectError(await customerConfirm(late.id), 409, "conflict");
    const retrying = insertOrder(t, { store: w.store, status: "retrying" });
    expect(expectError(await customerConfirm(retrying.id), 409, "invalid_transition").details).toEqual({
      from: "retrying",
      to: "customer_confirmed",
    });
    fundStore(w.f, w.store.id, 100_000_000);
    const payout = insertOrder(t, {
      store: w.store,
      direction: "payout",
      status: "assigned",
      trader: w.trader,
      requisite: w.f.requisite(w.trader.id, { payIn: false, payOut: true }),
    });
    expectError(await customerConfirm(payout.id), 404, "not_found");
    expect(orderRow(t, late.id).status).toBe("assigned");
  });

  test("security: another merchant 404, a trader 403, no token 401; a key with gateway:merchant:* works", async () => {
    const o = assignedPayin();
    const stranger = await t.user("merchant");
    expectError(await customerConfirm(o.id, stranger.token), 404, "not_found");
    expectError(await customerConfirm(o.id, w.traderUser.token), 403, "forbidden");
    expectError(await t.call("POST", `/api/v1/gateway/payin/confirm/${o.id}`), 401, "unauthenticated");
    const mkKey = async (scopes: string[]) =>
      (await t.call("POST", "/api/v1/me/api-keys", { token: w.merchant.token, body: { name: "k", scopes } }))
        .body.key as string;
    expectError(await customerConfirm(o.id, await mkKey(["balance:read"])), 403, "forbidden");
    const res = await customerConfirm(o.id, await mkKey(["gateway:merchant:*"]));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("customer_confirmed");
  });
});

describe("POST /support/gateway/orders/{id}/review", () => {
  const review = (id: number, body: unknown, token = support.token) =>
    t.call("POST", `/api/v1/support/gateway/orders/${id}/review`, { token, body });

  test("allow routes a pay-in: assigned, the trader's deposit held, the decision audited", async () => {
    const o = insertOrder(t, { store: w.store, status: "review" });
    const res = await review(o.id, { decision: "allow" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "assigned",
      trader_id: w.trader.id,
      requisite_id: w.requisite.id,
    });
    expect(res.body.fraud).toEqual({
      decision: "review",
      reasons: [{ code: "amount_review", message: "above the review amount" }],
    });
    expect(res.body.selection_log).toHaveLength(1);
    expect(w.f.balances({ traderId: w.trader.id }).traderHeld).toBe(10_000_000);
    expect(requisiteRow(t, w.requisite.id)).toMatchObject({ usedAmount: 95_500, usedCount: 1 });
    const rows = audits(t, o.id);
    expect(rows.map((a) => a.action)).toEqual(["gateway.order.review_allowed", "gateway.order.assigned"]);
    expect(rows.every((a) => a.actor_id === support.id && a.request_id)).toBe(true);
    expect(ledgerBalanced(w.f)).toBe(true);
    expectError(await review(o.id, { decision: "allow" }), 409, "invalid_transition");
  });

  test("allow on a pay-out holds from the store first: 402 when short, nothing changes", async () => {
    w.f.requisite(w.trader.id, { payIn: false, payOut: true });
    const o = insertOrder(t, { store: w.store, direction: "payout", status: "review" });
    expectError(await review(o.id, { decision: "allow" }), 402, "insufficient_funds");
    expect(orderRow(t, o.id)).toMatchObject({ status: "review", traderId: null });
    expect(eventTypes(t, o.id)).toEqual([]);
    expect(audits(t, o.id)).toEqual([]);
    fundStore(w.f, w.store.id, 10_300_000);
    const res = await review(o.id, { decision: "allow" });
    expect(res.body).toMatchObject({ status: "assigned", trader_id: w.trader.id });
    expect(w.f.balances({ storeId: w.store.id })).toMatchObject({ storeAvailable: 0, storeHeld: 10_300_000 });
    expect(ledgerBalanced(w.f)).toBe(true);
  });

  test("deny fails the order with the reason, nothing held", async () => {
    const o = insertOrder(t, { store: w.store, status: "review" });
    const res = await review(o.id, { decision: "deny", reason: "stolen card pattern" });
    expect(res.body).toMatchObject({ status: "failed", status_reason: "stolen card pattern" });
    expect(eventTypes(t, o.id)).toEqual(["gateway.order.failed"]);
    expect(callbacks(t, o.id).map((c) => c.type)).toEqual(["gateway.order.failed"]);
    expect(w.f.balances({ traderId: w.trader.id }).traderHeld).toBe(0);
  });

  test("errors and security: bad body 400, not in review 409, unknown 404, merchant and trader 403", async () => {
    const o = insertOrder(t, { store: w.store, status: "review" });
    expectError(await review(o.id, { decision: "maybe" }), 400, "validation_failed");
    expectError(await review(o.id, { decision: "allow", x: 1 }), 400, "validation_failed");
    expectError(await review(assignedPayin().id, { decision: "deny" }), 409, "invalid_transition");
    expectError(await review(999_999, { decision: "deny" }), 404, "not_found");
    expectError(await review(o.id, { decision: "allow" }, w.merchant.token), 403, "forbidden");
    expectError(await review(o.id, { decision: "allow" }, w.traderUser.token), 403, "forbidden");
    expect(orderRow(t, o.id).status).toBe("review");
  });
});

describe("GET /support/gateway/orders", () => {
  const list = (q = "", token = support.token) =>
    t.call("GET", `/api/v1/support/gateway/orders${q ? `?${q}` : ""}`, { token });
  const ids = (res: { body: { results: { id: number }[] } }) => res.body.results.map((o) => o.id);

  test("every order newest first with routing and fraud; each filter narrows", async () => {
    const a = assignedPayin({ amount: 95_500 });
    t.clock.advance(86_400_000);
    const other = await w.f.store();
    const b = insertOrder(t, { store: other.store, status: "review", amount: 191_000 });
    const c = insertOrder(t, {
      store: w.store,
      status: "completed",
      trader: w.trader,
      requisite: w.requisite,
      amount: 50_000,
      set: { clientOrderId: "shop-42" },
    });
    const all = await list();
    expect(all.status).toBe(200);
    expect(ids(all)).toEqual([c.id, b.id, a.id]);
    expect(all.body.results[2]).toMatchObject({
      id: a.id,
      trader_id: w.trader.id,
      requisite_id: w.requisite.id,
      requisite: { details: w.requisite.details },
      fraud: { decision: "allow", reasons: [] },
      selection_log: [],
      excluded_traders: [],
    });
    expect(ids(await list("status=review"))).toEqual([b.id]);
    expect(ids(await list("direction=payout"))).toEqual([]);
    expect(ids(await list(`store_id=${other.store.id}`))).toEqual([b.id]);
    expect(ids(await list(`trader_id=${w.trader.id}`))).toEqual([c.id, a.id]);
    expect(ids(await list("amount_exact=191000"))).toEqual([b.id]);
    expect(ids(await list("amount_min=60000&amount_max=100000"))).toEqual([a.id]);
    expect(ids(await list("client_order_id=shop-42"))).toEqual([c.id]);
    const day0 = new Date(a.createdAt).toISOString().slice(0, 10);
    expect(ids(await list(`to=${day0}`))).toEqual([a.id]);
    expect(ids(await list(`from=${new Date(b.createdAt).toISOString()}`))).toEqual([c.id, b.id]);
    expect(ids(await list(`to=${new Date(a.createdAt).toISOString()}`))).toEqual([a.id]);
    const paged = await list("page_size=1&page=2");
    expect(paged.body).toMatchObject({ count: 3, next: expect.any(String), previous: expect.any(String) });
    expect(ids(paged)).toEqual([b.id]);
  });

  test("bad filters 400; merchants and traders 403; no token 401", async () => {
    expectError(await list("amount_min=-5"), 400, "validation_failed");
    expectError(await list("from=yesterday"), 400, "validation_failed");
    expectError(await list("status=lost"), 400, "validation_failed");
    expectError(await list("", w.merchant.token), 403, "forbidden");
    expectError(await list("", w.traderUser.token), 403, "forbidden");
    expectError(await t.call("GET", "/api/v1/support/gateway/orders"), 401, "unauthenticated");
  });
});

describe("rule subject gateway_order", () => {
  test("rules read an order's facts and cannot move it", () => {
    const o = assignedPayin();
    const h = subjectHandler("gateway_order")!;
    expect(h.load(t.ctx.db, String(o.id))).toEqual({
      status: "assigned",
      direction: "payin",
      amount: 95_500,
      currency: "RUB",
      amount_crypto: 10_000_000,
      store_id: w.store.id,
      trader_id: w.trader.id,
    });
    expect(h.load(t.ctx.db, "999999")).toBeUndefined();
    expect(h.load(t.ctx.db, "1; DROP")).toBeUndefined();
    expect(h.changeStatus).toBeUndefined();
  });
});
