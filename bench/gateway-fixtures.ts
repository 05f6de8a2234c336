/**
 * The pay-in benchmark's fixtures (bench/run.ts, scenario "gateway-payin"): the same rows
 * written straight into souk's and the ceiling's databases from a deterministic PRNG.
 *
 * - a rate RUB 9550 (95.50 RUB per USDT);
 * - a store of the bench merchant (a souk user made `merchant` through the admin API), no callback
 *   url, pay-in commission 300 bps (above every trader's, so no trader is turned away for it);
 * - 1,000 traders (users 100001.. with role trader, in work, traffic on), priorities 1..10, each
 *   with a deposit far above what any run holds, credited from the gateway clearing account so the
 *   USDT ledger sums to 0;
 * - 5,000 approved pay-in requisites (card / sbp, five banks), 5 per trader, limits far above a run.
 *
 * Ids sit clear of anything either server creates: users 100001+, traders, requisites and the
 * store 1001+.
 */
import type { Database } from "bun:sqlite";

export const GW_RATE = 9550;
export const GW_STORE_ID = 1001;
export const GW_STORE_PAYIN_BPS = 300;
export const GW_TRADERS = 1000;
export const GW_REQUISITES = 5000;
export const GW_TRADER_USER0 = 100_001;
export const GW_TRADER0 = 1001;
export const GW_REQUISITE0 = 1001;
/** 1,000,000 USDT each: a pay-in of GW_PAYIN_AMOUNT holds ~15.7 USDT, ~64k of them per trader. */
export const GW_DEPOSIT = 1_000_000 * 1_000_000;
/** 1,500.00 RUB per pay-in. */
export const GW_PAYIN_AMOUNT = 150_000;

const BANKS = ["Sber", "Tinkoff", "Alfa", "VTB", "Raiffeisen"];

