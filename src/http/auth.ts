import type { Database } from "bun:sqlite";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppContext } from "../context";
import type { Role } from "../db/schema";
import { sha256Hex } from "../lib/crypto";
import { ApiError, forbidden, notFound } from "../lib/errors";
import {
  ACT_AS_TARGET_ROLES,
  CREDENTIAL_PERMISSIONS,
  END_USER_PERMISSIONS,
  hasPermission,
  permissionsFor,
} from "../modules/accounts/permissions";
import { verifyAccessToken } from "../modules/accounts/tokens";
import type { AppEnv, Principal, PrincipalUser } from "./types";

type UserRow = {
  id: number;
  role: Role;
  telegram_id: number | null;
  granted_permissions: string;
  is_banned: number;
};
type KeyRow = {
  id: number;
  user_id: number;
  scopes: string;
  revoked_at: number | null;
  last_used_at: number | null;
};

const USER_COLS = "id, role, telegram_id, granted_permissions, is_banned";
// bun:sqlite caches statements created by db.query(), so these compile once per connection.
const userById = (s: Database) => s.query<UserRow, [number]>(`SELECT ${USER_COLS} FROM users WHERE id = ?`);
const userByTelegram = (s: Database) =>
  s.query<UserRow, [number]>(`SELECT ${USER_COLS} FROM users WHERE telegram_id = ?`);
const keyByHash = (s: Database) =>
  s.query<KeyRow, [string]>(
    "SELECT id, user_id, scopes, revoked_at, last_used_at FROM api_keys WHERE key_hash = ?",
  );

const toUser = (r: UserRow): PrincipalUser => ({
  id: r.id,
  role: r.role,
  telegramId: r.telegram_id,
  grantedPermissions: JSON.parse(r.granted_permissions) as string[],
});

function active(r: UserRow | null): UserRow {
  if (!r) throw new ApiError("unauthenticated", "account no longer exists");
  if (r.is_banned) throw forbidden("account is banned");
  return r;
}

const LAST_USED_EVERY_MS = 60_000;

/** Resolves `Authorization: Bearer <jwt | sk_…>` into a Principal. */
export async function resolvePrincipal(
  ctx: AppContext,
  authz: string,
  actAs: string | undefined,
): Promise<Principal> {
  const m = /^Bearer\s+(\S+)$/i.exec(authz);
  if (!m) throw new ApiError("unauthenticated", "expected Authorization: Bearer <token>");
  const token = m[1]!;
  const now = ctx.clock.now();
  if (!token.startsWith("sk_")) {
    const claims = await verifyAccessToken(ctx.jwtSecret, token, now);
    // Acting as someone is for bot keys only; ignoring the header would run the request as the wrong user.
    if (actAs !== undefined) throw forbidden("X-Act-As-Telegram-Id needs a key with the bot:act_as scope");
    const u = toUser(active(userById(ctx.sqlite).get(claims.sub)));
    return { user: u, permissions: permissionsFor(u.role, u.grantedPermissions) };
  }
  const key = keyByHash(ctx.sqlite).get(sha256Hex(token));
  if (!key || key.revoked_at) throw new ApiError("unauthenticated", "invalid or revoked API key");
  const owner = toUser(active(userById(ctx.sqlite).get(key.user_id)));
  // Throttled so a hot key does not turn every read into a write.
  // An edge node never writes (its writes would block on the libSQL server): the primary node
  // refreshes the stamp when the key writes.
  if (!ctx.env.PRIMARY_URL && (!key.last_used_at || now - key.last_used_at > LAST_USED_EVERY_MS)) {
    ctx.sqlite.query("UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(now, key.id);
  }
  const scopes = JSON.parse(key.scopes) as string[];
  const ownerPerms = permissionsFor(owner.role, owner.grantedPermissions);
  if (actAs === undefined) return { user: owner, permissions: ownerPerms, keyId: key.id, scopes };

  if (!hasPermission(scopes, "bot:act_as") || !hasPermission(ownerPerms, "bot:act_as")) {
    throw forbidden("X-Act-As-Telegram-Id needs a key with the bot:act_as scope");
  }
  // A plain decimal id only: Number() would also read "1e3", "0x1" or " 12".
  const tgId = /^[1-9]\d{0,15}$/.test(actAs) ? Number(actAs) : Number.NaN;
  if (!Number.isSafeInteger(tgId)) {
    throw new ApiError("validation_failed", "invalid X-Act-As-Telegram-Id", {
      issues: [{ path: "header.x-act-as-telegram-id", message: "must be a positive decimal integer" }],
    });
  }
  const target = userByTelegram(ctx.sqlite).get(tgId);
  if (!target) throw notFound("user with this telegram id");
  const u = toUser(active(target));
  // Bots act for end users only: never for staff, partners (another bot's owner) or merchants.
  if (!ACT_AS_TARGET_ROLES.includes(u.role)) throw forbidden("this key cannot act as this user");
  const permissions = permissionsFor(u.role, u.grantedPermissions).filter(
    (perm) => !CREDENTIAL_PERMISSIONS.includes(perm),
  );
  // A bot key acts for end users; it never gains powers (staff roles, grants) its owner lacks.
  const ceiling = [...ownerPerms, ...END_USER_PERMISSIONS];
  if (!permissions.every((perm) => hasPermission(ceiling, perm))) {
    throw forbidden("this key cannot act as a user with more privileges than its owner");
  }
  return { user: u, permissions, actingKeyId: key.id };
}

/** Global: identifies the caller if a credential is present; routes decide whether one is needed. */
export const identify = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    c.set("principal", null);
    c.set("authError", null);
    const authz = c.req.header("authorization");
    if (authz) {
      try {
        c.set("principal", await resolvePrincipal(c.get("ctx"), authz, c.req.header("x-act-as-telegram-id")));
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        // A bad header on a public route is still refused: a client sending one expects it to count.
        if (e.status !== 401) throw e;
        c.set("authError", e);
      }
    }
    await next();
  });

export function can(p: Principal, permission: string, params?: { id?: string | number }) {
  if (!hasPermission(p.permissions, permission, params)) return false;
  return p.scopes === undefined || hasPermission(p.scopes, permission, params);
}

/**
 * The route's `{id}` path parameter when it is a plain id: a permission with `{id}` is checked
 * for that object, so a grant for one id (`stores:12:read`) opens that object only. Anything else
 * (validation answers it later) is checked as `{id}`, which only a grant for every id covers.
 */
export function pathIdOf(c: Context<AppEnv>): string | undefined {
  const id = c.req.param("id");
  return id !== undefined && /^[1-9]\d{0,15}$/.test(id) ? id : undefined;
}

/**
 * Route guard: needs a caller holding `permission`, or one of `alternatives` (and a key scope
 * covering it, for keys). `{id}` in any of them stands for the path's id.
 */
export const requirePermission = (permission: string, ...alternatives: string[]) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const p = c.get("principal");
    if (!p) throw c.get("authError") ?? new ApiError("unauthenticated", "authentication required");
    const id = pathIdOf(c);
    const wanted = [permission, ...alternatives];
    if (!wanted.some((perm) => can(p, perm, { id }))) {
      const named = wanted.map((perm) => (id === undefined ? perm : perm.replaceAll("{id}", id)));
      throw forbidden(`missing permission ${named.join(" or ")}`);
    }
    await next();
  });

/** The authenticated caller, for handlers behind requirePermission. */
export function principalOf(c: Context<AppEnv>): Principal {
  const p = c.get("principal");
  if (!p) throw new ApiError("unauthenticated", "authentication required");
  return p;
}
