import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { prepare, preparedPer, sqliteOf } from "../../db/prepared";
import { NEGATIVE_REVIEW_FLAGS } from "../../db/schema";
import { HOUR } from "../../lib/time";
import type { EmittedEvent } from "../platform/events/service";
import type { ClientInputs, ExpertInputs } from "./formulas";
import { sourcesIn } from "./sources";
import { clientInputsOf, expertInputsOf, readClient, readExpert, writeClient, writeExpert } from "./store";

/**
 * Keeps `client_stats` and `expert_stats` current inside the transaction of each event that changes
 * an input. A stored row moves by the event's delta (a few point reads and one write, whatever the
 * user's history); a user without a row yet gets one counted from the source tables, which already
 * hold the change. The nightly rebuild recounts everything from the sources.
 */

type OrderRef = {
  client_id: number;
  expert_id: number | null;
  created_at: number;
  taken_at: number | null;
  sla_breached_at: number | null;
};

const stmts = preparedPer((db) => ({
  order: prepare<OrderRef, [number]>(
    db,
    "SELECT client_id, expert_id, created_at, taken_at, sla_breached_at FROM orders WHERE id = ?",
  ),
  // A few rows per order on events_subject_idx.
  earlierTake: prepare<{ id: number }, [string, number]>(
    db,
    `SELECT id FROM events WHERE subject_type = 'order' AND subject_id = ? AND type = 'order.take' AND id < ?
     LIMIT 1`,
  ),
}));

type ClientDelta = Partial<ClientInputs>;
type ExpertDelta = Partial<Omit<ExpertInputs, "takeHoursSum">> & { takeMs?: number };

const NEGATIVE = new Set<string>(NEGATIVE_REVIEW_FLAGS);

function add<T extends Record<string, number>>(base: T, delta: Partial<T>): T {
  const out = { ...base };
  for (const [k, v] of Object.entries(delta)) (out as Record<string, number>)[k] = (out[k] ?? 0) + (v ?? 0);
  return out;
}

/**
 * Moves the client's row by `delta` (an empty delta re-computes the risk at `now`: age moves with
 * time). `existingOnly` leaves a user without a row alone (a banned admin has no client risk).
 */
export function bumpClient(
  tx: Tx,
  userId: number,
  now: number,
  delta: ClientDelta = {},
  existingOnly = false,
) {
  const found = readClient(tx, userId);
  if (!found || (existingOnly && !found.row)) return;
  const inputs = found.row
    ? add(clientInputsOf(found.row), delta)
    : sourcesIn(tx, userId, userId).client(userId);
  writeClient(tx, userId, inputs, found.createdAt, now);
}

/** Moves the expert's row by `delta`; `recount` (or a missing row) counts it from the tables instead. */
export function bumpExpert(tx: Tx, userId: number, now: number, delta: ExpertDelta = {}, recount = false) {
  const row = recount ? undefined : readExpert(tx, userId);
  let inputs: ExpertInputs;
  if (row) {
    const { takeMs = 0, ...counts } = delta;
    inputs = add(expertInputsOf(row), counts);
    // Kept exact: the hours go back to whole milliseconds before the take is added, so the sum
    // equals the rebuild's sum(taken_at - created_at) / 3600000 bit for bit.
    if (takeMs) inputs.takeHoursSum = (Math.round(row.takeHoursSum * HOUR) + takeMs) / HOUR;
  } else {
    inputs = sourcesIn(tx, userId, userId).expert(userId);
  }
  writeExpert(tx, userId, inputs, now);
}

const is = (status: unknown, s: string) => (status === s ? 1 : 0);

/** A status change (any order action, a staff override): completions and cancellations move. */
function statusChanged(tx: Tx, e: EmittedEvent) {
  const { from, to } = e.payload;
  const cancelled = is(to, "cancelled") - is(from, "cancelled");
  const completed = is(to, "completed") - is(from, "completed");
  if (!cancelled && !completed) return;
  const o = orderOf(tx, e);
  if (!o) return;
  bumpClient(tx, o.client_id, e.createdAt, { ordersCancelled: cancelled, ordersCompleted: completed });
  if (o.expert_id != null) {
    bumpExpert(tx, o.expert_id, e.createdAt, { ordersFailed: cancelled, ordersCompleted: completed });
  }
}

const orderOf = (tx: Tx, e: EmittedEvent) =>
  e.subjectId == null ? undefined : (stmts(tx).order.get(Number(e.subjectId)) ?? undefined);

