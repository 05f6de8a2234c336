import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ROLES } from "../enums";

export { ROLES };
export type Role = (typeof ROLES)[number];

export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    email: text("email"),
    username: text("username"),
    passwordHash: text("password_hash"),
    telegramId: integer("telegram_id"),
    role: text("role", { enum: ROLES }).notNull().default("client"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    bio: text("bio"),
    experienceYears: integer("experience_years"),
    education: text("education"),
    skills: text("skills"),
    avatarUrl: text("avatar_url"),
    grantedPermissions: text("granted_permissions", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    isBanned: integer("is_banned", { mode: "boolean" }).notNull().default(false),
    banReason: text("ban_reason"),
    bannedAt: integer("banned_at"),
    lastLoginAt: integer("last_login_at"),
    /** Set when the user followed the link of a verification email; cleared when the email changes. */
    emailVerifiedAt: integer("email_verified_at"),
    /** Set when staff anonymised the account (personal data replaced; irreversible). */
    anonymizedAt: integer("anonymized_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // Lookups by login name are case-insensitive: emails and usernames are stored lower-cased.
    uniqueIndex("users_email_uq").on(t.email),
    uniqueIndex("users_username_uq").on(t.username),
    uniqueIndex("users_telegram_id_uq").on(t.telegramId),
    // Admin lists filter by role, newest first.
    index("users_role_created_idx").on(t.role, t.createdAt),
    // Sign-ups per day (daily metrics, user growth).
    index("users_created_idx").on(t.createdAt),
    // Platform analytics count verified users (a confirmed email or a Telegram identity).
    index("users_verified_idx").on(t.id).where(sql`email_verified_at IS NOT NULL OR telegram_id IS NOT NULL`),
  ],
);

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    familyId: text("family_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    expiresAt: integer("expires_at").notNull(),
    rotatedAt: integer("rotated_at"),
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("refresh_tokens_hash_uq").on(t.tokenHash),
    // Reuse detection revokes a whole family at once.
    index("refresh_tokens_family_idx").on(t.familyId),
  ],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("api_keys_hash_uq").on(t.keyHash), index("api_keys_user_idx").on(t.userId)],
);

export const EMAIL_TOKEN_PURPOSES = ["verify_email", "reset_password"] as const;

/** Single-use links sent by email: only the SHA-256 of the token is kept. */
export const emailTokens = sqliteTable(
  "email_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: EMAIL_TOKEN_PURPOSES }).notNull(),
    /** The address the token was sent to: a verification only counts for the address it was sent to. */
    email: text("email").notNull(),
    tokenHash: text("token_hash").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("email_tokens_hash_uq").on(t.tokenHash),
    // A new link supersedes the user's earlier unused ones of the same purpose.
    index("email_tokens_user_idx").on(t.userId, t.purpose),
  ],
);