/** mulberry32: the same sequence on both sides. */
function prng(seed: number) {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes the gateway rows into `db` (inside the caller's transaction). `merchantId` owns the
 * store; the caller sets that user's role itself (souk: through its API).
 */
export function seedGateway(db: Database, merchantId: number, now: number) {
  const rnd = prng(3);
  db.prepare(
    `INSERT INTO gateway_rates (currency, rate, updated_by, updated_at) VALUES ('RUB', ?, NULL, ?)
     ON CONFLICT (currency) DO UPDATE SET rate = excluded.rate, updated_at = excluded.updated_at`,
  ).run(GW_RATE, now);
  db.prepare(
    `INSERT INTO gateway_stores (id, merchant_id, name, callback_url, callback_secret_sealed, pay_in_bps,
       pay_out_bps, active, created_at, updated_at)
     VALUES (?, ?, 'Bench store', NULL, 'unused: the store has no callback url', ?, ?, 1, ?, ?)`,
  ).run(GW_STORE_ID, merchantId, GW_STORE_PAYIN_BPS, GW_STORE_PAYIN_BPS, now, now);

  const user = db.prepare(
    `INSERT INTO users (id, email, username, role, created_at, updated_at)
     VALUES (?, ?, ?, 'trader', ?, ?)`,
  );
  const trader = db.prepare(
    `INSERT INTO gateway_traders (id, user_id, teamlead_id, priority, pay_in_bps, pay_out_bps, in_work,
       traffic_enabled, created_at, updated_at)
     VALUES (?, ?, NULL, ?, ?, ?, 1, 1, ?, ?)`,
  );
  const account = db.prepare<{ id: number }, [string, string, string, number, number, number]>(
    `INSERT INTO ledger_accounts (owner_type, owner_id, kind, currency, balance, allow_negative, created_at)
     VALUES (?, ?, ?, 'USDT', ?, ?, ?)
     ON CONFLICT (owner_type, owner_id, kind, currency) DO UPDATE SET balance = balance + excluded.balance
     RETURNING id`,
  );
  const transfer = db.prepare(
    `INSERT INTO ledger_transfers (debit_account_id, credit_account_id, amount, currency, kind, reference_type,
       reference_id, idempotency_key, metadata, created_at)
     VALUES (?, ?, ?, 'USDT', 'adjustment', 'gateway_trader', ?, ?, '{}', ?)`,
  );
  const priorities: number[] = [];
  for (let i = 0; i < GW_TRADERS; i++) {
    const userId = GW_TRADER_USER0 + i;
    const traderId = GW_TRADER0 + i;
    const priority = 1 + Math.floor(rnd() * 10);
    priorities.push(priority);
    user.run(userId, `bench-trader-${i + 1}@bench.local`, `bench_trader_${i + 1}`, now, now);
    trader.run(traderId, userId, priority, 50 + Math.floor(rnd() * 151), 100, now, now);
    // The deposit, as an admin's credit would write it: clearing (negative) -> trader available.
    const from = account.get("provider", "gateway", "clearing", -GW_DEPOSIT, 1, now)!;
    const to = account.get("trader", String(traderId), "available", GW_DEPOSIT, 0, now)!;
    transfer.run(from.id, to.id, GW_DEPOSIT, String(traderId), `bench-gw-deposit:${traderId}`, now);
  }

  const requisite = db.prepare(
    `INSERT INTO gateway_requisites (id, trader_id, payment_method, bank, details, owner_name, pay_in, pay_out,
       currency, min_amount, max_amount, daily_limit, daily_count_limit, status, usage_day, used_amount,
       used_count, last_used_at, trader_priority, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 1, 0, 'RUB', 100, 100000000, 1000000000000000, 100000000, 'approved', 0, 0, 0,
       NULL, ?, ?, ?)`,
  );
  for (let j = 0; j < GW_REQUISITES; j++) {
    const t = j % GW_TRADERS;
    const method = rnd() < 0.6 ? "card" : "sbp";
    const digits = String(Math.floor(rnd() * 1e12)).padStart(12, "0");
    requisite.run(
      GW_REQUISITE0 + j,
      GW_TRADER0 + t,
      method,
      BANKS[Math.floor(rnd() * BANKS.length)]!,
      method === "card"
        ? `2200 ${digits.slice(0, 4)} ${digits.slice(4, 8)} ${digits.slice(8)}`
        : `+79${digits.slice(0, 9)}`,
      `TRADER ${t + 1}`,
      priorities[t]!,
      now,
      now,
    );
  }
}

/** souk's selection query (src/modules/gateway/orders/assign.ts, pay-in), for EXPLAIN QUERY PLAN. */
export const PAYIN_SELECTION_SQL = `
  SELECT r.id, r.trader_id, r.payment_method, r.bank, r.min_amount, r.max_amount, r.daily_limit, r.daily_count_limit,
    CASE WHEN r.usage_day = ?2 THEN r.used_amount ELSE 0 END AS used_amount,
    CASE WHEN r.usage_day = ?2 THEN r.used_count ELSE 0 END AS used_count,
    t.in_work, t.traffic_enabled, t.pay_in_bps AS trader_bps,
    u.is_banned, coalesce(la.balance, 0) AS deposit
  FROM gateway_requisites r INDEXED BY gateway_requisites_payin_idx
  JOIN gateway_traders t ON t.id = r.trader_id
  JOIN users u ON u.id = t.user_id
  LEFT JOIN ledger_accounts la ON la.owner_type = 'trader' AND la.owner_id = CAST(t.id AS TEXT)
    AND la.kind = 'available' AND la.currency = 'USDT'
  WHERE r.status = 'approved' AND r.pay_in = 1 AND r.currency = ?1
  ORDER BY r.trader_priority, r.last_used_at, r.id`;

/** The plan SQLite picks for the selection on `db`, one line per step, indented by depth. */
export function explainSelection(db: Database): string[] {
  const rows = db
    .query<{ id: number; parent: number; detail: string }, [string, number]>(
      `EXPLAIN QUERY PLAN ${PAYIN_SELECTION_SQL}`,
    )
    .all("RUB", Math.floor(Date.now() / 86_400_000));
  const depth = new Map<number, number>([[0, -1]]);
  return rows.map((r) => {
    const d = (depth.get(r.parent) ?? -1) + 1;
    depth.set(r.id, d);
    return `${"  ".repeat(d)}${r.detail}`;
  });
}
