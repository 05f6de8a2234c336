import type { AppContext } from "../context";
import type { Role } from "../db/schema";
import type { ApiError } from "../lib/errors";

export type PrincipalUser = {
  id: number;
  role: Role;
  telegramId: number | null;
  grantedPermissions: string[];
};

/** Who is calling: a user by access token, a user's API key, or a bot key acting as a user. */
export type Principal = {
  user: PrincipalUser;
  /** Effective permissions of the user (role defaults + grants). */
  permissions: string[];
  /** Set when the caller used an API key. */
  keyId?: number;
  /** Scopes of that key; absent means "no key restriction" (access token or act-as). */
  scopes?: string[];
  /** The bot key that acts as this user, if any. */
  actingKeyId?: number;
};

export type AppEnv = {
  Variables: {
    ctx: AppContext;
    requestId: string;
    principal: Principal | null;
    /** Why a presented credential was refused; raised only by routes that need auth. */
    authError: ApiError | null;
    /** Set on first use by clientIpOf (http/client-ip.ts). */
    clientIp: string | undefined;
  };
};
