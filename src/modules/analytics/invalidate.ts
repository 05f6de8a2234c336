import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { prepare, preparedPer } from "../../db/prepared";
import type { EmittedEvent } from "../platform/events/service";
import { cacheOf, type FigureCache } from "./cache";

/** Events that change a platform user figure: total, students, mentors, verified. */
const USER_FIGURE_EVENTS = new Set([
  "user.registered",
  "user.email_verified",
  // An email change takes the verification away.
  "user.profile_updated",
  "user.role_changed",
  "expert_application.approved",
]);
/** Order events that change no count, status or money (the chat). */
const CHAT_EVENTS = new Set(["order.message_sent", "order.message_deleted", "order.messages_read"]);

const stmts = preparedPer((db) => ({
  order: prepare<{ kind: string; client_id: number | null }, [number]>(
    db,
    "SELECT kind, client_id FROM orders WHERE id = ?",
  ),
}));

const positive = (v: unknown) => typeof v === "number" && v > 0;

/** Purchase and order events whose transfers reach or leave the platform revenue account. */
function movesRevenue(e: EmittedEvent): boolean {
  const p = e.payload;
  if (e.type === "purchase.succeeded") return p.kind === "package" && positive(p.amount);
  if (e.type === "purchase.refunded") return true;
  // Order settlements and paid course enrollments carry the commission they credited.
  return positive(p.commission);
}

function onOrderEvent(tx: Tx, cache: FigureCache, e: EmittedEvent) {
  if (e.type === "order.review_created") {
    cache.drop("platform");
    return;
  }
  const id = e.subjectId ? Number(e.subjectId) : Number.NaN;
  // An order event always names its order; should one not, sessions are recomputed rather than missed.
  const o = Number.isSafeInteger(id) ? stmts(tx).order.get(id) : { kind: "session", client_id: null };
  if (o?.kind !== "session") return;
  cache.drop("sessions");
  cache.drop("platform");
  // Completing (or un-completing) a session changes its client's sessions_attended.
  if (o.client_id != null) cache.drop("engagement", String(o.client_id));
}

/**
 * Clears the cached figures an event changes. It runs inside the emitting write transaction, and
 * every write transaction here is synchronous: no request can read between the change and this
 * clearing, so the first read after a committed change is a miss that sees it. A transaction that
 * rolls back after clearing only costs one extra computation.
 */
export function invalidateAnalytics(ctx: AppContext, tx: Tx, e: EmittedEvent) {
  const cache = cacheOf(ctx.sqlite);
  // Anything a user does can be their last activity; staff edits of a user reach them as subject.
  if (e.actorId != null) cache.drop("engagement", String(e.actorId));
  if (e.subjectType === "user" && e.subjectId != null) cache.drop("engagement", e.subjectId);

  if (USER_FIGURE_EVENTS.has(e.type)) cache.drop("platform");
  if (e.type === "user.registered") cache.drop("growth");
  if (e.type.startsWith("course.")) {
    cache.drop("courses", "all");
    if (e.subjectId != null) cache.drop("courses", e.subjectId);
    cache.drop("platform");
  }
  if (e.type.startsWith("order.") && !CHAT_EVENTS.has(e.type)) onOrderEvent(tx, cache, e);
  if (movesRevenue(e)) {
    cache.drop("revenue");
    cache.drop("platform");
  }
}
