import { describe, expect, test } from "bun:test";
import { DAY, HOUR } from "../../src/lib/time";
import { gatewayClearing, storeAvailable, traderAvailable } from "../../src/modules/gateway/money";
import { balanceOf } from "../../src/modules/ledger/service";
import { expectError, makeTestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

const t = makeTestApp();
const fx = gatewayFixtures(t);

const deposit = (
  token: string | undefined,
  traderId: number,
  body: unknown,
  headers: Record<string, string> = {},
) => t.call("POST", `/api/v1/admin/gateway/traders/${traderId}/deposit`, { token, body, headers });
const withdraw = (
  token: string | undefined,
  storeId: number,
  body: unknown,
  headers: Record<string, string> = {},
) => t.call("POST", `/api/v1/admin/gateway/stores/${storeId}/withdraw`, { token, body, headers });
const transfersOf = (type: string, id: number) =>
  t.ctx.sqlite
    .query(
      "SELECT kind, amount, currency, idempotency_key FROM ledger_transfers WHERE reference_type = ? AND reference_id = ? ORDER BY id",
    )
    .all(type, String(id)) as { kind: string; amount: number; currency: string; idempotency_key: string }[];
const auditOf = (action: string, targetId: number) =>
  t.ctx.sqlite
    .query(
      "SELECT actor_id, ip, request_id, details FROM audit_log WHERE action = ? AND target_id = ? ORDER BY id",
    )
    .all(action, String(targetId)) as { actor_id: number; ip: string; request_id: string; details: string }[];
const eventsOf = (type: string, subjectId: number) =>
  t.ctx.sqlite
    .query("SELECT actor_id, payload FROM events WHERE type = ? AND subject_id = ? ORDER BY id")
    .all(type, String(subjectId)) as { actor_id: number; payload: string }[];
const sumsAreZero = () => {
  for (const s of fx.ledgerSums()) expect(s.total).toBe(0);
};

describe("POST /admin/gateway/traders/{id}/deposit", () => {
  test("credits the deposit from the gateway clearing account; audited with before and after, with an event", async () => {
    const admin = await t.user("admin");
    const { trader, user } = await fx.trader({ deposit: 1_000_000 });
    const clearingBefore = balanceOf(t.ctx.db, gatewayClearing());
    const r = await deposit(admin.token, trader.id, { amount: 500_000_000, note: " USDT tx 0x9f3c " });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      trader_id: trader.id,
      amount: 500_000_000,
      currency: "USDT",
      note: "USDT tx 0x9f3c",
      balance_before: 1_000_000,
      balance_after: 501_000_000,
      created_at: "2026-11-22T10:00:00.000Z",
    });
    expect(fx.balances({ traderId: trader.id }).traderAvailable).toBe(501_000_000);
    expect(balanceOf(t.ctx.db, gatewayClearing())).toBe(clearingBefore - 500_000_000);
    const [tr] = transfersOf("gateway_trader", trader.id);
    expect(tr).toMatchObject({ kind: "adjustment", amount: 500_000_000, currency: "USDT" });
    expect(tr!.idempotency_key).toStartWith(`gateway-trader-deposit:${admin.id}:${trader.id}:`);
    const audits = auditOf("gateway.trader.deposited", trader.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_id: admin.id, request_id: r.headers.get("x-request-id")! });
    expect(JSON.parse(audits[0]!.details)).toMatchObject({
      transfer_id: r.body.transfer_id,
      amount: 500_000_000,
      note: "USDT tx 0x9f3c",
      balance_before: 1_000_000,
      balance_after: 501_000_000,
    });
    expect(eventsOf("gateway.trader.deposited", trader.id)).toHaveLength(1);
    // The trader sees it.
    const b = await t.call("GET", "/api/v1/trader/balance", { token: user.token });
    expect(b.body).toEqual({ available: 501_000_000, held: 0, currency: "USDT" });
    sumsAreZero();
  });

  test("with an Idempotency-Key a retry credits once, even after the kept answer expired; without one each call credits", async () => {
    const admin = await t.user("admin");
    const { trader } = await fx.trader();
    const body = { amount: 2_000_000, note: "top-up" };
    const first = await deposit(admin.token, trader.id, body, { "idempotency-key": "dep-1" });
    expect(first.status).toBe(201);
    const replay = await deposit(admin.token, trader.id, body, { "idempotency-key": "dep-1" });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    t.clock.advance(DAY + HOUR);
    const late = await deposit(admin.token, trader.id, body, { "idempotency-key": "dep-1" });
    expect(late.status).toBe(200);
    expect(late.body).toEqual(first.body);
    expect(transfersOf("gateway_trader", trader.id)).toHaveLength(1);
    expect(auditOf("gateway.trader.deposited", trader.id)).toHaveLength(1);
    // The same key for another amount: refused by the kept answer, and once that expired, by the books.
    expectError(
      await deposit(
        admin.token,
        trader.id,
        { amount: 3_000_000, note: "top-up" },
        { "idempotency-key": "dep-1" },
      ),
      409,
      "idempotency_conflict",
    );
    t.clock.advance(DAY + HOUR);
    expectError(
      await deposit(
        admin.token,
        trader.id,
        { amount: 3_000_000, note: "top-up" },
        { "idempotency-key": "dep-1" },
      ),
      409,
      "conflict",
    );
    await deposit(admin.token, trader.id, body);
    await deposit(admin.token, trader.id, body);
    expect(transfersOf("gateway_trader", trader.id)).toHaveLength(3);
    expect(fx.balances({ traderId: trader.id }).traderAvailable).toBe(6_000_000);
    sumsAreZero();
  });

  test("bad amounts and bodies are 400, an unknown trader 404; nothing is written", async () => {
    const admin = await t.user("admin");
    const { trader } = await fx.trader();
    for (const body of [
      { amount: 0, note: "x" },
      { amount: -1, note: "x" },
      { amount: 1.5, note: "x" },
      { amount: "100", note: "x" },
      { amount: Number.MAX_SAFE_INTEGER + 1, note: "x" },
      { amount: 100 },
      { amount: 100, note: "" },
      { amount: 100, note: "x", currency: "USDT" },
    ]) {
      expectError(await deposit(admin.token, trader.id, body), 400, "validation_failed");
    }
    expectError(await deposit(admin.token, 999_999, { amount: 100, note: "x" }), 404, "not_found");
    expect(transfersOf("gateway_trader", trader.id)).toHaveLength(0);
    expect(auditOf("gateway.trader.deposited", trader.id)).toHaveLength(0);
  });

  test("admins only: support, teamleads, the trader and merchants are refused", async () => {
    const { trader, user } = await fx.trader();
    expectError(await deposit(undefined, trader.id, { amount: 100, note: "x" }), 401, "unauthenticated");
    for (const u of [user, await t.user("support"), await t.user("teamlead"), await t.user("merchant")]) {
      expectError(await deposit(u.token, trader.id, { amount: 100, note: "x" }), 403, "forbidden");
    }
    expect(fx.balances({ traderId: trader.id }).traderAvailable).toBe(0);
  });
});

