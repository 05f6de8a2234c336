import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { write } from "../../../db/write";
import { validation } from "../../../lib/errors";
import type { AdminActor } from "../../accounts/admin";
import { audit } from "../audit";
import { redeliver, sendTestPing, serializeDelivery } from "./deliveries";
import {
  createEndpoint,
  deleteEndpoint,
  rotateEndpointSecret,
  serializeEndpoint,
  updateEndpoint,
  validatePatterns,
} from "./endpoints";
import { fanOutEvents } from "./fanout";
import type { WebhookCreate, WebhookPatch } from "./schemas";
import { invalidateFanout } from "./subscriptions";
import { checkWebhookUrl } from "./url-guard";

/** The admins' endpoints are the ones without an owner. */
const ADMIN = null;

/** 400 on the url's path unless the SSRF guard accepts it (DNS runs here, before any transaction). */
export async function assertWebhookUrl(ctx: AppContext, url: string, path = "json.url") {
  const check = await checkWebhookUrl(ctx, url);
  if (!check.ok) throw validation(path, check.reason);
}

/** One admin write: its audit row in the same transaction, the fan-out index dropped once it is over. */
function adminWrite<T>(
  ctx: AppContext,
  actor: AdminActor,
  fn: (tx: Tx) => {
    result: T;
    action: string;
    targetType?: string;
    targetId: number;
    details: Record<string, unknown>;
  },
): T {
  try {
    return write(ctx, (tx, now) => {
      // Events committed before this change are matched against the subscriptions they were committed under.
      fanOutEvents(ctx, tx);
      const r = fn(tx);
      audit(tx, now, {
        actorId: actor.id,
        action: r.action,
        targetType: r.targetType ?? "webhook_endpoint",
        targetId: r.targetId,
        details: r.details,
        ip: actor.ip,
        requestId: actor.requestId,
      });
      return r.result;
    });
  } finally {
    // A rolled-back write may have rebuilt the index with its own rows: rebuild from what committed.
    invalidateFanout(ctx);
  }
}

export async function adminCreateEndpoint(ctx: AppContext, actor: AdminActor, b: WebhookCreate) {
  validatePatterns(b.event_types);
  await assertWebhookUrl(ctx, b.url);
  return adminWrite(ctx, actor, (tx) => {
    const { endpoint, secret } = createEndpoint(ctx, tx, {
      url: b.url,
      eventTypes: b.event_types,
      description: b.description,
      enabled: b.enabled,
      owner: ADMIN,
      actorId: actor.id,
    });
    return {
      result: { ...serializeEndpoint(endpoint), secret },
      action: "webhook_endpoint.created",
      targetId: endpoint.id,
      details: { url: endpoint.url, event_types: endpoint.eventTypes, enabled: endpoint.enabled },
    };
  });
}

export async function adminUpdateEndpoint(ctx: AppContext, actor: AdminActor, id: number, b: WebhookPatch) {
  if (b.event_types !== undefined) validatePatterns(b.event_types);
  if (b.url !== undefined) await assertWebhookUrl(ctx, b.url);
  return adminWrite(ctx, actor, (tx) => {
    const { endpoint, changes } = updateEndpoint(
      ctx,
      tx,
      id,
      ADMIN,
      { url: b.url, eventTypes: b.event_types, description: b.description, enabled: b.enabled },
      actor.id,
    );
    return {
      result: serializeEndpoint(endpoint),
      action: "webhook_endpoint.updated",
      targetId: id,
      details: { changes },
    };
  });
}

export const adminDeleteEndpoint = (ctx: AppContext, actor: AdminActor, id: number) =>
  adminWrite(ctx, actor, (tx) => {
    const before = deleteEndpoint(ctx, tx, id, ADMIN, actor.id);
    return {
      result: undefined,
      action: "webhook_endpoint.deleted",
      targetId: id,
      details: { url: before.url, event_types: before.eventTypes },
    };
  });

export const adminRotateSecret = (ctx: AppContext, actor: AdminActor, id: number) =>
  adminWrite(ctx, actor, (tx) => {
    const { endpoint, secret } = rotateEndpointSecret(ctx, tx, id, ADMIN, actor.id);
    return {
      result: { ...serializeEndpoint(endpoint), secret },
      action: "webhook_endpoint.secret_rotated",
      targetId: id,
      details: {},
    };
  });

export const adminTestEndpoint = (ctx: AppContext, actor: AdminActor, id: number) =>
  adminWrite(ctx, actor, (tx) => {
    const d = sendTestPing(ctx, tx, id, ADMIN, actor.id);
    return {
      result: serializeDelivery(d),
      action: "webhook_endpoint.tested",
      targetId: id,
      details: { delivery_id: d.id, message_id: d.messageId },
    };
  });

export const adminRedeliver = (ctx: AppContext, actor: AdminActor, deliveryId: number) =>
  adminWrite(ctx, actor, (tx) => {
    const d = redeliver(ctx, tx, deliveryId, ADMIN, actor.id);
    return {
      result: serializeDelivery(d),
      action: "webhook_delivery.redelivered",
      targetType: "webhook_delivery",
      targetId: deliveryId,
      details: { endpoint_id: d.endpointId, message_id: d.messageId },
    };
  });
