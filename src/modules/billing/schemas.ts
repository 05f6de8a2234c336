import { z } from "@hono/zod-openapi";

export const UsageBody = z
  .strictObject({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\x21-\x7e]+$/, "visible ASCII, no spaces"),
    seconds: z
      .number()
      .int("whole seconds")
      .positive()
      .max(7 * 24 * 3600),
    service: z.string().min(1).max(64).optional(),
    occurred_at: z.iso.datetime().optional(),
    hold_id: z.number().int().positive().optional(),
  })
  .openapi("UsageRecordBody", {
    example: {
      id: "call-7f3a9c",
      seconds: 95,
      service: "transcription",
      occurred_at: "2030-06-01T10:15:00Z",
    },
  });

export const UsageResultSchema = z
  .object({
    id: z.string(),
    seconds: z.number().int(),
    billed_seconds: z.number().int(),
    remaining_seconds: z.number().int(),
    allocations: z.array(z.object({ grant_id: z.number().int(), seconds: z.number().int() })),
  })
  .openapi("UsageResult");

export const BatchBody = z
  .strictObject({ events: z.array(z.unknown()).min(1).max(100) })
  .openapi("UsageBatchBody", {
    description: "Up to 100 usage records, each shaped like UsageRecordBody",
    example: {
      events: [
        { id: "call-7f3a9c", seconds: 95, service: "transcription" },
        { id: "call-7f3a9d", seconds: 40, service: "transcription" },
      ],
    },
  });

const ItemError = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export const BatchResult = z
  .object({
    results: z.array(
      z.object({
        id: z.string().nullable(),
        status: z.number().int(),
        result: UsageResultSchema.optional(),
        error: ItemError.optional(),
      }),
    ),
    recorded: z.number().int(),
    replayed: z.number().int(),
    failed: z.number().int(),
  })
  .openapi("UsageBatchResult");

export const HoldBody = z
  .strictObject({
    seconds: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 3600),
    ttl_seconds: z.number().int().min(10).max(86400).optional(),
  })
  .openapi("HoldBody", { example: { seconds: 600, ttl_seconds: 900 } });

export const HoldSchema = z
  .object({
    id: z.number().int(),
    seconds: z.number().int().openapi({ description: "Reserved when the hold was made" }),
    consumed_seconds: z.number().int().openapi({ description: "Billed against the hold so far" }),
    remaining_seconds: z
      .number()
      .int()
      .openapi({ description: "Still reserved (returned to the balance on release or expiry)" }),
    status: z.enum(["open", "released", "expired"]),
    expires_at: z.string(),
    created_at: z.string(),
  })
  .openapi("Hold");

export const BalanceSchema = z
  .object({
    remaining_seconds: z.number().int(),
    remaining_minutes: z.number().int(),
    held_seconds: z.number().int(),
    grants: z.array(
      z.object({
        id: z.number().int(),
        package_id: z.number().int().nullable(),
        remaining_seconds: z.number().int(),
        total_seconds: z.number().int(),
        purchased_at: z.string(),
        expires_at: z.string(),
        status: z.string(),
      }),
    ),
    wallet: z.object({ available: z.number().int(), held: z.number().int(), currency: z.string() }),
  })
  .openapi("MinuteBalance");

export const UsageHistoryItem = z
  .object({
    id: z.string(),
    seconds: z.number().int(),
    billed_seconds: z.number().int(),
    service: z.string().nullable(),
    occurred_at: z.string().nullable(),
    hold_id: z.number().int().nullable(),
    created_at: z.string(),
  })
  .openapi("UsageHistoryItem");
