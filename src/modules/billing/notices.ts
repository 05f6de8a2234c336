import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { billingNotices } from "../../db/schema";
import { DAY, iso } from "../../lib/time";
import { emit } from "../platform/events/service";
import type { Schedule } from "../platform/jobs/cron";
import { notify } from "../platform/notifications/service";
import { expireGrants } from "./grants";
import { expireHolds } from "./holds";

type NoticeKind = (typeof billingNotices.$inferInsert)["kind"];

/** "12 min 30 s" for people; the exact seconds travel in the notification data. */
export const humanSeconds = (s: number) => {
  const m = Math.floor(s / 60);
  const r = s % 60;
  if (!m) return `${r} s`;
  return r ? `${m} min ${r} s` : `${m} min`;
};

/** Claims (grant, kind) and notifies only when this run made the claim: each notice goes out once. */
function once(
  ctx: AppContext,
  tx: Tx,
  now: number,
  n: { userId: number; grantId: number; kind: NoticeKind; title: string; message: string; data: object },
) {
  const claimed = tx
    .insert(billingNotices)
    .values({ userId: n.userId, grantId: n.grantId, kind: n.kind, createdAt: now })
    .onConflictDoNothing()
    .returning({ id: billingNotices.id })
    .get();
  if (!claimed) return false;
  notify(ctx, tx, {
    userId: n.userId,
    type: n.kind,
    title: n.title,
    message: n.message,
    data: { grant_id: n.grantId, ...n.data },
  });
  return true;
}

const NOT_SENT = (kind: NoticeKind, grant = "g.id") =>
  `NOT EXISTS (SELECT 1 FROM billing_notices b WHERE b.grant_id = ${grant} AND b.kind = '${kind}')`;

/** Expired grants stay eligible for their notice this long (covers a scheduler that was down). */
const EXPIRED_LOOKBACK = 7 * DAY;

type GrantRef = { id: number; user_id: number; remaining_seconds: number; expires_at: number };

/**
 * One pass of the billing notices, in one write transaction. Balances never depend on it: reads
 * already ignore lapsed grants and holds; this only marks them and tells people.
 */
