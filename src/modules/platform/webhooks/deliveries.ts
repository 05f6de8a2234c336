import { and, desc, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import { webhookDeliveries, webhookEndpoints } from "../../../db/schema";
import { conflict, notFound } from "../../../lib/errors";
import { type PageQuery, pageOf } from "../../../lib/pagination";
import { iso, isoOrNull } from "../../../lib/time";
import { emit } from "../events/service";
import { type EndpointOwner, loadEndpoint, ownerFilter } from "./endpoints";
import { newMessageId } from "./secrets";

/**
 * Deliveries sent at once and recorded in one commit by the job worker. One slow receiver delays
 * its batch's outcomes up to webhook_timeout_seconds, so a batch is small.
 */
export const WEBHOOK_CONCURRENCY = 32;

export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export const DELIVERY_STATUSES = ["pending", "succeeded", "failed"] as const;

export const serializeDelivery = (d: DeliveryRow) => ({
  id: d.id,
  endpoint_id: d.endpointId,
  message_id: d.messageId,
  event_id: d.eventId,
  event_type: d.eventType,
  status: d.status,
  attempts: d.attempts,
  last_status_code: d.lastStatusCode,
  last_error: d.lastError,
  last_duration_ms: d.lastDurationMs,
  created_at: iso(d.createdAt),
  updated_at: iso(d.updatedAt),
  delivered_at: isoOrNull(d.deliveredAt),
});

// Written for every delivery (fan-out, merchant callbacks): prepared once per connection.
const stmts = preparedPer((db) => ({
  insert: prepare<{ id: number }, [number, string, number | null, string, string, number]>(
    db,
    `INSERT INTO webhook_deliveries (endpoint_id, message_id, event_id, event_type, payload, status, attempts,
       next_attempt_at, round_attempts, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, 0, ?6, ?6)
     ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id`,
  ),
  endpoint: prepare<{ enabled: number; deleted_at: number | null }, [number]>(
    db,
    "SELECT enabled, deleted_at FROM webhook_endpoints WHERE id = ?",
  ),
  existing: prepare<{ id: number; message_id: string }, [number, number]>(
    db,
    "SELECT id, message_id FROM webhook_deliveries WHERE endpoint_id = ? AND event_id = ?",
  ),
}));

export type DeliveryInput = {
  type: string;
  /** What receivers get as `data` in the body `{type, timestamp, data}`: an object, or its JSON. */
  payload: Record<string, unknown> | string;
  /** One delivery per endpoint and event: the same event again returns the first delivery. */
  eventId?: number | null;
};

/**
 * Writes a pending delivery, due now, in the caller's transaction: the row is its own durable job,
 * which the worker sends after the commit.
 */
export function insertDelivery(
  ctx: AppContext,
  tx: Tx,
  endpointId: number,
  d: DeliveryInput,
): { id: number; messageId: string; created: boolean } {
  const s = stmts(tx);
  const messageId = newMessageId();
  const eventId = d.eventId ?? null;
  const payload = typeof d.payload === "string" ? d.payload : JSON.stringify(d.payload);
  const row = s.insert.get(endpointId, messageId, eventId, d.type, payload, ctx.clock.now());
  if (!row) {
    const prev = s.existing.get(endpointId, eventId!)!;
    return { id: prev.id, messageId: prev.message_id, created: false };
  }
  ctx.jobs.wake();
  return { id: row.id, messageId, created: true };
}

/**
 * Delivers `{type, timestamp, data: payload}` to one endpoint (e.g. a store's callback), signed,
 * with retries, in the caller's transaction. A disabled or deleted endpoint gets nothing: the
 * answer is null.
 */
export function enqueueDelivery(
  ctx: AppContext,
  tx: Tx,
  endpointId: number,
  d: DeliveryInput,
): { id: number; messageId: string } | null {
  const ep = stmts(tx).endpoint.get(endpointId);
  if (!ep) throw new Error(`webhook endpoint ${endpointId} does not exist`);
  if (!ep.enabled || ep.deleted_at !== null) return null;
  const { id, messageId } = insertDelivery(ctx, tx, endpointId, d);
  return { id, messageId };
}

export function listDeliveries(
  ctx: AppContext,
  endpointId: number,
  owner: EndpointOwner,
  q: PageQuery & { status?: (typeof DELIVERY_STATUSES)[number] },
) {
  loadEndpoint(ctx.db, endpointId, owner);
  const where = and(
    eq(webhookDeliveries.endpointId, endpointId),
    q.status ? eq(webhookDeliveries.status, q.status) : undefined,
  );
  const { total, rows } = pageOf(ctx.db, webhookDeliveries, where, q, desc(webhookDeliveries.id));
  return { total, results: rows.map(serializeDelivery) };
}

/** A delivery of one of this owner's live endpoints. */
function loadDelivery(tx: Tx, id: number, owner: EndpointOwner) {
  const row = tx
    .select({ d: webhookDeliveries, enabled: webhookEndpoints.enabled })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(and(eq(webhookDeliveries.id, id), ownerFilter(owner), isNull(webhookEndpoints.deletedAt)))
    .get();
  if (!row) throw notFound("webhook delivery");
  return row;
}

/**
 * Sends a finished delivery again, same message id (receivers deduplicate on `webhook-id`), with
 * a fresh round of attempts. A pending one is already on its way: 409.
 */
export function redeliver(ctx: AppContext, tx: Tx, id: number, owner: EndpointOwner, actorId: number | null) {
  const { d, enabled } = loadDelivery(tx, id, owner);
  if (!enabled) throw conflict("the endpoint is disabled; enable it first");
  if (d.status === "pending") throw conflict("the delivery is still pending", { status: d.status });
  const now = ctx.clock.now();
  const row = tx
    .update(webhookDeliveries)
    .set({ status: "pending", nextAttemptAt: now, roundAttempts: 0, updatedAt: now })
    .where(eq(webhookDeliveries.id, id))
    .returning()
    .get();
  ctx.jobs.wake();
  emit(tx, now, {
    type: "webhook_delivery.redelivered",
    actorId,
    subjectType: "webhook_delivery",
    subjectId: id,
    payload: { endpoint_id: d.endpointId, message_id: d.messageId, previous_status: d.status },
  });
  return row;
}

/** A `webhook.test` event delivered to this endpoint only. */
export function sendTestPing(
  ctx: AppContext,
  tx: Tx,
  endpointId: number,
  owner: EndpointOwner,
  actorId: number | null,
) {
  const ep = loadEndpoint(tx, endpointId, owner);
  if (!ep.enabled) throw conflict("the endpoint is disabled; enable it first");
  const now = ctx.clock.now();
  const payload = { endpoint_id: endpointId, message: "A test ping from souk" };
  const eventId = emit(tx, now, {
    type: "webhook.test",
    actorId,
    subjectType: "webhook_endpoint",
    subjectId: endpointId,
    payload,
  });
  const data = {
    id: eventId,
    type: "webhook.test",
    actor_id: actorId,
    subject_type: "webhook_endpoint",
    subject_id: String(endpointId),
    payload,
    created_at: iso(now),
  };
  const { id } = insertDelivery(ctx, tx, endpointId, { type: "webhook.test", payload: data, eventId });
  return tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).get()!;
}
