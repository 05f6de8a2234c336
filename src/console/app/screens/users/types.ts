/** The admin view of a user (GET /admin/users/{id}). */
export type AdminUser = {
  id: number;
  email: string | null;
  email_verified: boolean;
  username: string | null;
  telegram_id: number | null;
  role: string;
  first_name: string | null;
  last_name: string | null;
  bio: string | null;
  experience_years: number | null;
  education: string | null;
  skills: string | null;
  avatar_url: string | null;
  is_banned: boolean;
  created_at: string;
  last_login_at: string | null;
  granted_permissions: string[];
  ban_reason: string | null;
  banned_at: string | null;
  risk_score: number | null;
  risk_level: "low" | "medium" | "high" | "critical" | null;
  risk_updated_at: string | null;
};

export type UserPermissions = {
  user_id: number;
  role: string;
  role_permissions: string[];
  granted_permissions: string[];
};

/** How a user is called on screen: username, else email, else their id. */
export const nameOf = (u: Pick<AdminUser, "id" | "username" | "email">) =>
  u.username ?? u.email ?? `user #${u.id}`;

export const fullName = (u: Pick<AdminUser, "first_name" | "last_name">) =>
  [u.first_name, u.last_name].filter(Boolean).join(" ");
