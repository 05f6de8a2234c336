import { beforeEach, describe, expect, test } from "bun:test";
import { expertSpecializations } from "../../src/db/schema";
import { checkInvariants } from "../../src/modules/ledger/check";
import { transfer, userAvailable } from "../../src/modules/ledger/service";
import { makeTestApp, type TestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";
import { fundWallet, makeExpert, makeSubject } from "../helpers/marketplace";

type U = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let client: U;
let expert: U;
/** A completed order, one still held in escrow (100.00), a new one; a grant partly used. */
let paid: number;
let fresh: number;
let grantId: number;

const NAMES = [
  "ledger_sums_to_zero",
  "no_negative_accounts",
  "balances_match_transfers",
  "held_equals_escrow",
  "escrow_only_in_escrow_statuses",
  "grants_match_allocations",
];
const failing = () =>
  checkInvariants(t.ctx)
    .checks.filter((c) => !c.ok)
    .map((c) => c.name);
const sql = (q: string, ...params: (string | number)[]) => t.ctx.sqlite.query(q).run(...params);
const act = (path: string, token: string, body?: unknown) =>
  t.call("POST", `/api/v1/orders/${path}`, { token, body });

async function order(price: number, to: "paid" | "completed" | "new") {
  const subjectId = makeSubject(t).id;
  t.ctx.db
    .insert(expertSpecializations)
    .values({
      userId: expert.id,
      subjectId,
      isVerified: true,
      verifiedAt: t.clock.now(),
      createdAt: t.clock.now(),
    })
    .run();
  const o = (
    await t.call("POST", "/api/v1/orders", {
      token: client.token,
      body: { title: "x", subject_id: subjectId },
    })
  ).body;
  if (to === "new") return o.id as number;
  await act(`${o.id}/take`, expert.token);
  await act(`${o.id}/set-price`, expert.token, { price });
  expect((await act(`${o.id}/pay`, client.token)).status).toBe(200);
  if (to === "completed") {
    await act(`${o.id}/start`, expert.token);
    await act(`${o.id}/complete`, expert.token);
    expect((await act(`${o.id}/accept`, client.token)).body.status).toBe("completed");
  }
  return o.id as number;
}

beforeEach(async () => {
  t = makeTestApp();
  client = await t.user("client");
  expert = await makeExpert(t);
  fundWallet(t, client.id, 500_00);
  fundWallet(t, client.id, 20_00, "USD");
  await order(200_00, "completed");
  paid = await order(100_00, "paid");
  fresh = await order(0, "new");
  grantId = grantSeconds(t, client.id, 600).id;
  const used = await t.call("POST", "/api/v1/usage/record", {
    token: client.token,
    body: { id: "u1", seconds: 40 },
  });
  expect(used.status).toBe(201);
});

describe("checkInvariants", () => {
  test("an empty database passes every check", () => {
    const empty = makeTestApp();
    const r = checkInvariants(empty.ctx);
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual(NAMES);
    for (const c of r.checks) expect(c).toMatchObject({ ok: true, details: { violations: 0, rows: [] } });
  });

  test("a database with wallets, escrow, settled orders and used minutes passes, and nothing changes", () => {
    const before = t.ctx.sqlite
      .query("SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM ledger_transfers) AS l")
      .get();
    const r = checkInvariants(t.ctx);
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(
      t.ctx.sqlite
        .query("SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM ledger_transfers) AS l")
        .get(),
    ).toEqual(before);
  });

  test("a transfer across currencies breaks only the per-currency sum", () => {
    const rub = t.ctx.sqlite
      .query("SELECT id FROM ledger_accounts WHERE owner_id = ? AND kind = 'available' AND currency = 'RUB'")
      .get(String(client.id)) as { id: number };
    const usd = t.ctx.sqlite
      .query("SELECT id FROM ledger_accounts WHERE owner_id = ? AND kind = 'available' AND currency = 'USD'")
      .get(String(client.id)) as { id: number };
    sql(
      `INSERT INTO ledger_transfers (debit_account_id, credit_account_id, amount, currency, kind, idempotency_key, metadata, created_at)
       VALUES (?, ?, 7, 'RUB', 'adjustment', 'corrupt:1', '{}', 0)`,
      rub.id,
      usd.id,
    );
    sql("UPDATE ledger_accounts SET balance = balance - 7 WHERE id = ?", rub.id);
    sql("UPDATE ledger_accounts SET balance = balance + 7 WHERE id = ?", usd.id);
    expect(failing()).toEqual(["ledger_sums_to_zero"]);
    const c = checkInvariants(t.ctx).checks[0]!;
    expect(c.details.rows).toEqual([
      { currency: "RUB", sum: -7 },
      { currency: "USD", sum: 7 },
    ]);
  });

  test("a user account below zero fails no_negative_accounts, even when flagged allow_negative", () => {
    const stranger = 987;
    t.ctx.db.transaction((tx) =>
      transfer(t.ctx, tx, {
        from: { ...userAvailable(stranger, "RUB"), allowNegative: true },
        to: userAvailable(client.id, "RUB"),
        amount: 5,
        kind: "adjustment",
        idempotencyKey: "corrupt:2",
      }),
    );
    expect(failing()).toEqual(["no_negative_accounts"]);
    expect(checkInvariants(t.ctx).checks[1]!.details.rows).toEqual([
      expect.objectContaining({ owner_type: "user", owner_id: String(stranger), balance: -5 }),
    ]);
  });

  test("a cached balance that drifted from its transfers fails balances_match_transfers", () => {
    sql(
      "UPDATE ledger_accounts SET balance = balance + 3 WHERE owner_id = ? AND kind = 'available' AND currency = 'RUB'",
      String(client.id),
    );
    sql(
      "UPDATE ledger_accounts SET balance = balance - 3 WHERE owner_type = 'provider' AND currency = 'RUB'",
    );
    expect(failing()).toEqual(["balances_match_transfers"]);
    const rows = checkInvariants(t.ctx).checks[2]!.details.rows as {
      owner_type: string;
      balance: number;
      from_transfers: number;
    }[];
    expect(rows.map((r) => [r.owner_type, r.balance - r.from_transfers])).toEqual([
      ["provider", -3],
      ["user", 3],
    ]);
  });

  test("escrow recorded without money held (a replayed hold) fails held_equals_escrow for that client and currency", () => {
    sql("UPDATE orders SET escrow_amount = escrow_amount + 50 WHERE id = ?", paid);
    expect(failing()).toEqual(["held_equals_escrow"]);
    expect(checkInvariants(t.ctx).checks[3]!.details.rows).toEqual([
      { user_id: client.id, currency: "RUB", held: 100_00, escrow: 100_50 },
    ]);
  });

  test("escrow on an order that cannot hold it fails escrow_only_in_escrow_statuses", () => {
    sql("UPDATE orders SET escrow_amount = 10 WHERE id = ?", fresh);
    expect(failing()).toEqual(["escrow_only_in_escrow_statuses"]);
    expect(checkInvariants(t.ctx).checks[4]!.details.rows).toEqual([
      { order_id: fresh, status: "new", escrow_amount: 10 },
    ]);
    // Moving held escrow out of the escrow statuses breaks both escrow checks.
    sql("UPDATE orders SET status = 'completed' WHERE id = ?", paid);
    expect(failing()).toEqual(["held_equals_escrow", "escrow_only_in_escrow_statuses"]);
  });

  test("a grant with more seconds left than its allocations allow fails grants_match_allocations", () => {
    sql("UPDATE grants SET remaining_seconds = total_seconds WHERE id = ?", grantId);
    expect(failing()).toEqual(["grants_match_allocations"]);
    expect(checkInvariants(t.ctx).checks[5]!.details.rows).toEqual([
      expect.objectContaining({
        grant_id: grantId,
        total_seconds: 600,
        remaining_seconds: 600,
        allocated_seconds: 45,
      }),
    ]);
    // An exhausted grant with seconds left is as wrong.
    sql("UPDATE grants SET remaining_seconds = 1, status = 'exhausted' WHERE id = ?", grantId);
    expect(failing()).toEqual(["grants_match_allocations"]);
  });

  test("seconds taken back without an allocation (an admin removal) are fine", () => {
    sql("UPDATE grants SET remaining_seconds = remaining_seconds - 100 WHERE id = ?", grantId);
    expect(failing()).toEqual([]);
  });

  test("at most 20 offending rows are listed; the count covers them all", () => {
    for (let i = 0; i < 25; i++) grantSeconds(t, client.id, 10);
    sql("UPDATE grants SET status = 'exhausted' WHERE id != ?", grantId);
    const c = checkInvariants(t.ctx).checks[5]!;
    expect(c.details.violations).toBe(25);
    expect(c.details.rows).toHaveLength(20);
  });
});
