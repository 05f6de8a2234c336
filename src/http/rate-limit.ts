import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { MemoryStore, rateLimiter } from "hono-rate-limiter";
import { ApiError } from "../lib/errors";
import { parseRate, type SettingKey } from "../modules/platform/settings/registry";
import type { AppEnv } from "./types";

/**
 * hono-rate-limiter with its window and limit read from a DB setting ("100/minute").
 * A changed setting builds a fresh limiter, so admins can retune without a restart.
 */
export function settingRateLimit(setting: SettingKey, keyOf: (c: Context<AppEnv>) => string, prefix: string) {
  let current: { spec: string; mw: MiddlewareHandler; store: MemoryStore<AppEnv> } | null = null;
  return createMiddleware<AppEnv>(async (c, next) => {
    const spec = String(c.get("ctx").settings.get(setting));
    if (current?.spec !== spec) {
      const { limit, windowMs } = parseRate(spec);
      // The replaced limiter's store would keep its cleanup interval and its counters forever.
      current?.store.shutdown();
      const store = new MemoryStore<AppEnv>();
      current = {
        spec,
        store,
        mw: rateLimiter<AppEnv>({
          store,
          windowMs,
          limit,
          standardHeaders: "draft-6",
          keyGenerator: (c) => `${prefix}:${keyOf(c)}`,
          handler: (c) => {
            const info = c.get("rateLimit" as never) as { resetTime?: Date } | undefined;
            const ms = info?.resetTime ? info.resetTime.getTime() - Date.now() : windowMs;
            const retryAfter = Math.max(1, Math.ceil(ms / 1000));
            throw new ApiError(
              "rate_limited",
              "too many requests, slow down",
              { retry_after_seconds: retryAfter },
              { "Retry-After": String(retryAfter) },
            );
          },
        }) as unknown as MiddlewareHandler,
      };
    }
    return current.mw(c, next);
  });
}
