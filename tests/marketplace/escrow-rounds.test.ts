import { beforeEach, describe, expect, test } from "bun:test";
import { checkInvariants } from "../../src/modules/ledger/check";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { fundWallet, makeExpert, makeSubject, wallet } from "../helpers/marketplace";

/**
 * A reopened order must never settle money held for the client's other orders. Ledger keys were
 * per order, so a second wallet payment of a reopened order replayed the first hold (moving
 * nothing) while recording escrow, and a dispute refund then paid it out of the other orders'.
 */
type U = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let client: U;
let expert: U;
let admin: U;
let arbitrator: U;
let subjectId: number;

beforeEach(async () => {
  t = makeTestApp();
  subjectId = makeSubject(t).id;
  client = await t.user("client");
  expert = await makeExpert(t, [subjectId]);
  admin = await t.user("admin");
  arbitrator = await t.user("arbitrator");
});

const act = (path: string, token: string, body?: unknown) =>
  t.call("POST", `/api/v1/orders/${path}`, { token, body });
const order = async (id: number) =>
  (await t.call("GET", `/api/v1/orders/${id}`, { token: client.token })).body;
const setStatus = (id: number, status: string) =>
  t.call("POST", `/api/v1/admin/orders/${id}/set-status`, {
    token: admin.token,
    body: { status, reason: "reopened by support" },
  });
const failed = () =>
  checkInvariants(t.ctx)
    .checks.filter((c) => !c.ok)
    .map((c) => c.name);

/** A new order taken and priced by the expert, then paid by the client from the wallet. */
async function paidOrder(price: number) {
  const o = (
    await t.call("POST", "/api/v1/orders", {
      token: client.token,
      body: { title: "x", subject_id: subjectId },
    })
  ).body;
  await act(`${o.id}/take`, expert.token);
  await act(`${o.id}/set-price`, expert.token, { price });
  expect((await act(`${o.id}/pay`, client.token)).body).toMatchObject({
    status: "paid",
    escrow_amount: price,
  });
  return o.id as number;
}

async function completedOrder(price: number) {
  const id = await paidOrder(price);
  await act(`${id}/start`, expert.token);
  await act(`${id}/complete`, expert.token);
  expect((await act(`${id}/accept`, client.token)).body.status).toBe("completed");
  return id;
}

/** Dispute `id` and refund it in full. */
async function disputeAndRefund(id: number) {
  expect((await act(`${id}/dispute`, client.token, { reason: "not what I asked" })).status).toBe(200);
  return act(`${id}/resolve`, arbitrator.token, { outcome: "refund" });
}

const keysOf = (id: number) =>
  (
    t.ctx.sqlite
      .query("SELECT idempotency_key AS k FROM ledger_transfers WHERE reference_id = ? ORDER BY id")
      .all(String(id)) as { k: string }[]
  ).map((r) => r.k);

