import type { Queryable } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import { GATEWAY_ORDER_STATUSES, type GatewayOrderStatus, type Role } from "../../../db/schema";
import { offset, type PageQuery } from "../../../lib/pagination";
import { DAY, isoOrNull } from "../../../lib/time";
import { balanceOf } from "../../ledger/service";
import { gatewayClearing, USDT } from "../money";

/**
 * The figures behind the staff views, straight from the order and ledger tables with prepared
 * statements (one set per connection). Entity lists pass their page's ids as one JSON array
 * (`IN (SELECT value FROM json_each(?))`), so one statement serves any page size.
 */

// Date's own limits: an open end of a period.
const EARLIEST = -8.64e15;
const LATEST = 8.64e15;

export type Period = { from: number | null; to: number | null };
const bounds = (p: Period): [number, number] => [p.from ?? EARLIEST, p.to ?? LATEST];
export const periodView = (p: Period) => ({ from: isoOrNull(p.from), to: isoOrNull(p.to) });

type AggRow = {
  k: number;
  status: GatewayOrderStatus;
  currency: string;
  n: number;
  amount: number;
  crypto: number;
  confirm_ms: number | null;
  confirmed: number;
};
type VolumeRow = { k: number; currency: string; n: number; amount: number; crypto: number };
type EntityRow = { id: number; username: string | null };
export type TraderEntityRow = {
  id: number;
  user_id: number;
  teamlead_id: number | null;
  in_work: number;
  traffic_enabled: number;
  username: string | null;
  is_banned: number;
};

/** Per status and currency: what a group of orders counts, weighs and took to confirm. */
const agg = (o: string) => `${o}status AS status, ${o}currency AS currency, count(*) AS n,
  sum(${o}amount) AS amount, sum(${o}amount_crypto) AS crypto,
  sum(CASE WHEN ${o}status = 'completed' AND ${o}assigned_at IS NOT NULL THEN ${o}completed_at - ${o}assigned_at END) AS confirm_ms,
  count(CASE WHEN ${o}status = 'completed' AND ${o}assigned_at IS NOT NULL THEN 1 END) AS confirmed`;
const IDS = "(SELECT value FROM json_each(?1))";
const TRADER_COLS = `t.id, t.user_id, t.teamlead_id, t.in_work, t.traffic_enabled, u.username, u.is_banned`;

