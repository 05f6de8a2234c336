import { z } from "@hono/zod-openapi";
import { ROLES } from "../../../db/schema";

export const FLAG_KEY_RE = /^[a-z][a-z0-9_.-]{0,63}$/;
/** How many users one flag may list; past that, a role or a rollout is the tool. */
export const MAX_FLAG_USER_IDS = 1000;

export const FlagKey = z
  .string()
  .regex(FLAG_KEY_RE, "a lowercase key: a letter, then up to 63 of a-z 0-9 _ . -")
  .openapi({ example: "new_checkout" });

export const FlagKeyParam = z.object({
  key: FlagKey.openapi({ param: { name: "key", in: "path" }, example: "new_checkout" }),
});

const Description = z.string().trim().max(500);
const Enabled = z.boolean();
const RolloutPercent = z
  .number()
  .int()
  .min(0)
  .max(100)
  .openapi({ description: "Share of users (by a stable per-user bucket) who get the flag", example: 25 });
const Roles = z
  .array(z.enum(ROLES))
  .max(ROLES.length * 2)
  .openapi({ description: "When not empty, only these roles can get the flag", example: ["expert"] });
const UserIds = z
  .array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER))
  .max(MAX_FLAG_USER_IDS)
  .openapi({ description: "Users who always get the flag while it is enabled", example: [42] });

export const FlagCreateBody = z
  .strictObject({
    key: FlagKey,
    description: Description.default(""),
    enabled: Enabled.default(false),
    rollout_percent: RolloutPercent.default(100),
    roles: Roles.default([]),
    user_ids: UserIds.default([]),
  })
  .openapi("FlagCreate", {
    example: {
      key: "new_checkout",
      description: "The new checkout page",
      enabled: true,
      rollout_percent: 25,
      roles: [],
      user_ids: [42],
    },
  });
export type FlagCreate = z.infer<typeof FlagCreateBody>;

export const FlagPatchBody = z
  .strictObject({
    description: Description.optional(),
    enabled: Enabled.optional(),
    rollout_percent: RolloutPercent.optional(),
    roles: Roles.optional(),
    user_ids: UserIds.optional(),
  })
  .openapi("FlagPatch", { example: { enabled: true, rollout_percent: 50 } });
export type FlagPatch = z.infer<typeof FlagPatchBody>;

export const FlagSchema = z
  .object({
    key: z.string(),
    description: z.string(),
    enabled: z.boolean(),
    rollout_percent: z.number().int(),
    roles: z.array(z.string()),
    user_ids: z.array(z.number().int()),
    built_in: z.boolean().openapi({ description: "souk's own code reads this flag" }),
    default: z
      .boolean()
      .nullable()
      .openapi({ description: "A built-in flag's value while it is not saved; null for the others" }),
    saved: z.boolean().openapi({ description: "false: a built-in flag shown with its default" }),
    created_at: z.string().nullable(),
    updated_at: z.string().nullable(),
    updated_by: z.number().int().nullable(),
  })
  .openapi("Flag");
export type FlagView = z.infer<typeof FlagSchema>;

export const FlagListSchema = z.object({ results: z.array(FlagSchema) }).openapi("FlagList");

export const CallerFlagsSchema = z
  .object({ flags: z.record(z.string(), z.boolean()) })
  .openapi("CallerFlags", { example: { flags: { rules_engine: true, new_checkout: false } } });