describe("a reopened order cannot take the escrow of the client's other orders", () => {
  test("reopen a completed order, pay it again, refund it: the other order's escrow is untouched", async () => {
    fundWallet(t, client.id, 300_00);
    const done = await completedOrder(100_00);
    const other = await paidOrder(150_00);
    expect(wallet(t, client.id)).toEqual({ available: 50_00, held: 150_00 });

    // The whole sequence is attempted; whichever step refuses, the money must come out right.
    const reopen = await setStatus(done, "awaiting_payment");
    await act(`${done}/pay`, client.token);
    await act(`${done}/dispute`, client.token, { reason: "not what I asked" });
    await act(`${done}/resolve`, arbitrator.token, { outcome: "refund" });

    expect(await order(other)).toMatchObject({ status: "paid", escrow_amount: 150_00 });
    expect(wallet(t, client.id)).toEqual({ available: 50_00, held: 150_00 });
    expect(failed()).toEqual([]);
    // It is the reopen that refuses: the order's money was settled.
    expectError(reopen, 409, "conflict");
    expect(reopen.body.error.message).toContain("settled");
    expect(await order(done)).toMatchObject({ status: "completed", escrow_amount: 0 });
  });

  test("a refunded (cancelled) wallet order stays cancelled; any status change of a settled order is refused", async () => {
    fundWallet(t, client.id, 100_00);
    const id = await paidOrder(100_00);
    expect((await disputeAndRefund(id)).body.status).toBe("cancelled");
    for (const status of ["awaiting_payment", "paid", "in_progress", "disputed", "completed", "new"]) {
      expectError(await setStatus(id, status), 409, "conflict");
    }
    const done = await completedOrder(50_00);
    expectError(await setStatus(done, "cancelled"), 409, "conflict");
    expect(
      t.ctx.sqlite.query("SELECT count(*) AS n FROM events WHERE type = 'order.status_overridden'").get(),
    ).toEqual({ n: 0 });
  });

  test("orders whose money never moved through the wallet may still be reopened", async () => {
    const o = (
      await t.call("POST", "/api/v1/orders", {
        token: client.token,
        body: { title: "x", subject_id: subjectId },
      })
    ).body;
    await act(`${o.id}/cancel`, client.token);
    expect((await setStatus(o.id, "new")).body.status).toBe("new");
    // A manual order, completed by the expert: nothing was held, so support may reopen it.
    await act(`${o.id}/take`, expert.token);
    await act(`${o.id}/set-price`, expert.token, { price: 80_00 });
    await act(`${o.id}/mark-paid`, client.token);
    await act(`${o.id}/confirm-payment`, expert.token);
    await act(`${o.id}/start`, expert.token);
    expect((await act(`${o.id}/complete`, expert.token)).body.status).toBe("completed");
    expect((await setStatus(o.id, "in_progress")).body.status).toBe("in_progress");
  });

  test("each wallet payment keys its own hold: an order reopened before the guard pays and refunds its own money", async () => {
    fundWallet(t, client.id, 400_00);
    const done = await completedOrder(100_00);
    const other = await paidOrder(150_00);
    // What set-status did before it refused settled orders: such rows exist in older databases.
    t.ctx.sqlite.query("UPDATE orders SET status = 'awaiting_payment' WHERE id = ?").run(done);

    expect((await act(`${done}/pay`, client.token)).body).toMatchObject({
      status: "paid",
      escrow_amount: 100_00,
    });
    // The second payment really held money.
    expect(wallet(t, client.id)).toEqual({ available: 50_00, held: 250_00 });
    expect((await disputeAndRefund(done)).body).toMatchObject({ status: "cancelled", escrow_amount: 0 });

    expect(await order(other)).toMatchObject({ status: "paid", escrow_amount: 150_00 });
    expect(wallet(t, client.id)).toEqual({ available: 150_00, held: 150_00 });
    expect(failed()).toEqual([]);
    expect(keysOf(done)).toEqual([
      `order:${done}:r1:hold`,
      `order:${done}:r1:payout`,
      `order:${done}:r1:commission`,
      `order:${done}:r2:hold`,
      `order:${done}:r2:refund`,
    ]);
    // The other order still settles in full from what is held for it.
    await act(`${other}/start`, expert.token);
    await act(`${other}/complete`, expert.token);
    expect((await act(`${other}/accept`, client.token)).body.status).toBe("completed");
    expect(wallet(t, client.id)).toEqual({ available: 150_00, held: 0 });
    expect(failed()).toEqual([]);
  });

  test("an order paid before payment rounds (round 0) settles against its legacy keys", async () => {
    fundWallet(t, client.id, 300_00);
    const id = await paidOrder(100_00);
    // As such an order looks: round 0, hold under `order:{id}:hold`.
    t.ctx.sqlite.query("UPDATE orders SET payment_round = 0 WHERE id = ?").run(id);
    t.ctx.sqlite
      .query("UPDATE ledger_transfers SET idempotency_key = ? WHERE idempotency_key = ?")
      .run(`order:${id}:hold`, `order:${id}:r1:hold`);
    await act(`${id}/start`, expert.token);
    await act(`${id}/complete`, expert.token);
    expect((await act(`${id}/accept`, client.token)).body.status).toBe("completed");
    expect(keysOf(id)).toEqual([`order:${id}:hold`, `order:${id}:payout`, `order:${id}:commission`]);
    expect(wallet(t, client.id)).toEqual({ available: 200_00, held: 0 });

    // Reopened the old way and paid again: the new payment is round 1, with keys of its own.
    t.ctx.sqlite.query("UPDATE orders SET status = 'awaiting_payment' WHERE id = ?").run(id);
    expect((await act(`${id}/pay`, client.token)).status).toBe(200);
    expect(wallet(t, client.id)).toEqual({ available: 100_00, held: 100_00 });
    expect((await disputeAndRefund(id)).body.status).toBe("cancelled");
    expect(keysOf(id).slice(3)).toEqual([`order:${id}:r1:hold`, `order:${id}:r1:refund`]);
    expect(wallet(t, client.id)).toEqual({ available: 200_00, held: 0 });
    expect(failed()).toEqual([]);
  });
});