const stmts = preparedPer((db) => ({
  // Orders created in the period that were ever assigned to one of the traders: gateway_orders_trader_idx.
  byTraders: prepare<AggRow, [string, number, number]>(
    db,
    `SELECT trader_id AS k, ${agg("")} FROM gateway_orders
     WHERE trader_id IN ${IDS} AND assigned_at IS NOT NULL AND created_at BETWEEN ?2 AND ?3
     GROUP BY trader_id, status, currency`,
  ),
  // The same over teams: gateway_traders_teamlead_idx, then gateway_orders_trader_idx per trader.
  byTeamleads: prepare<AggRow, [string, number, number]>(
    db,
    `SELECT t.teamlead_id AS k, ${agg("o.")} FROM gateway_traders t JOIN gateway_orders o ON o.trader_id = t.id
     WHERE t.teamlead_id IN ${IDS} AND o.assigned_at IS NOT NULL AND o.created_at BETWEEN ?2 AND ?3
     GROUP BY t.teamlead_id, o.status, o.currency`,
  ),
  // Orders of the merchants' stores created in the period: gateway_stores_merchant_idx, gateway_orders_store_idx.
  byMerchants: prepare<AggRow, [string, number, number]>(
    db,
    `SELECT s.merchant_id AS k, ${agg("o.")} FROM gateway_stores s JOIN gateway_orders o ON o.store_id = s.id
     WHERE s.merchant_id IN ${IDS} AND o.created_at BETWEEN ?2 AND ?3
     GROUP BY s.merchant_id, o.status, o.currency`,
  ),
  // Today's work of the traders: open orders assigned today and orders completed today (gateway_orders_trader_idx).
  today: prepare<VolumeRow, [string, number]>(
    db,
    `SELECT trader_id AS k, currency, count(*) AS n, sum(amount) AS amount, sum(amount_crypto) AS crypto
     FROM gateway_orders
     WHERE trader_id IN ${IDS}
       AND (completed_at >= ?2 OR (status IN ('assigned', 'customer_confirmed') AND assigned_at >= ?2))
     GROUP BY trader_id, currency`,
  ),
  teamPage: prepare<TraderEntityRow, [number, number, number]>(
    db,
    `SELECT ${TRADER_COLS} FROM gateway_traders t JOIN users u ON u.id = t.user_id
     WHERE t.teamlead_id = ?1 ORDER BY t.id LIMIT ?2 OFFSET ?3`,
  ),
  teamCount: prepare<{ n: number }, [number]>(
    db,
    "SELECT count(*) AS n FROM gateway_traders WHERE teamlead_id = ?1",
  ),
  teamTrader: prepare<TraderEntityRow, [number, number]>(
    db,
    `SELECT ${TRADER_COLS} FROM gateway_traders t JOIN users u ON u.id = t.user_id
     WHERE t.id = ?1 AND t.teamlead_id = ?2`,
  ),
  tradersPage: prepare<TraderEntityRow, [number, number]>(
    db,
    `SELECT ${TRADER_COLS} FROM gateway_traders t JOIN users u ON u.id = t.user_id
     ORDER BY t.id LIMIT ?1 OFFSET ?2`,
  ),
  tradersCount: prepare<{ n: number }, []>(db, "SELECT count(*) AS n FROM gateway_traders"),
  // Team sizes and who is online now, per teamlead.
  teams: prepare<{ k: number; traders: number; online: number }, [string]>(
    db,
    `SELECT t.teamlead_id AS k, count(*) AS traders,
       sum(t.in_work = 1 AND t.traffic_enabled = 1 AND u.is_banned = 0) AS online
     FROM gateway_traders t JOIN users u ON u.id = t.user_id
     WHERE t.teamlead_id IN ${IDS} GROUP BY t.teamlead_id`,
  ),
  // Users of a role in the order users_role_created_idx keeps them (no sort).
  usersPage: prepare<EntityRow, [Role, number, number]>(
    db,
    "SELECT id, username FROM users WHERE role = ?1 ORDER BY created_at, id LIMIT ?2 OFFSET ?3",
  ),
  usersCount: prepare<{ n: number }, [Role]>(db, "SELECT count(*) AS n FROM users WHERE role = ?1"),
  storeCounts: prepare<{ k: number; n: number }, [string]>(
    db,
    `SELECT merchant_id AS k, count(*) AS n FROM gateway_stores WHERE merchant_id IN ${IDS} GROUP BY merchant_id`,
  ),
  // Support's decisions from the audit log: audit_actor_idx per support user.
  decisions: prepare<
    { k: number; action: string; from_status: string | null; n: number },
    [string, number, number]
  >(
    db,
    `SELECT actor_id AS k, action, json_extract(details, '$.from') AS from_status, count(*) AS n FROM audit_log
     WHERE actor_id IN ${IDS}
       AND action IN ('gateway.order.completed', 'gateway.order.cancelled', 'gateway.order.review_allowed', 'gateway.order.failed')
       AND created_at BETWEEN ?2 AND ?3
     GROUP BY actor_id, action, from_status`,
  ),
  // Ledger balances: ledger_accounts_owner_uq (owner_type leads it).
  holdings: prepare<{ owner_type: string; kind: string; total: number }, []>(
    db,
    `SELECT owner_type, kind, sum(balance) AS total FROM ledger_accounts
     WHERE owner_type IN ('store', 'trader') AND kind IN ('available', 'held') AND currency = 'USDT'
     GROUP BY owner_type, kind`,
  ),
  revenue: prepare<{ currency: string; amount: number }, []>(
    db,
    `SELECT currency, balance AS amount FROM ledger_accounts
     WHERE owner_type = 'platform' AND owner_id = 'platform' AND kind = 'revenue' ORDER BY currency`,
  ),
}));

// ---------- folding rows into figures ----------

export type Volume = {
  count: number;
  amount_crypto: number;
  by_currency: { currency: string; count: number; amount: number }[];
};

function volumeOf(rows: { currency: string; n: number; amount: number; crypto: number }[]): Volume {
  const by = new Map<string, { currency: string; count: number; amount: number }>();
  let count = 0;
  let crypto = 0;
  for (const r of rows) {
    count += r.n;
    crypto += r.crypto;
    const c = by.get(r.currency) ?? { currency: r.currency, count: 0, amount: 0 };
    c.count += r.n;
    c.amount += r.amount;
    by.set(r.currency, c);
  }
  const by_currency = [...by.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1));
  return { count, amount_crypto: crypto, by_currency };
}

export type Figures = {
  orders: { total: number; by_status: Record<GatewayOrderStatus, number> };
  completed: Volume;
  conversion: number | null;
  avg_confirm_seconds: number | null;
};

/** Orders by status, the completed volume, conversion (completed / all counted) and time to confirm. */
export function figuresOf(rows: AggRow[]): Figures {
  const by_status = Object.fromEntries(GATEWAY_ORDER_STATUSES.map((s) => [s, 0])) as Record<
    GatewayOrderStatus,
    number
  >;
  let total = 0;
  let confirmMs = 0;
  let confirmed = 0;
  for (const r of rows) {
    by_status[r.status] += r.n;
    total += r.n;
    confirmMs += r.confirm_ms ?? 0;
    confirmed += r.confirmed;
  }
  const completed = volumeOf(rows.filter((r) => r.status === "completed"));
  return {
    orders: { total, by_status },
    completed,
    conversion: total === 0 ? null : Math.round((completed.count / total) * 10_000) / 10_000,
    avg_confirm_seconds: confirmed === 0 ? null : Math.round(confirmMs / confirmed / 1000),
  };
}

const groupBy = <R extends { k: number }>(rows: R[]) => {
  const m = new Map<number, R[]>();
  for (const r of rows) m.set(r.k, [...(m.get(r.k) ?? []), r]);
  return m;
};

