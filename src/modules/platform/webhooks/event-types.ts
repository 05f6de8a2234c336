/**
 * Events of the webhook engine itself. They are never fanned out to webhook endpoints: a delivery
 * outcome that disables an endpoint would otherwise be delivered, and could disable the next one.
 */
export const WEBHOOK_EVENT_TYPES: Record<string, string> = {
  "webhook_endpoint.created": "An admin created a webhook endpoint",
  "webhook_endpoint.updated": "A webhook endpoint's url, event types, description, state or secret changed",
  "webhook_endpoint.deleted": "A webhook endpoint was deleted",
  "webhook_endpoint.disabled": "A receiver answered 410 Gone: its endpoint was disabled",
  "webhook_delivery.redelivered": "An admin sent a webhook delivery again",
  "webhook.test": "A test ping sent to one webhook endpoint",
};

const ENGINE_TYPES = new Set(Object.keys(WEBHOOK_EVENT_TYPES));

/** Whether an event belongs to the engine's own bookkeeping (and so is never delivered by pattern). */
export const isEngineEventType = (type: string) => ENGINE_TYPES.has(type);
