import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createContext } from "../../src/boot";
import type { AppContext } from "../../src/context";
import {
  gatewayRates,
  gatewayRequisites,
  gatewayStores,
  gatewayTraders,
  type Role,
  users,
} from "../../src/db/schema";
import { parseEnv } from "../../src/env";
import { createApiKey } from "../../src/modules/accounts/api-keys";
import { permissionsFor } from "../../src/modules/accounts/permissions";
import { gatewayClearing, traderAvailable } from "../../src/modules/gateway/money";
import { transfer } from "../../src/modules/ledger/service";
import { newWebhookSecret, sealSecret } from "../../src/modules/platform/webhooks/secrets";
import { type RunningServer, startServer, tempDataDir } from "../helpers/server";
import { startWebhookReceiver } from "../helpers/webhook-receiver";

const running: RunningServer[] = [];
const receivers: ReturnType<typeof startWebhookReceiver>[] = [];
afterAll(async () => {
  for (const s of running) await s.stop("SIGKILL").catch(() => {});
  for (const r of receivers) r.stop();
});

type Seeded = { merchantKey: string; storeId: number; traderKeys: string[]; requisiteIds: number[] };

/**
 * A data dir with a RUB rate, a merchant's store (and a gateway key), `traders` traders in work with
 * large deposits (and trader keys), each with `perTrader` approved pay-in requisites admitting
 * `countLimit` orders a day.
 */
