import { beforeEach, describe, expect, test } from "bun:test";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { gatewayWorld, insertOrder, pngFile, postForm } from "./lifecycle-helpers";

let t: TestApp;
let w: Awaited<ReturnType<typeof gatewayWorld>>;

beforeEach(async () => {
  t = makeTestApp();
  w = await gatewayWorld(t, { deposit: 1_000_000_000 });
});

async function confirmedWithReceipt() {
  const o = insertOrder(t, { store: w.store, status: "assigned", trader: w.trader, requisite: w.requisite });
  const res = await postForm(t, `/api/v1/gateway/payin/confirm/${o.id}`, w.merchant.token, {
    receipt: pngFile(),
  });
  expect(res.status).toBe(200);
  return o.id;
}
const download = (id: number, kind: string, token: string) =>
  t.app.request(`/api/v1/gateway/orders/${id}/receipts/${kind}`, {
    headers: { authorization: `Bearer ${token}` },
  });

describe("GET /gateway/orders/{id}/receipts/{kind}", () => {
  test("the order lists its receipts; the merchant, the trader and support download them", async () => {
    const id = await confirmedWithReceipt();
    const order = await t.call("GET", `/api/v1/gateway/orders/${id}`, { token: w.merchant.token });
    expect(order.body.receipts).toEqual(["customer"]);
    const support = await t.user("support");
    for (const token of [w.merchant.token, w.traderUser.token, support.token]) {
      const res = await download(id, "customer", token);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/png");
      expect(res.headers.get("content-disposition")).toStartWith("attachment;");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(await pngFile().arrayBuffer()));
    }
  });

  test("a kind the order has not is 404; an unknown kind 400", async () => {
    const id = await confirmedWithReceipt();
    const res = await download(id, "trader", w.merchant.token);
    expect(res.status).toBe(404);
    expectError({ status: res.status, body: await res.json() }, 404, "not_found");
    const bad = await download(id, "selfie", w.merchant.token);
    expect(bad.status).toBe(400);
  });

  test("security: another merchant, another trader and a client get 404 or 403; no auth 401", async () => {
    const id = await confirmedWithReceipt();
    const otherMerchant = await t.user("merchant");
    const otherTrader = await t.user("trader");
    expect((await download(id, "customer", otherMerchant.token)).status).toBe(404);
    expect((await download(id, "customer", otherTrader.token)).status).toBe(404);
    expect((await download(id, "customer", (await t.user("client")).token)).status).toBe(403);
    expect((await t.app.request(`/api/v1/gateway/orders/${id}/receipts/customer`)).status).toBe(401);
  });
});
