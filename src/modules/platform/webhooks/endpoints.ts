import { and, desc, eq, isNull, type SQL } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { webhookEndpoints } from "../../../db/schema";
import { notFound, validation } from "../../../lib/errors";
import { type PageQuery, pageOf } from "../../../lib/pagination";
import { iso } from "../../../lib/time";
import { emit } from "../events/service";
import { isValidEventPattern, listEventTypes, matchesEventPattern } from "../events/types";
import { isEngineEventType } from "./event-types";
import { newWebhookSecret, sealSecret } from "./secrets";
import { invalidateFanout } from "./subscriptions";

export type EndpointRow = typeof webhookEndpoints.$inferSelect;

/**
 * Who an endpoint belongs to: `null` for the admins' subscriptions (delivered by event pattern),
 * or a module's object, e.g. `{type: "store", id: 7}` for a gateway store's callbacks, which that
 * module enqueues itself with `enqueueDelivery`.
 */
export type EndpointOwner = { type: string; id: string | number } | null;

export type EndpointInput = {
  url: string;
  eventTypes: string[];
  description?: string;
  enabled?: boolean;
};

export const serializeEndpoint = (e: EndpointRow) => ({
  id: e.id,
  url: e.url,
  description: e.description,
  event_types: e.eventTypes,
  enabled: e.enabled,
  disabled_reason: e.disabledReason,
  created_by: e.createdBy,
  created_at: iso(e.createdAt),
  updated_at: iso(e.updatedAt),
});

export const ownerFilter = (owner: EndpointOwner): SQL =>
  owner === null
    ? isNull(webhookEndpoints.ownerType)
    : and(eq(webhookEndpoints.ownerType, owner.type), eq(webhookEndpoints.ownerId, String(owner.id)))!;

/**
 * Every pattern must be `*` or match a declared event type the engine delivers (its own
 * bookkeeping types are never delivered, so subscribing to them only is refused too).
 */
export function validatePatterns(patterns: string[], path = "json.event_types") {
  const seen = new Set<string>();
  patterns.forEach((p, i) => {
    if (seen.has(p)) throw validation(`${path}.${i}`, `duplicate event type ${p}`);
    seen.add(p);
    const deliverable =
      p === "*" ||
      (isValidEventPattern(p) &&
        listEventTypes().some((t) => !isEngineEventType(t.type) && matchesEventPattern(p, t.type)));
    if (!deliverable)
      throw validation(
        `${path}.${i}`,
        `unknown event type ${p} (see GET /api/v1/admin/event-types; patterns are exact, prefix.* or *)`,
      );
  });
}

/** An endpoint of this owner, not deleted; anything else (someone else's, unknown) is 404. */
export function loadEndpoint(db: Queryable, id: number, owner: EndpointOwner): EndpointRow {
  const row = db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), ownerFilter(owner), isNull(webhookEndpoints.deletedAt)))
    .get();
  if (!row) throw notFound("webhook endpoint");
  return row;
}

export function listEndpoints(
  ctx: AppContext,
  owner: EndpointOwner,
  q: PageQuery & { enabled?: "true" | "false" },
) {
  const where = and(
    ownerFilter(owner),
    isNull(webhookEndpoints.deletedAt),
    q.enabled === undefined ? undefined : eq(webhookEndpoints.enabled, q.enabled === "true"),
  );
  const { total, rows } = pageOf(ctx.db, webhookEndpoints, where, q, desc(webhookEndpoints.id));
  return { total, results: rows.map(serializeEndpoint) };
}

const eventOf = (e: EndpointRow) => ({
  url: e.url,
  description: e.description,
  event_types: e.eventTypes,
  enabled: e.enabled,
  owner_type: e.ownerType,
  owner_id: e.ownerId,
});

/**
 * Creates an endpoint in the caller's transaction and returns it with its secret (the only time
 * the secret is readable). Check the url first with `assertWebhookUrl` (DNS cannot run in a
 * transaction).
 */
export function createEndpoint(
  ctx: AppContext,
  tx: Tx,
  input: EndpointInput & { owner?: EndpointOwner; actorId?: number | null },
): { endpoint: EndpointRow; secret: string } {
  validatePatterns(input.eventTypes);
  const now = ctx.clock.now();
  const secret = newWebhookSecret();
  const owner = input.owner ?? null;
  const endpoint = tx
    .insert(webhookEndpoints)
    .values({
      url: input.url,
      description: input.description ?? "",
      eventTypes: input.eventTypes,
      enabled: input.enabled ?? true,
      secretSealed: sealSecret(ctx.jwtSecret, secret),
      ownerType: owner?.type ?? null,
      ownerId: owner === null ? null : String(owner.id),
      createdBy: input.actorId ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .get();
  emit(tx, now, {
    type: "webhook_endpoint.created",
    actorId: input.actorId ?? null,
    subjectType: "webhook_endpoint",
    subjectId: endpoint.id,
    payload: eventOf(endpoint),
  });
  invalidateFanout(ctx);
  return { endpoint, secret };
}

/** Changes url, patterns, description or state; turning an endpoint back on clears why it was off. */
export function updateEndpoint(
  ctx: AppContext,
  tx: Tx,
  id: number,
  owner: EndpointOwner,
  patch: Partial<EndpointInput>,
  actorId: number | null,
): { endpoint: EndpointRow; changes: Record<string, { from: unknown; to: unknown }> } {
  const before = loadEndpoint(tx, id, owner);
  if (patch.eventTypes !== undefined) validatePatterns(patch.eventTypes);
  const now = ctx.clock.now();
  const reenabled = patch.enabled === true && !before.enabled;
  const endpoint = tx
    .update(webhookEndpoints)
    .set({
      ...(patch.url !== undefined && { url: patch.url }),
      ...(patch.eventTypes !== undefined && { eventTypes: patch.eventTypes }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.enabled !== undefined && { enabled: patch.enabled }),
      ...(reenabled && { disabledReason: null }),
      updatedAt: now,
    })
    .where(eq(webhookEndpoints.id, id))
    .returning()
    .get();
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const a = eventOf(before);
  const b = eventOf(endpoint);
  for (const k of Object.keys(a) as (keyof typeof a)[]) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) changes[k] = { from: a[k], to: b[k] };
  }
  if (Object.keys(changes).length) {
    emit(tx, now, {
      type: "webhook_endpoint.updated",
      actorId,
      subjectType: "webhook_endpoint",
      subjectId: id,
      payload: { changes },
    });
    invalidateFanout(ctx);
  }
  return { endpoint, changes };
}

