import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, errorBody } from "../lib/errors";
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
  return new ApiError("internal", "internal server error");
}

export function onError(err: Error, c: Context<AppEnv>) {
  const apiErr = toApiError(err);
  const requestId = c.get("requestId") ?? "unknown";
  if (apiErr.code === "internal") {
    c.get("ctx")?.logger.error({ err, request_id: requestId, path: c.req.path }, "unhandled error");
  }
  if (apiErr.headers) for (const [k, v] of Object.entries(apiErr.headers)) c.header(k, v);
  return c.json(errorBody(apiErr, requestId), apiErr.status);
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
