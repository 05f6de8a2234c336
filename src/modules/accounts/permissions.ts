import type { Role } from "../../db/schema";

/**
 * Permission strings are `resource:action` or `resource:{id}:action` (seed 003). In a granted
 * pattern `*` matches one segment, a trailing `*` matches the rest, `{id}` matches any one id and
 * a number that id only. A route checks `{id}` with its path's id (http/auth.ts), so
 * `stores:12:read` opens store 12 and no other.
 */
// Explicit actions, not `resource:*`: a wildcard here would also cover staff-only actions such as
// `purchases:read_all` or `orders:read_any` that share the resource name.
const USER_BASE = [
  "me:read",
  "me:write",
  "api_keys:read",
  "api_keys:write",
  "notifications:read",
  "notifications:write",
  "notifications:stream",
  "balance:read",
  "usage:read",
  "usage:write",
  "purchases:read",
  "purchases:write",
  "packages:read",
  "wallet:read",
  "wallet:write",
  "orders:read",
  "orders:write",
  "messages:read",
  "messages:write",
  "reviews:read",
  "reviews:write",
  "courses:read",
  "courses:write",
];

export const ROLE_PERMISSIONS: Record<Role, readonly string[]> = {
  client: [...USER_BASE, "experts:apply"],
  expert: [...USER_BASE, "expert:*"],
  partner: [...USER_BASE, "bot:act_as"],
  arbitrator: [...USER_BASE, "disputes:*", "orders:read_any"],
  trader: [...USER_BASE, "gateway:trader:*"],
  teamlead: [...USER_BASE, "gateway:teamlead:*"],
  merchant: [...USER_BASE, "gateway:merchant:*"],
  support: [
    ...USER_BASE,
    "users:read",
    "orders:read_any",
    "events:read",
    "audit:read",
    "system:read",
    "flags:read",
    // Support works the queue that rules raise, and sees the tags and flags rules put on things.
    "attention:read",
    "attention:write",
    "tags:read",
    // The gateway's queue: any order with its selection log, disputes, fraud reviews, requisites.
    "gateway:support:*",
    "requisites:{id}:moderate",
    "stores:{id}:read",
  ],
  admin: ["*"],
};

/**
 * What any end user (client or expert) may do. Staff and bot keys may hand out or act with these
 * even when they do not hold them; anything beyond needs the actor to hold it.
 */
export const END_USER_PERMISSIONS: readonly string[] = [
  ...ROLE_PERMISSIONS.client,
  ...ROLE_PERMISSIONS.expert,
];

/** Whom a bot key may act as (`X-Act-As-Telegram-Id`) or manage through `/bot/users`: end users only. */
export const ACT_AS_TARGET_ROLES: readonly Role[] = ["client", "expert"];

/**
 * Credentials are never in reach of a bot acting as a user: it could otherwise mint a lasting key
 * of its own for the user, or list and revoke theirs. A notification stream (and its ticket) is
 * one too: a user's live feed is theirs, not their bot's.
 */
export const CREDENTIAL_PERMISSIONS: readonly string[] = [
  "api_keys:read",
  "api_keys:write",
  "notifications:stream",
];

/** Does one granted pattern cover the required permission? */
export function matchPermission(pattern: string, required: string): boolean {
  if (pattern === "*") return true;
  const p = pattern.split(":");
  const r = required.split(":");
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    if (seg === "*" && i === p.length - 1) return r.length > i;
    if (i >= r.length) return false;
    if (seg === "*") continue;
    // `{id}` is one segment: it must not cover a trailing `*` (the rest) when a key scope is checked.
    if (seg === "{id}" && !(r[i] === "*" && i === r.length - 1)) continue;
    if (seg !== r[i]) return false;
  }
  return p.length === r.length;
}

/** Substitutes `{id}` in a required permission, then checks it against every grant. */
export function hasPermission(
  granted: readonly string[],
  required: string,
  params?: { id?: string | number },
) {
  const concrete = params?.id == null ? required : required.replaceAll("{id}", String(params.id));
  return granted.some((g) => matchPermission(g, concrete));
}

export function permissionsFor(role: Role, granted: readonly string[] = []): string[] {
  return [...ROLE_PERMISSIONS[role], ...granted];
}

/** Permission strings accepted in grants and key scopes. */
export const PERMISSION_RE = /^(\*|[a-z_]+(:([a-z_]+|\*|\{id\}|\d+))*)$/;