const figuresBy = (rows: AggRow[], ids: number[]) => {
  const g = groupBy(rows);
  return new Map(ids.map((id) => [id, figuresOf(g.get(id) ?? [])]));
};

const json = (ids: number[]) => JSON.stringify(ids);

export const traderFigures = (db: Queryable, ids: number[], p: Period) =>
  figuresBy(stmts(db).byTraders.all(json(ids), ...bounds(p)), ids);

export const teamFigures = (db: Queryable, teamleadIds: number[], p: Period) =>
  figuresBy(stmts(db).byTeamleads.all(json(teamleadIds), ...bounds(p)), teamleadIds);

export const merchantFigures = (db: Queryable, merchantIds: number[], p: Period) =>
  figuresBy(stmts(db).byMerchants.all(json(merchantIds), ...bounds(p)), merchantIds);

/** Today's (UTC) volume per trader: open orders assigned today and orders completed today. */
export function todayVolumes(db: Queryable, traderIds: number[], now: number) {
  const g = groupBy(stmts(db).today.all(json(traderIds), Math.floor(now / DAY) * DAY));
  return new Map(traderIds.map((id) => [id, volumeOf(g.get(id) ?? [])]));
}

// ---------- entities ----------

/** Selection routes to a trader who is in work, whose traffic is on and who is not banned. */
export const isOnline = (t: TraderEntityRow) =>
  t.in_work === 1 && t.traffic_enabled === 1 && t.is_banned === 0;

export function teamTradersPage(db: Queryable, teamleadId: number, q: PageQuery) {
  const s = stmts(db);
  return {
    total: s.teamCount.get(teamleadId)!.n,
    rows: s.teamPage.all(teamleadId, q.page_size, offset(q)),
  };
}

/** A trader of the teamlead's team, or undefined (another team's trader is not theirs to see). */
export const teamTrader = (db: Queryable, teamleadId: number, traderId: number) =>
  stmts(db).teamTrader.get(traderId, teamleadId) ?? undefined;

export function tradersPage(db: Queryable, q: PageQuery) {
  const s = stmts(db);
  return { total: s.tradersCount.get()!.n, rows: s.tradersPage.all(q.page_size, offset(q)) };
}

export function usersPage(db: Queryable, role: Role, q: PageQuery) {
  const s = stmts(db);
  return { total: s.usersCount.get(role)!.n, rows: s.usersPage.all(role, q.page_size, offset(q)) };
}

export function teamSizes(db: Queryable, teamleadIds: number[]) {
  const m = new Map(
    stmts(db)
      .teams.all(json(teamleadIds))
      .map((r) => [r.k, r]),
  );
  return new Map(
    teamleadIds.map((id) => [id, { traders: m.get(id)?.traders ?? 0, online: m.get(id)?.online ?? 0 }]),
  );
}

export function storeCounts(db: Queryable, merchantIds: number[]) {
  const m = new Map(
    stmts(db)
      .storeCounts.all(json(merchantIds))
      .map((r) => [r.k, r.n]),
  );
  return new Map(merchantIds.map((id) => [id, m.get(id) ?? 0]));
}

/**
 * Support's decisions in a period, from the audit rows their routes write: a dispute resolved is
 * a move from `disputed` (to completed or cancelled); a review allowed has its own row, a review
 * denied is the move from `review` to failed.
 */
export function supportDecisions(db: Queryable, supportIds: number[], p: Period) {
  const out = new Map(
    supportIds.map((id) => [
      id,
      {
        disputes_resolved: { total: 0, completed: 0, cancelled: 0 },
        reviews: { total: 0, allowed: 0, denied: 0 },
      },
    ]),
  );
  for (const r of stmts(db).decisions.all(json(supportIds), ...bounds(p))) {
    const d = out.get(r.k)!;
    if (r.from_status === "disputed" && r.action === "gateway.order.completed")
      d.disputes_resolved.completed += r.n;
    else if (r.from_status === "disputed" && r.action === "gateway.order.cancelled")
      d.disputes_resolved.cancelled += r.n;
    else if (r.action === "gateway.order.review_allowed") d.reviews.allowed += r.n;
    else if (r.from_status === "review" && r.action === "gateway.order.failed") d.reviews.denied += r.n;
  }
  for (const d of out.values()) {
    d.disputes_resolved.total = d.disputes_resolved.completed + d.disputes_resolved.cancelled;
    d.reviews.total = d.reviews.allowed + d.reviews.denied;
  }
  return out;
}

// ---------- money ----------

/** The platform's revenue per ledger currency, what stores and traders hold, and the gateway's clearing account. */
export function platformBalance(db: Queryable) {
  const s = stmts(db);
  const rows = s.holdings.all();
  const holding = (ownerType: string) => {
    const of = (kind: string) => rows.find((r) => r.owner_type === ownerType && r.kind === kind)?.total ?? 0;
    return { available: of("available"), held: of("held"), currency: USDT as typeof USDT };
  };
  return {
    revenue: s.revenue.all(),
    stores: holding("store"),
    traders: holding("trader"),
    clearing: { balance: balanceOf(db, gatewayClearing()), currency: USDT as typeof USDT },
  };
}
