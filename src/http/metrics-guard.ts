import { createMiddleware } from "hono/factory";
import { safeEqual } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "./types";

/** With METRICS_TOKEN set, /metrics answers only `Authorization: Bearer <token>` (constant-time check). */
export const metricsGuard = (token: string | undefined) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (token !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
      if (!m || !safeEqual(m[1]!, token))
        throw new ApiError("unauthenticated", "metrics need the METRICS_TOKEN bearer");
    }
    await next();
  });
