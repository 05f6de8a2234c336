import { randomUUID } from "node:crypto";
import { and, desc, eq } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { gatewayRequisites, gatewayTraders, users } from "../../../db/schema";
import { write } from "../../../db/write";
import { conflict, forbidden, notFound, validation } from "../../../lib/errors";
import { pageOf } from "../../../lib/pagination";
import { iso } from "../../../lib/time";
import type { AdminActor } from "../../accounts/admin";
import { recordAdminAction } from "../../platform/audit";
import { emit } from "../../platform/events/service";
import { gatewayClearing, traderAvailable, traderHeld, usdtBalance } from "../money";
import { adminMoneyMove } from "../stores/service";
import type { DepositInput, TraderCreate, TraderPatch, TradersQuery } from "./schemas";

export type TraderRow = typeof gatewayTraders.$inferSelect;

export const serializeTrader = (t: TraderRow) => ({
  id: t.id,
  user_id: t.userId,
  teamlead_id: t.teamleadId,
  priority: t.priority,
  pay_in_bps: t.payInBps,
  pay_out_bps: t.payOutBps,
  in_work: t.inWork,
  traffic_enabled: t.trafficEnabled,
  created_at: iso(t.createdAt),
  updated_at: iso(t.updatedAt),
});

/** A trader's deposit: what pay-ins may hold from, and what open pay-ins hold. */
export const traderBalance = (db: Queryable, traderId: number) =>
  usdtBalance(db, traderAvailable(traderId), traderHeld(traderId));

const serializeAdminTrader = (db: Queryable, t: TraderRow) => ({
  ...serializeTrader(t),
  username: db.select({ u: users.username }).from(users).where(eq(users.id, t.userId)).get()?.u ?? null,
  balance: traderBalance(db, t.id),
});

function loadTrader(db: Queryable, id: number): TraderRow {
  const t = db.select().from(gatewayTraders).where(eq(gatewayTraders.id, id)).get();
  if (!t) throw notFound("trader");
  return t;
}

/** The caller's trader profile; a user an admin has not made a trader has none (403). */
export function ownTrader(db: Queryable, userId: number): TraderRow {
  const t = db.select().from(gatewayTraders).where(eq(gatewayTraders.userId, userId)).get();
  if (!t) throw forbidden("you have no trader profile: an admin has to make you a trader first");
  return t;
}

function assertTeamlead(db: Queryable, id: number) {
  const u = db.select({ role: users.role }).from(users).where(eq(users.id, id)).get();
  if (u?.role !== "teamlead")
    throw validation("json.teamlead_id", "must be the id of a user with the role teamlead");
}

const FIELDS = {
  teamleadId: "teamlead_id",
  priority: "priority",
  payInBps: "pay_in_bps",
  payOutBps: "pay_out_bps",
  inWork: "in_work",
  trafficEnabled: "traffic_enabled",
} as const satisfies Partial<Record<keyof TraderRow, string>>;
type Field = keyof typeof FIELDS;

/** The settings of a trader as the audit log shows them. */
const stateOf = (t: TraderRow) =>
  Object.fromEntries((Object.keys(FIELDS) as Field[]).map((k) => [FIELDS[k], t[k]]));

/**
 * Writes the changed fields of a trader with the event; when the priority changed, every one of
 * the trader's requisites gets it too (selection walks requisites in that order).
 */
function changeTrader(
  tx: Tx,
  now: number,
  before: TraderRow,
  set: Partial<Pick<TraderRow, Field>>,
): { after: TraderRow; changes: Record<string, { from: unknown; to: unknown }> } {
  const keys = (Object.keys(set) as Field[]).filter((k) => set[k] !== undefined && set[k] !== before[k]);
  if (keys.length === 0) return { after: before, changes: {} };
  const after = tx
    .update(gatewayTraders)
    .set({ ...Object.fromEntries(keys.map((k) => [k, set[k]])), updatedAt: now })
    .where(eq(gatewayTraders.id, before.id))
    .returning()
    .get();
  if (keys.includes("priority")) {
    tx.update(gatewayRequisites)
      .set({ traderPriority: after.priority })
      .where(eq(gatewayRequisites.traderId, before.id))
      .run();
  }
  const changes = Object.fromEntries(keys.map((k) => [FIELDS[k], { from: before[k], to: after[k] }]));
  return { after, changes };
}

/**
 * Makes a user a trader: a client gets the role `trader`; a trader without a profile keeps it;
 * any other role (staff, experts, merchants, partners) is refused, as is a second profile.
 */
