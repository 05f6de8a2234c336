import type { Queryable } from "../../db/client";
import { prepare, preparedPer } from "../../db/prepared";
import { NEGATIVE_REVIEW_FLAGS } from "../../db/schema";
import { HOUR } from "../../lib/time";
import type { ClientInputs, ExpertInputs } from "./formulas";

/**
 * The score inputs counted from the source tables (orders, reviews) for the users whose ids lie in
 * [lo, hi]: one grouped query per figure, each a range scan of an index that starts with the user
 * id (orders_client_created_idx, orders_expert_status_created_idx, reviews_target_idx). The nightly
 * rebuild reads thousands of users per call; the live upkeep uses it for one user ([id, id]) when
 * that user has no stats row yet.
 */

const NEGATIVE_SQL = NEGATIVE_REVIEW_FLAGS.map((f) => `'${f}'`).join(", ");

type ClientOrderRow = { id: number; total: number; cancelled: number; completed: number };
type ReviewRow = { id: number; n: number; rating_sum: number; negative: number };
type ExpertOrderRow = {
  id: number;
  taken: number;
  completed: number;
  failed: number;
  breached: number;
  take_ms: number;
};
export type UserRow = {
  id: number;
  role: string;
  created_at: number;
  has_profile: number;
  has_client_row: number;
  has_expert_row: number;
};

const stmts = preparedPer((db) => ({
  users: prepare<UserRow, [number, number]>(
    db,
    `SELECT u.id, u.role, u.created_at,
       EXISTS (SELECT 1 FROM expert_profiles p WHERE p.user_id = u.id) AS has_profile,
       EXISTS (SELECT 1 FROM client_stats c WHERE c.user_id = u.id) AS has_client_row,
       EXISTS (SELECT 1 FROM expert_stats e WHERE e.user_id = u.id) AS has_expert_row
     FROM users u WHERE u.id BETWEEN ? AND ?`,
  ),
  clientOrders: prepare<ClientOrderRow, [number, number]>(
    db,
    `SELECT client_id AS id, count(*) AS total,
       sum(status = 'cancelled') AS cancelled, sum(status = 'completed') AS completed
     FROM orders WHERE client_id BETWEEN ? AND ? GROUP BY client_id`,
  ),
  // Published reviews only, as everywhere ratings are shown.
  clientReviews: prepare<ReviewRow, [number, number]>(
    db,
    `SELECT r.target_id AS id, count(*) AS n, sum(r.rating) AS rating_sum,
       sum((SELECT count(*) FROM json_each(r.flags) j WHERE j.value IN (${NEGATIVE_SQL}))) AS negative
     FROM reviews r
     WHERE r.target_id BETWEEN ? AND ? AND r.direction = 'expert_to_client' AND r.is_published = 1
     GROUP BY r.target_id`,
  ),
  // A breach counts against the expert only if it happened while the order was theirs (an order
  // can pass its deadline while still new, before anyone took it). A refund ends an order cancelled.
  expertOrders: prepare<ExpertOrderRow, [number, number]>(
    db,
    `SELECT expert_id AS id, count(*) AS taken,
       sum(status = 'completed') AS completed, sum(status = 'cancelled') AS failed,
       sum(sla_breached_at IS NOT NULL AND sla_breached_at > taken_at) AS breached,
       coalesce(sum(taken_at - created_at), 0) AS take_ms
     FROM orders WHERE expert_id BETWEEN ? AND ? GROUP BY expert_id`,
  ),
  expertReviews: prepare<Omit<ReviewRow, "negative">, [number, number]>(
    db,
    `SELECT target_id AS id, count(*) AS n, sum(rating) AS rating_sum
     FROM reviews
     WHERE target_id BETWEEN ? AND ? AND direction = 'client_to_expert' AND is_published = 1
     GROUP BY target_id`,
  ),
}));

const byId = <T extends { id: number }>(rows: T[]) => new Map(rows.map((r) => [r.id, r]));

/** Everything the rebuild needs about the users in [lo, hi]. */
export function sourcesIn(db: Queryable, lo: number, hi: number) {
  const s = stmts(db);
  const clientOrders = byId(s.clientOrders.all(lo, hi));
  const clientReviews = byId(s.clientReviews.all(lo, hi));
  const expertOrders = byId(s.expertOrders.all(lo, hi));
  const expertReviews = byId(s.expertReviews.all(lo, hi));
  return {
    users: s.users.all(lo, hi),
    client(id: number): ClientInputs {
      const o = clientOrders.get(id);
      const r = clientReviews.get(id);
      return {
        ordersTotal: o?.total ?? 0,
        ordersCancelled: o?.cancelled ?? 0,
        ordersCompleted: o?.completed ?? 0,
        negativeFlags: r?.negative ?? 0,
        reviewsReceived: r?.n ?? 0,
        ratingSum: r?.rating_sum ?? 0,
      };
    },
    hasClientOrders: (id: number) => clientOrders.has(id),
    expert(id: number): ExpertInputs {
      const o = expertOrders.get(id);
      const r = expertReviews.get(id);
      return {
        reviewsCount: r?.n ?? 0,
        ratingSum: r?.rating_sum ?? 0,
        ordersTaken: o?.taken ?? 0,
        ordersCompleted: o?.completed ?? 0,
        ordersFailed: o?.failed ?? 0,
        slaBreaches: o?.breached ?? 0,
        takeHoursSum: (o?.take_ms ?? 0) / HOUR,
      };
    },
    hasTakenOrders: (id: number) => expertOrders.has(id),
  };
}