/** A new secret, returned once; deliveries from now on are signed with it only. */
export function rotateEndpointSecret(
  ctx: AppContext,
  tx: Tx,
  id: number,
  owner: EndpointOwner,
  actorId: number | null,
): { endpoint: EndpointRow; secret: string } {
  loadEndpoint(tx, id, owner);
  const now = ctx.clock.now();
  const secret = newWebhookSecret();
  const endpoint = tx
    .update(webhookEndpoints)
    .set({ secretSealed: sealSecret(ctx.jwtSecret, secret), updatedAt: now })
    .where(eq(webhookEndpoints.id, id))
    .returning()
    .get();
  emit(tx, now, {
    type: "webhook_endpoint.updated",
    actorId,
    subjectType: "webhook_endpoint",
    subjectId: id,
    payload: { secret_rotated: true },
  });
  return { endpoint, secret };
}

/** Soft delete (deliveries keep their endpoint); queued deliveries to it fail when their turn comes. */
export function deleteEndpoint(
  ctx: AppContext,
  tx: Tx,
  id: number,
  owner: EndpointOwner,
  actorId: number | null,
) {
  const before = loadEndpoint(tx, id, owner);
  const now = ctx.clock.now();
  tx.update(webhookEndpoints)
    .set({ deletedAt: now, enabled: false, updatedAt: now })
    .where(eq(webhookEndpoints.id, id))
    .run();
  emit(tx, now, {
    type: "webhook_endpoint.deleted",
    actorId,
    subjectType: "webhook_endpoint",
    subjectId: id,
    payload: eventOf(before),
  });
  invalidateFanout(ctx);
  return before;
}

/** A receiver answered 410 Gone: the endpoint is switched off with the reason, and nothing retries. */
export function disableEndpointGone(
  ctx: AppContext,
  tx: Tx,
  endpoint: { id: number; url: string },
  deliveryId: number,
) {
  const now = ctx.clock.now();
  const reason = `the receiver answered 410 Gone (delivery ${deliveryId}) at ${iso(now)}`;
  const changed = tx
    .update(webhookEndpoints)
    .set({ enabled: false, disabledReason: reason, updatedAt: now })
    .where(and(eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.enabled, true)))
    .returning({ id: webhookEndpoints.id })
    .all().length;
  if (!changed) return;
  emit(tx, now, {
    type: "webhook_endpoint.disabled",
    actorId: null,
    subjectType: "webhook_endpoint",
    subjectId: endpoint.id,
    payload: { reason, delivery_id: deliveryId, url: endpoint.url },
  });
  invalidateFanout(ctx);
}

/**
 * The endpoint a module's object (e.g. a store) delivers to at `url`, created on first use with the
 * object's own sealed secret, so every url of one owner verifies with one secret. The url must
 * have passed `checkWebhookUrl` (the engine checks it again at each delivery).
 */
export function ensureOwnedEndpoint(
  ctx: AppContext,
  tx: Tx,
  owner: NonNullable<EndpointOwner>,
  url: string,
  secretSealed: string,
  eventTypes: string[],
): number {
  const found = tx
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(ownerFilter(owner), eq(webhookEndpoints.url, url), isNull(webhookEndpoints.deletedAt)))
    .get();
  if (found) return found.id;
  const now = ctx.clock.now();
  const endpoint = tx
    .insert(webhookEndpoints)
    .values({
      url,
      description: `${owner.type} ${owner.id}`,
      eventTypes,
      enabled: true,
      secretSealed,
      ownerType: owner.type,
      ownerId: String(owner.id),
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .get();
  emit(tx, now, {
    type: "webhook_endpoint.created",
    subjectType: "webhook_endpoint",
    subjectId: endpoint.id,
    payload: eventOf(endpoint),
  });
  return endpoint.id;
}

/** A new secret for every endpoint of an owner (its secret was rotated). */
export function resealOwnedEndpoints(
  ctx: AppContext,
  tx: Tx,
  owner: NonNullable<EndpointOwner>,
  secretSealed: string,
) {
  tx.update(webhookEndpoints)
    .set({ secretSealed, updatedAt: ctx.clock.now() })
    .where(and(ownerFilter(owner), isNull(webhookEndpoints.deletedAt)))
    .run();
}