export function runBillingNotices(ctx: AppContext) {
  const now = ctx.clock.now();
  const noticeDays = ctx.settings.get("expiry_notice_days");
  const lowSeconds = ctx.settings.get("low_balance_seconds");
  const q = <R>(sql: string, ...args: number[]) => ctx.sqlite.query<R, number[]>(sql).all(...args);

  return ctx.db.transaction(
    (tx) => {
      const sent = { grant_expiring: 0, grant_expired: 0, low_balance: 0, balance_exhausted: 0 };
      const mark = (kind: NoticeKind, ok: boolean) => {
        if (ok) sent[kind]++;
      };

      // (b) lapsed grants become `expired`; the ones with seconds left get a notice.
      const expired = expireGrants(ctx, tx);
      for (const g of expired) {
        emit(tx, now, {
          type: "grant.expired",
          subjectType: "grant",
          subjectId: g.id,
          payload: { user_id: g.userId, unused_seconds: g.remainingSeconds },
        });
      }
      for (const g of q<GrantRef>(
        `SELECT g.id, g.user_id, g.remaining_seconds, g.expires_at FROM grants g
         WHERE g.status = 'expired' AND g.remaining_seconds > 0 AND g.expires_at > ? AND g.expires_at <= ?
           AND ${NOT_SENT("grant_expired")}
         ORDER BY g.expires_at, g.id`,
        now - EXPIRED_LOOKBACK,
        now,
      )) {
        mark(
          "grant_expired",
          once(ctx, tx, now, {
            userId: g.user_id,
            grantId: g.id,
            kind: "grant_expired",
            title: "Minutes expired",
            message: `${humanSeconds(g.remaining_seconds)} of unused minutes expired on ${iso(g.expires_at)}.`,
            data: { remaining_seconds: g.remaining_seconds, expires_at: iso(g.expires_at) },
          }),
        );
      }

      // (a) grants with seconds left that expire within `expiry_notice_days`.
      if (noticeDays > 0) {
        for (const g of q<GrantRef>(
          `SELECT g.id, g.user_id, g.remaining_seconds, g.expires_at FROM grants g
           WHERE g.status = 'active' AND g.remaining_seconds > 0 AND g.expires_at > ? AND g.expires_at <= ?
             AND ${NOT_SENT("grant_expiring")}
           ORDER BY g.expires_at, g.id`,
          now,
          now + noticeDays * DAY,
        )) {
          mark(
            "grant_expiring",
            once(ctx, tx, now, {
              userId: g.user_id,
              grantId: g.id,
              kind: "grant_expiring",
              title: "Minutes expire soon",
              message: `${humanSeconds(g.remaining_seconds)} of your minutes expire on ${iso(g.expires_at)}. Use them before then.`,
              data: { remaining_seconds: g.remaining_seconds, expires_at: iso(g.expires_at) },
            }),
          );
        }
      }

      // (c) spendable now (freeSeconds: active unexpired grants minus open holds) above 0 and under
      // the threshold; keyed to the newest active grant, so a new purchase re-arms the notice.
      if (lowSeconds > 0) {
        for (const u of q<{ user_id: number; free: number; grant_id: number }>(
          `WITH spend AS (
             SELECT user_id, SUM(remaining_seconds) AS s FROM grants
             WHERE status = 'active' AND expires_at > ?1 GROUP BY user_id),
           held AS (
             SELECT user_id, SUM(remaining_seconds) AS s FROM holds
             WHERE status = 'open' AND expires_at > ?1 GROUP BY user_id),
           bal AS (
             SELECT spend.user_id, MAX(0, spend.s - COALESCE(held.s, 0)) AS free
             FROM spend LEFT JOIN held ON held.user_id = spend.user_id)
           SELECT bal.user_id, bal.free,
             (SELECT g.id FROM grants g WHERE g.user_id = bal.user_id AND g.status = 'active'
                AND g.expires_at > ?1 ORDER BY g.purchased_at DESC, g.id DESC LIMIT 1) AS grant_id
           FROM bal WHERE bal.free > 0 AND bal.free < ?2 ORDER BY bal.user_id`,
          now,
          lowSeconds,
        )) {
          mark(
            "low_balance",
            once(ctx, tx, now, {
              userId: u.user_id,
              grantId: u.grant_id,
              kind: "low_balance",
              title: "Low minute balance",
              message: `You have ${humanSeconds(u.free)} left.`,
              data: { remaining_seconds: u.free, threshold_seconds: lowSeconds },
            }),
          );
        }
      }

      // (d) nothing spendable and the user's newest grant was used up: the balance ran out by use
      // since the last such notice (a newer grant re-arms it; one that expires unused gets (b)).
      for (const u of q<{ user_id: number; grant_id: number }>(
        `SELECT g.user_id, g.id AS grant_id FROM grants g
         WHERE g.status = 'exhausted'
           AND NOT EXISTS (SELECT 1 FROM grants n WHERE n.user_id = g.user_id
             AND (n.purchased_at > g.purchased_at OR (n.purchased_at = g.purchased_at AND n.id > g.id)))
           AND ${NOT_SENT("balance_exhausted")}
           AND MAX(0,
             (SELECT COALESCE(SUM(a.remaining_seconds), 0) FROM grants a
               WHERE a.user_id = g.user_id AND a.status = 'active' AND a.expires_at > ?1)
             - (SELECT COALESCE(SUM(h.remaining_seconds), 0) FROM holds h
               WHERE h.user_id = g.user_id AND h.status = 'open' AND h.expires_at > ?1)) = 0
         ORDER BY g.user_id`,
        now,
      )) {
        mark(
          "balance_exhausted",
          once(ctx, tx, now, {
            userId: u.user_id,
            grantId: u.grant_id,
            kind: "balance_exhausted",
            title: "Minutes used up",
            message: "You have no minutes left. Buy a package to keep going.",
            data: { remaining_seconds: 0 },
          }),
        );
      }

      return { expired_grants: expired.length, ...sent };
    },
    { behavior: "immediate" },
  );
}

/** Marks lapsed holds expired (reads already ignore them), with one event per pass that changed any. */
export function runHoldsExpiry(ctx: AppContext) {
  const now = ctx.clock.now();
  return ctx.db.transaction(
    (tx) => {
      const n = expireHolds(ctx);
      if (n) emit(tx, now, { type: "holds.expired", subjectType: "hold", payload: { count: n } });
      return { expired_holds: n };
    },
    { behavior: "immediate" },
  );
}

/** Billing schedules: expiry and balance notices, hold and grant expiry. */
export const BILLING_SCHEDULES: Schedule[] = [
  {
    name: "billing-notices",
    pattern: "*/10 * * * *",
    description:
      "Expire lapsed grants; notify grants expiring soon, expired with seconds left, low balances and used-up balances (each once per grant and kind)",
    run: runBillingNotices,
  },
  {
    name: "holds-expiry",
    pattern: "* * * * *",
    description: "Mark minute holds whose TTL passed as expired",
    run: runHoldsExpiry,
  },
];
