import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { matchedRoutes, routePath } from "hono/route";
import { DatabaseUnavailableError } from "../db/libsql/errors";
import { ApiError, errorBody, ServedByPrimary } from "../lib/errors";
import { recordCriticalError } from "../modules/platform/critical-errors/service";
import type { AppEnv } from "./types";

/** Maps anything thrown to the DESIGN.md §3 envelope; unexpected errors are logged, never echoed. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400 && /json/i.test(err.message))
      return new ApiError("invalid_json", "malformed JSON body");
    if (err.status === 400) return new ApiError("validation_failed", err.message || "bad request");
    if (err.status === 413) return new ApiError("payload_too_large", "request body too large");
    if (err.status === 415)
      return new ApiError("unsupported_media_type", err.message || "unsupported media type");
    if (err.status === 401) return new ApiError("unauthenticated", err.message || "authentication required");
  }
  if (err instanceof DatabaseUnavailableError) {
    return new ApiError("service_unavailable", "the database server is unreachable; try again", undefined, {
      "Retry-After": "1",
    });
  }
  return new ApiError("internal", "internal server error");
}

/**
 * An unexpected error about to be answered with a 5xx: logged and kept as a critical error (a
 * write of its own, after the handler's transaction rolled back). Every error handler calls it.
 */
export function reportUnhandled(err: Error, c: Context<AppEnv>, status: number) {
  const ctx = c.get("ctx");
  const requestId = c.get("requestId") ?? "unknown";
  ctx?.logger.error({ err, request_id: requestId, path: c.req.path }, "unhandled error");
  if (!ctx) return;
  recordCriticalError(ctx, {
    kind: "http",
    error: err,
    requestId,
    method: c.req.method,
    route: routePatternOf(c),
    status,
    actorId: c.get("principal")?.user.id ?? null,
  });
}

export function onError(err: Error, c: Context<AppEnv>) {
  // Not an error: the edge node's middleware answers it from the primary (http/replication.ts).
  if (err instanceof ServedByPrimary) return c.body(null, 502);
  const apiErr = toApiError(err);
  const requestId = c.get("requestId") ?? "unknown";
  if (apiErr.code === "internal") reportUnhandled(err, c, apiErr.status);
  else if (apiErr.code === "service_unavailable") c.get("ctx")?.logger.warn({ err }, "database unreachable");
  if (apiErr.headers) for (const [k, v] of Object.entries(apiErr.headers)) c.header(k, v);
  return c.json(errorBody(apiErr, requestId), apiErr.status);
}

/**
 * The pattern of the route that answered (`/api/v1/orders/:id`), never the raw path, which can
 * hold ids and tokens: the last matched handler that is not middleware, else the current one.
 */
export function routePatternOf(c: Context<AppEnv>): string | null {
  try {
    const endpoint = matchedRoutes(c).findLast((r) => r.method !== "ALL");
    return endpoint?.path ?? (routePath(c) || null);
  } catch {
    return null;
  }
}

export function onNotFound(c: Context<AppEnv>) {
  return c.json(
    errorBody(
      new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`),
      c.get("requestId") ?? "unknown",
    ),
    404,
  );
}