type Handler = (tx: Tx, e: EmittedEvent) => void;

const subjectUser = (e: EmittedEvent) =>
  e.subjectType === "user" && e.subjectId ? Number(e.subjectId) : null;

/** Event type -> what it changes. Every `order.*` event with `from` and `to` is a status change too. */
const HANDLERS: Record<string, Handler> = {
  // A new client has a score at once (25.00, medium).
  "user.registered": (tx, e) => {
    const id = subjectUser(e);
    if (id != null && e.payload.role === "client") bumpClient(tx, id, e.createdAt);
  },
  // Ban and unban refresh the client's risk (seed 001), as any look at the account should.
  "user.banned": (tx, e) => refreshClient(tx, e),
  "user.unbanned": (tx, e) => refreshClient(tx, e),
  "user.role_changed": (tx, e) => {
    const id = subjectUser(e);
    if (id == null) return;
    if (e.payload.role === "expert") bumpExpert(tx, id, e.createdAt);
    else if (e.payload.role === "client") bumpClient(tx, id, e.createdAt);
  },
  "expert_application.approved": (tx, e) => {
    const id = Number(e.payload.user_id);
    if (Number.isInteger(id) && id > 0) bumpExpert(tx, id, e.createdAt);
  },
  "order.created": (tx, e) => {
    const o = orderOf(tx, e);
    if (o) bumpClient(tx, o.client_id, e.createdAt, { ordersTotal: 1 });
  },
  "order.take": (tx, e) => {
    const o = orderOf(tx, e);
    if (!o || o.expert_id == null || o.taken_at == null) return;
    // Staff set the order back to new and its expert took it again: the take time (and so the
    // breaches that count) changed, and the earlier take is already counted. Rare: recount.
    if (stmts(tx).earlierTake.get(String(e.subjectId), e.id)) {
      bumpExpert(tx, o.expert_id, e.createdAt, {}, true);
      return;
    }
    // Like the rebuild: a breach counts only after the take (sla_breached_at > taken_at).
    const breached = o.sla_breached_at != null && o.sla_breached_at > o.taken_at ? 1 : 0;
    bumpExpert(tx, o.expert_id, e.createdAt, {
      ordersTaken: 1,
      slaBreaches: breached,
      takeMs: o.taken_at - o.created_at,
    });
  },
  "order.sla_breached": (tx, e) => {
    const o = orderOf(tx, e);
    if (o?.expert_id == null || o.taken_at == null || o.sla_breached_at == null) return;
    if (o.sla_breached_at > o.taken_at) bumpExpert(tx, o.expert_id, e.createdAt, { slaBreaches: 1 });
  },
  "order.review_created": (tx, e) => {
    const p = e.payload;
    const target = Number(p.target_id);
    const rating = Number(p.rating);
    if (!Number.isInteger(target) || !Number.isInteger(rating)) return;
    if (p.direction === "client_to_expert") {
      bumpExpert(tx, target, e.createdAt, { reviewsCount: 1, ratingSum: rating });
    } else if (p.direction === "expert_to_client") {
      const flags = Array.isArray(p.flags) ? p.flags : [];
      bumpClient(tx, target, e.createdAt, {
        reviewsReceived: 1,
        ratingSum: rating,
        negativeFlags: flags.filter((f) => NEGATIVE.has(String(f))).length,
      });
    }
  },
};

function refreshClient(tx: Tx, e: EmittedEvent) {
  const id = subjectUser(e);
  if (id != null) bumpClient(tx, id, e.createdAt, {}, true);
}

/**
 * The onEmit subscriber. A failure here is logged and leaves the scores to the nightly rebuild:
 * the user's order or review must not fail because a derived figure could not be written.
 */
export function scoringOnEmit(ctx: AppContext, tx: Tx, e: EmittedEvent) {
  const handler = HANDLERS[e.type];
  const statusChange = e.type.startsWith("order.") && typeof e.payload.to === "string" && "from" in e.payload;
  if (!handler && !statusChange) return;
  try {
    // A savepoint: a failure part-way leaves no half-updated stats row behind.
    sqliteOf(tx).transaction(() => {
      handler?.(tx, e);
      if (statusChange) statusChanged(tx, e);
    })();
  } catch (err) {
    ctx.logger.error({ err, event_id: e.id, event_type: e.type }, "score upkeep failed");
  }
}
