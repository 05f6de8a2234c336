import { z } from "@hono/zod-openapi";
import { PageQuery } from "../../../lib/pagination";
import { DELIVERY_STATUSES } from "./deliveries";

const Url = z.string().trim().min(1).max(2048).openapi({ example: "https://hooks.example.com/souk" });
const EventTypes = z
  .array(z.string().min(1).max(100))
  .min(1)
  .max(50)
  .openapi({
    description: "Event types to deliver: exact (`order.created`), a prefix (`order.*`) or `*`",
    example: ["order.*", "purchase.succeeded"],
  });
const Description = z.string().trim().max(500);

export const WebhookEndpointSchema = z
  .object({
    id: z.number().int(),
    url: z.string(),
    description: z.string(),
    event_types: z.array(z.string()),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().openapi({ description: "Why souk switched it off (410 Gone)" }),
    created_by: z.number().int().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("WebhookEndpoint");

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().openapi({
    description: "The signing secret (`whsec_…`). Shown only in this answer: store it now.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw2NBRmn1wq1g=",
  }),
}).openapi("WebhookEndpointWithSecret");

export const WebhookCreateBody = z
  .strictObject({
    url: Url,
    event_types: EventTypes,
    description: Description.optional(),
    enabled: z.boolean().optional(),
  })
  .openapi("WebhookCreateBody", {
    example: { url: "https://hooks.example.com/souk", event_types: ["order.*"], description: "CRM sync" },
  });
export type WebhookCreate = z.infer<typeof WebhookCreateBody>;

export const WebhookPatchBody = z
  .strictObject({
    url: Url.optional(),
    event_types: EventTypes.optional(),
    description: Description.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((o) => Object.keys(o).length > 0, { message: "send at least one field to change" })
  .openapi("WebhookPatchBody", { example: { enabled: true } });
export type WebhookPatch = z.infer<typeof WebhookPatchBody>;

export const WebhookDeliverySchema = z
  .object({
    id: z.number().int(),
    endpoint_id: z.number().int(),
    message_id: z.string().openapi({ description: "The `webhook-id` header: the same on every attempt" }),
    event_id: z.number().int().nullable(),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_duration_ms: z.number().int().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .openapi("WebhookDelivery");

export const EndpointsQuery = PageQuery.extend({ enabled: z.enum(["true", "false"]).optional() }).strict();
export const DeliveriesQuery = PageQuery.extend({ status: z.enum(DELIVERY_STATUSES).optional() }).strict();