export function createTrader(ctx: AppContext, actor: AdminActor, b: TraderCreate) {
  return write(ctx, (tx, now) => {
    const user = tx
      .select({ id: users.id, role: users.role })
      .from(users)
      .where(eq(users.id, b.user_id))
      .get();
    if (!user) throw notFound("user");
    if (user.role !== "client" && user.role !== "trader") {
      throw conflict(`only a client can be made a trader; this user is ${user.role}`, { role: user.role });
    }
    if (
      tx
        .select({ id: gatewayTraders.id })
        .from(gatewayTraders)
        .where(eq(gatewayTraders.userId, b.user_id))
        .get()
    ) {
      throw conflict("this user is a trader already", { user_id: b.user_id });
    }
    if (b.teamlead_id != null) assertTeamlead(tx, b.teamlead_id);
    if (user.role === "client") {
      tx.update(users).set({ role: "trader", updatedAt: now }).where(eq(users.id, user.id)).run();
      emit(tx, now, {
        type: "user.role_changed",
        actorId: actor.id,
        subjectType: "user",
        subjectId: user.id,
        payload: { role: "trader", granted_permissions: null },
      });
    }
    const trader = tx
      .insert(gatewayTraders)
      .values({
        userId: b.user_id,
        teamleadId: b.teamlead_id ?? null,
        priority: b.priority,
        payInBps: b.pay_in_bps,
        payOutBps: b.pay_out_bps,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    recordAdminAction(tx, now, actor, {
      action: "gateway.trader.created",
      targetType: "gateway_trader",
      targetId: trader.id,
      details: { user_id: user.id, role_before: user.role, after: stateOf(trader) },
      changed: true,
    });
    return serializeAdminTrader(tx, trader);
  });
}

export function listTraders(ctx: AppContext, q: TradersQuery) {
  const where = q.teamlead_id === undefined ? undefined : eq(gatewayTraders.teamleadId, q.teamlead_id);
  const { total, rows } = pageOf(ctx.db, gatewayTraders, where, q, desc(gatewayTraders.id));
  return { total, results: rows.map((t) => serializeAdminTrader(ctx.db, t)) };
}

export const adminTrader = (ctx: AppContext, id: number) =>
  serializeAdminTrader(ctx.db, loadTrader(ctx.db, id));

/** An admin's change of a trader, audited with before and after (the event only when something changed). */
export function updateTrader(ctx: AppContext, actor: AdminActor, id: number, b: TraderPatch) {
  return write(ctx, (tx, now) => {
    const before = loadTrader(tx, id);
    if (b.teamlead_id != null) assertTeamlead(tx, b.teamlead_id);
    const { after, changes } = changeTrader(tx, now, before, {
      teamleadId: b.teamlead_id,
      priority: b.priority,
      payInBps: b.pay_in_bps,
      payOutBps: b.pay_out_bps,
      inWork: b.in_work,
      trafficEnabled: b.traffic_enabled,
    });
    recordAdminAction(tx, now, actor, {
      action: "gateway.trader.updated",
      targetType: "gateway_trader",
      targetId: id,
      details: { before: stateOf(before), after: stateOf(after), changes },
      changed: Object.keys(changes).length > 0,
    });
    return serializeAdminTrader(tx, after);
  });
}

/**
 * Credits a trader's deposit from the gateway clearing account (USDT received outside souk), a
 * ledger `adjustment` audited with the balance before and after. The ledger key is the caller's
 * Idempotency-Key (scoped to the actor and the trader) or a fresh id: a retry never credits twice.
 */
export function depositToTrader(
  ctx: AppContext,
  actor: AdminActor,
  id: number,
  b: DepositInput,
  idempotencyKey?: string,
) {
  const key = `gateway-trader-deposit:${actor.id}:${id}:${idempotencyKey ?? randomUUID()}`;
  return write(ctx, (tx, now) => {
    loadTrader(tx, id);
    const { applied, ...move } = adminMoneyMove(ctx, tx, {
      from: gatewayClearing(),
      to: traderAvailable(id),
      measure: "to",
      amount: b.amount,
      note: b.note,
      kind: "adjustment",
      key,
      reference: { type: "gateway_trader", id },
      actorId: actor.id,
    });
    const result = { trader_id: id, ...move };
    if (applied) {
      recordAdminAction(tx, now, actor, {
        action: "gateway.trader.deposited",
        targetType: "gateway_trader",
        targetId: id,
        details: result,
        changed: true,
      });
    }
    return { result, applied };
  });
}

/** The trader's own switch: taking orders now or not. */
export function setInWork(ctx: AppContext, userId: number, inWork: boolean) {
  return write(ctx, (tx, now) => {
    const before = ownTrader(tx, userId);
    const { after, changes } = changeTrader(tx, now, before, { inWork });
    if (Object.keys(changes).length > 0) {
      emit(tx, now, {
        type: "gateway.trader.updated",
        actorId: userId,
        subjectType: "gateway_trader",
        subjectId: before.id,
        payload: { changes },
      });
    }
    return serializeTrader(after);
  });
}

/** A teamlead switches the traffic of a trader of their own team (another team's trader is not found). */
export function setTraffic(ctx: AppContext, actor: AdminActor, traderId: number, enabled: boolean) {
  return write(ctx, (tx, now) => {
    const before = tx
      .select()
      .from(gatewayTraders)
      .where(and(eq(gatewayTraders.id, traderId), eq(gatewayTraders.teamleadId, actor.id)))
      .get();
    if (!before) throw notFound("trader");
    const { after, changes } = changeTrader(tx, now, before, { trafficEnabled: enabled });
    recordAdminAction(tx, now, actor, {
      action: "gateway.trader.updated",
      targetType: "gateway_trader",
      targetId: traderId,
      details: { changes, traffic_enabled: enabled },
      changed: Object.keys(changes).length > 0,
    });
    return serializeTrader(after);
  });
}