function seedGateway(
  dir: string,
  o: { traders: number; perTrader: number; countLimit: number; callbackUrl?: string },
): Seeded {
  const env = parseEnv({ DATA_DIR: dir, LOG_LEVEL: "silent", CRON_ENABLED: "false" });
  const ctx: AppContext = createContext(env);
  ctx.settings.setNow({
    RATE_LIMIT_DEFAULT: "1000000/minute",
    webhooks_allow_private_urls: true,
    fraud_velocity_ip: "1000000/hour",
    fraud_velocity_customer: "1000000/hour",
    webhook_retry_base_delay_seconds: 1,
  });
  const now = Date.now();
  let n = 0;
  const user = (role: Role) => {
    n++;
    return ctx.db
      .insert(users)
      .values({ email: `g${n}@test.local`, username: `g_${n}`, role, createdAt: now, updatedAt: now })
      .returning()
      .get();
  };
  const keyFor = (u: typeof users.$inferSelect, scopes: string[]) =>
    createApiKey(
      ctx,
      { user: { ...u, grantedPermissions: [] }, permissions: permissionsFor(u.role) },
      {
        name: "load",
        scopes,
      },
    ).key;
  ctx.db.insert(gatewayRates).values({ currency: "RUB", rate: 9550, updatedAt: now }).run();
  const merchant = user("merchant");
  const store = ctx.db
    .insert(gatewayStores)
    .values({
      merchantId: merchant.id,
      name: "Load store",
      callbackUrl: o.callbackUrl ?? null,
      callbackSecretSealed: sealSecret(ctx.jwtSecret, newWebhookSecret()),
      payInBps: 300,
      payOutBps: 300,
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .get();
  const traderKeys: string[] = [];
  const requisiteIds: number[] = [];
  for (let i = 0; i < o.traders; i++) {
    const u = user("trader");
    const tr = ctx.db
      .insert(gatewayTraders)
      .values({
        userId: u.id,
        priority: 1 + (i % 3),
        payInBps: 100,
        inWork: true,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    ctx.db.transaction(
      (tx) =>
        transfer(ctx, tx, {
          from: gatewayClearing(),
          to: traderAvailable(tr.id),
          amount: 1_000_000_000_000,
          kind: "adjustment",
          idempotencyKey: `seed-${tr.id}`,
        }),
      { behavior: "immediate" },
    );
    for (let r = 0; r < o.perTrader; r++) {
      const row = ctx.db
        .insert(gatewayRequisites)
        .values({
          traderId: tr.id,
          paymentMethod: "card",
          bank: "Sber",
          details: `2200 ${i} ${r}`,
          ownerName: "LOAD",
          currency: "RUB",
          minAmount: 100,
          maxAmount: 100_000_000,
          dailyLimit: 1_000_000_000_000,
          dailyCountLimit: o.countLimit,
          status: "approved",
          traderPriority: tr.priority,
          createdAt: now,
          updatedAt: now,
        })
        .returning()
        .get();
      requisiteIds.push(row.id);
    }
    traderKeys.push(keyFor(u, ["gateway:trader:*"]));
  }
  const merchantKey = keyFor(merchant, ["gateway:merchant:*"]);
  ctx.sqlite.close();
  return { merchantKey, storeId: store.id, traderKeys, requisiteIds };
}

const post = (url: string, key: string, path: string, body: unknown) =>
  fetch(`${url}/api/v1${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const ledgerSums = (db: Database) =>
  db
    .query<{ currency: string; total: number }, []>(
      "SELECT currency, SUM(balance) AS total FROM ledger_accounts GROUP BY currency",
    )
    .all();

describe("the gateway against a real server process", () => {
  test("200 concurrent pay-ins against requisites whose limits admit 50: exactly 50 assigned, every limit kept", async () => {
    const dir = tempDataDir();
    const seeded = seedGateway(dir, { traders: 5, perTrader: 2, countLimit: 5 });
    const s = await startServer(dir);
    running.push(s);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        post(s.url, seeded.merchantKey, "/gateway/payin", {
          store_id: seeded.storeId,
          amount: 100_000 + i,
          currency: "RUB",
          client_order_id: `burst-${i}`,
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as any })),
      ),
    );
    expect(answers.map((a) => a.status).filter((x) => x !== 201)).toEqual([]);
    const assigned = answers.filter((a) => a.body.status === "assigned");
    expect(assigned).toHaveLength(50);
    expect(answers.filter((a) => a.body.status === "retrying")).toHaveLength(150);
    expect(await s.stop()).toBe(0);

    const db = new Database(join(dir, "souk.db"));
    const perRequisite = db
      .query<{ requisite_id: number; n: number }, []>(
        "SELECT requisite_id, count(*) AS n FROM gateway_orders WHERE status = 'assigned' GROUP BY requisite_id",
      )
      .all();
    expect(perRequisite).toHaveLength(10);
    for (const r of perRequisite) expect(r.n).toBe(5);
    const counters = db.query<{ used_count: number }, []>("SELECT used_count FROM gateway_requisites").all();
    expect(counters.every((c) => c.used_count === 5)).toBe(true);
    // Each trader holds exactly the USDT of their assigned orders, and nothing went below zero.
    const held = db
      .query<{ trader_id: number; held: number; orders: number }, []>(
        `SELECT o.trader_id, a.balance AS held, SUM(o.amount_crypto) AS orders FROM gateway_orders o
         JOIN ledger_accounts a ON a.owner_type = 'trader' AND a.owner_id = CAST(o.trader_id AS TEXT) AND a.kind = 'held'
         WHERE o.status = 'assigned' GROUP BY o.trader_id`,
      )
      .all();
    for (const h of held) expect(h.held).toBe(h.orders);
    expect(
      db
        .query<{ n: number }, []>(
          "SELECT count(*) AS n FROM ledger_accounts WHERE balance < 0 AND allow_negative = 0",
        )
        .get()!.n,
    ).toBe(0);
    for (const sum of ledgerSums(db)) expect(sum.total).toBe(0);
    db.close();
  }, 60_000);

  test("kill -9 during pay-ins and confirmations: every acknowledged order and movement survives, callbacks arrive after restart", async () => {
    const receiver = startWebhookReceiver();
    receivers.push(receiver);
    const dir = tempDataDir();
    const seeded = seedGateway(dir, {
      traders: 4,
      perTrader: 5,
      countLimit: 100_000,
      callbackUrl: `${receiver.url}/cb`,
    });
    const s = await startServer(dir, { CRON_ENABLED: "true" });
    running.push(s);
    const created = new Map<string, number>();
    const completed = new Set<number>();
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await post(s.url, seeded.merchantKey, "/gateway/payin", {
            store_id: seeded.storeId,
            amount: 50_000 + i,
            currency: "RUB",
            client_order_id: `k-${w}-${i}`,
          });
          if (r.status !== 201) continue;
          const body = (await r.json()) as any;
          created.set(body.client_order_id, body.id);
          if (body.status !== "assigned" || i % 2) continue;
          // The merchant does not see the trader: each trader tries, the others get 404.
          for (const key of seeded.traderKeys) {
            const c = await post(s.url, key, `/trader/orders/${body.id}/confirm`, {});
            if (c.status === 200) {
              completed.add(body.id);
              break;
            }
          }
        } catch {
          return; // the server died mid-request: not acknowledged
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await Bun.sleep(1500);
    s.proc.kill("SIGKILL");
    stop = true;
    await Promise.all(workers);
    await s.proc.exited;
    expect(created.size).toBeGreaterThan(50);
    expect(completed.size).toBeGreaterThan(5);

    const db = new Database(join(dir, "souk.db"));
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    const rows = db
      .query<{ id: number; client_order_id: string; status: string }, []>(
        "SELECT id, client_order_id, status FROM gateway_orders",
      )
      .all();
    const byClient = new Map(rows.map((r) => [r.client_order_id, r]));
    for (const [cid, id] of created) expect(byClient.get(cid)?.id).toBe(id);
    for (const id of completed) expect(rows.find((r) => r.id === id)?.status).toBe("completed");
    // Every completion's three movements are there.
    const settled = db
      .query<{ n: number }, []>(
        "SELECT count(DISTINCT reference_id) AS n FROM ledger_transfers WHERE idempotency_key LIKE 'gw:%:settle:store'",
      )
      .get()!.n;
    expect(settled).toBeGreaterThanOrEqual(completed.size);
    for (const sum of ledgerSums(db)) expect(sum.total).toBe(0);
    const deliveries = db
      .query<{ message_id: string }, []>("SELECT message_id FROM webhook_deliveries")
      .all()
      .map((d) => d.message_id);
    db.close();
    expect(deliveries.length).toBeGreaterThanOrEqual(created.size);

    // Restart: every callback written before the kill reaches the receiver (at least once, with the
    // webhook-id it was given), whether it went out before the kill or was cut off or still queued.
    const again = await startServer(dir, { CRON_ENABLED: "true" });
    running.push(again);
    const deadline = Date.now() + 40_000;
    const seen = () => new Set(receiver.received.map((r) => r.headers["webhook-id"]));
    while (Date.now() < deadline && deliveries.some((id) => !seen().has(id))) await Bun.sleep(250);
    await again.stop();
    expect(deliveries.filter((id) => !seen().has(id))).toEqual([]);
  }, 120_000);
});
