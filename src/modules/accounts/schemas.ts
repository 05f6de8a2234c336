import { z } from "@hono/zod-openapi";
import { ROLES } from "../../db/schema";
import { RiskFields } from "../scoring/schemas";
import { PERMISSION_RE } from "./permissions";

export const Email = z
  .email()
  .max(254)
  .transform((s) => s.toLowerCase());
export const Password = z.string().min(8, "at least 8 characters").max(128);
export const Username = z
  .string()
  .regex(/^[A-Za-z0-9_]{3,32}$/, "3-32 letters, digits or _")
  .transform((s) => s.toLowerCase());
export const Permission = z
  .string()
  .max(100)
  .regex(PERMISSION_RE, "like resource:action, resource:*, resource:{id}:action");

export const UserSchema = z
  .object({
    id: z.number().int(),
    email: z.string().nullable(),
    /** Whether the user followed a verification link sent to `email`. */
    email_verified: z.boolean(),
    username: z.string().nullable(),
    telegram_id: z.number().int().nullable(),
    role: z.enum(ROLES),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    bio: z.string().nullable(),
    experience_years: z.number().int().nullable(),
    education: z.string().nullable(),
    skills: z.string().nullable(),
    avatar_url: z.string().nullable(),
    is_banned: z.boolean(),
    created_at: z.string(),
    last_login_at: z.string().nullable(),
  })
  .openapi("User");

export const AdminUserSchema = UserSchema.extend({
  granted_permissions: z.array(z.string()),
  ban_reason: z.string().nullable(),
  banned_at: z.string().nullable(),
  ...RiskFields,
}).openapi("AdminUser");

export const MeSchema = UserSchema.extend({
  permissions: z.array(z.string()),
  payment_settings: z
    .object({ instructions: z.string(), fields: z.record(z.string(), z.string()) })
    .openapi({ description: "How to pay an order by manual transfer (set by admins in settings)" }),
  // A client sees their own risk; other roles have none to show.
  risk_score: RiskFields.risk_score.optional(),
  risk_level: RiskFields.risk_level.optional(),
  risk_updated_at: RiskFields.risk_updated_at.optional(),
}).openapi("Me");

export const AuthResult = z
  .object({
    user: UserSchema,
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
  })
  .openapi("AuthResult");

export const RegisterBody = z
  .strictObject({ email: Email, password: Password, username: Username.optional() })
  .openapi("RegisterBody", {
    example: { email: "ada@example.com", password: "correct horse battery", username: "ada" },
  });
export const LoginBody = z
  .strictObject({ login: z.string().min(1).max(254), password: z.string().min(1).max(128) })
  .openapi("LoginBody", { example: { login: "ada@example.com", password: "correct horse battery" } });
export const RefreshBody = z
  .strictObject({ refresh_token: z.string().min(1).max(200).optional() })
  .openapi({ example: { refresh_token: "rt_3q2Zs0k9Vd1mXgQe8yNwUu5cLh7RbTfA" } });

export const TelegramBody = z
  .union([
    z.strictObject({ init_data: z.string().min(1).max(4096) }),
    z.strictObject({
      id: z.number().int().positive(),
      first_name: z.string().max(256).optional(),
      last_name: z.string().max(256).optional(),
      username: z.string().max(64).optional(),
      photo_url: z.string().max(1024).optional(),
      auth_date: z.number().int().positive(),
      hash: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ])
  .openapi("TelegramLoginBody");

const text = (max: number) => z.string().max(max).nullable().optional();
export const PatchMeBody = z
  .strictObject({
    email: Email.optional(),
    username: Username.optional(),
    first_name: text(100),
    last_name: text(100),
    bio: text(5000),
    experience_years: z.number().int().min(0).max(80).nullable().optional(),
    education: text(2000),
    skills: text(2000),
    // http(s) only: a javascript: or data: URL here would be stored XSS in every front end.
    avatar_url: z
      .url({ protocol: /^https?$/ })
      .max(1024)
      .nullable()
      .optional(),
  })
  .openapi("PatchMeBody", {
    example: {
      first_name: "Ada",
      last_name: "Lovelace",
      bio: "Analyst; notes on engines",
      experience_years: 7,
    },
  });

export const ApiKeyBody = z
  .strictObject({ name: z.string().min(1).max(100), scopes: z.array(Permission).min(1).max(50) })
  .openapi("ApiKeyBody", {
    example: { name: "transcription worker", scopes: ["usage:write", "balance:read"] },
  });
export const ApiKeySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("ApiKey");
export const ApiKeyCreated = ApiKeySchema.extend({ key: z.string() }).openapi("ApiKeyCreated");

export const BotUserBody = z
  .strictObject({
    telegram_id: z.number().int().positive(),
    username: z.string().max(64).optional(),
    first_name: z.string().max(256).optional(),
    last_name: z.string().max(256).optional(),
  })
  .openapi("BotUserBody", {
    example: { telegram_id: 123456789, username: "ada_l", first_name: "Ada", last_name: "Lovelace" },
  });

export const UsersQuery = z.object({
  role: z.enum(ROLES).optional(),
  q: z.string().max(100).optional(),
  is_banned: z.enum(["true", "false"]).optional(),
});
export const BanBody = z
  .strictObject({ reason: z.string().max(500).optional() })
  .openapi({ example: { reason: "Payment fraud" } });
export const RoleBody = z
  .strictObject({
    role: z.enum(ROLES),
    granted_permissions: z.array(Permission).max(100).optional(),
  })
  .openapi({ example: { role: "support", granted_permissions: ["purchases:read_all"] } });