describe("POST /admin/gateway/stores/{id}/withdraw", () => {
  test("pays out of the store's available balance to the clearing account; audited, with an event", async () => {
    const admin = await t.user("admin");
    const { store } = await fx.store();
    fx.credit(storeAvailable(store.id), 30_000_000);
    const r = await withdraw(admin.token, store.id, {
      amount: 25_000_000,
      note: "Paid to the merchant's wallet",
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      store_id: store.id,
      amount: 25_000_000,
      currency: "USDT",
      balance_before: 30_000_000,
      balance_after: 5_000_000,
    });
    expect(fx.balances({ storeId: store.id }).storeAvailable).toBe(5_000_000);
    const [tr] = transfersOf("gateway_store", store.id);
    expect(tr).toMatchObject({ kind: "payout", amount: 25_000_000, currency: "USDT" });
    const audits = auditOf("gateway.store.withdrawn", store.id);
    expect(audits).toHaveLength(1);
    expect(JSON.parse(audits[0]!.details)).toMatchObject({
      store_id: store.id,
      amount: 25_000_000,
      note: "Paid to the merchant's wallet",
      balance_before: 30_000_000,
      balance_after: 5_000_000,
    });
    const ev = eventsOf("gateway.store.withdrawn", store.id);
    expect(ev).toHaveLength(1);
    expect(ev[0]!.actor_id).toBe(admin.id);
    sumsAreZero();
  });

  test("402 when the available balance is short (held money does not count); nothing is written", async () => {
    const admin = await t.user("admin");
    const { store } = await fx.store();
    fx.credit(storeAvailable(store.id), 1_000_000);
    const e = expectError(
      await withdraw(admin.token, store.id, { amount: 1_000_001, note: "too much" }),
      402,
      "insufficient_funds",
    );
    expect(e.details).toMatchObject({ available: 1_000_000, required: 1_000_001, currency: "USDT" });
    expect(transfersOf("gateway_store", store.id)).toHaveLength(0);
    expect(auditOf("gateway.store.withdrawn", store.id)).toHaveLength(0);
    expect(eventsOf("gateway.store.withdrawn", store.id)).toHaveLength(0);
    expect(fx.balances({ storeId: store.id }).storeAvailable).toBe(1_000_000);
    // Exactly the balance is fine.
    expect((await withdraw(admin.token, store.id, { amount: 1_000_000, note: "all" })).status).toBe(201);
    expect(fx.balances({ storeId: store.id }).storeAvailable).toBe(0);
    sumsAreZero();
  });

  test("a retry with the same Idempotency-Key pays once", async () => {
    const admin = await t.user("admin");
    const { store } = await fx.store();
    fx.credit(storeAvailable(store.id), 10_000_000);
    const body = { amount: 4_000_000, note: "weekly" };
    const a = await withdraw(admin.token, store.id, body, { "idempotency-key": "wd-1" });
    t.clock.advance(2 * DAY);
    const b = await withdraw(admin.token, store.id, body, { "idempotency-key": "wd-1" });
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect(fx.balances({ storeId: store.id }).storeAvailable).toBe(6_000_000);
  });

  test("bad bodies 400, unknown store 404, non-admins 403", async () => {
    const admin = await t.user("admin");
    const { store, merchant } = await fx.store();
    fx.credit(storeAvailable(store.id), 1_000_000);
    for (const body of [{ amount: 0, note: "x" }, { amount: 10 }, { amount: 10, note: "x", to: "me" }]) {
      expectError(await withdraw(admin.token, store.id, body), 400, "validation_failed");
    }
    expectError(await withdraw(admin.token, 999_999, { amount: 10, note: "x" }), 404, "not_found");
    for (const u of [merchant, await t.user("support"), await t.user("trader")]) {
      expectError(await withdraw(u.token, store.id, { amount: 10, note: "x" }), 403, "forbidden");
    }
    expectError(await withdraw(undefined, store.id, { amount: 10, note: "x" }), 401, "unauthenticated");
    expect(fx.balances({ storeId: store.id }).storeAvailable).toBe(1_000_000);
  });
});

describe("the books", () => {
  test("trader deposits and store withdrawals leave the USDT ledger at zero, clearing showing what is inside", () => {
    const usdt = fx.ledgerSums().find((s) => s.currency === "USDT");
    expect(usdt?.total).toBe(0);
    expect(balanceOf(t.ctx.db, gatewayClearing())).toBeLessThan(0);
    expect(balanceOf(t.ctx.db, traderAvailable(999_999))).toBe(0);
  });
});
