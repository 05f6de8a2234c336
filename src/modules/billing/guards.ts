import { createMiddleware } from "hono/factory";
import { can } from "../../http/auth";
import type { AppEnv } from "../../http/types";
import { ApiError, forbidden } from "../../lib/errors";

/**
 * Like secured(), for a route any one of several permissions opens: reading a hold needs
 * `usage:read`, or `usage:write` (the scope of the key that made it, e.g. Screph's).
 */
export const securedAny = (...permissions: [string, ...string[]]) => ({
  security: [{ bearerAuth: [] }],
  middleware: [
    createMiddleware<AppEnv>(async (c, next) => {
      const p = c.get("principal");
      if (!p) throw c.get("authError") ?? new ApiError("unauthenticated", "authentication required");
      if (!permissions.some((perm) => can(p, perm)))
        throw forbidden(`missing permission ${permissions.join(" or ")}`);
      await next();
    }),
  ],
  description: `Requires permission ${permissions.map((p) => `\`${p}\``).join(" or ")}.`,
});
