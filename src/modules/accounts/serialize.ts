import type { users } from "../../db/schema";
import { iso, isoOrNull } from "../../lib/time";
import type { ClientRisk } from "../scoring/read";

export type UserRow = typeof users.$inferSelect;

export const serializeUser = (u: UserRow) => ({
  id: u.id,
  email: u.email,
  email_verified: u.emailVerifiedAt !== null,
  username: u.username,
  telegram_id: u.telegramId,
  role: u.role,
  first_name: u.firstName,
  last_name: u.lastName,
  bio: u.bio,
  experience_years: u.experienceYears,
  education: u.education,
  skills: u.skills,
  avatar_url: u.avatarUrl,
  is_banned: u.isBanned,
  created_at: iso(u.createdAt),
  last_login_at: isoOrNull(u.lastLoginAt),
});

/** Staff see every user's client risk (null for an account that has none). */
export const serializeAdminUser = (u: UserRow, risk: ClientRisk) => ({
  ...serializeUser(u),
  granted_permissions: u.grantedPermissions,
  ban_reason: u.banReason,
  banned_at: isoOrNull(u.bannedAt),
  ...risk,
});
