import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The closed set of error codes (DESIGN.md §3). Adding one is an API change. */
export const ERROR_CODES = {
  validation_failed: 400,
  invalid_json: 400,
  invalid_signature: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  token_expired: 401,
  insufficient_minutes: 402,
  insufficient_funds: 402,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  already_taken: 409,
  invalid_transition: 409,
  idempotency_conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  provider_unavailable: 502,
  // An edge node cannot reach the primary node that takes its writes.
  service_unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.status = ERROR_CODES[code];
  }
}

/**
 * Thrown by a read an edge node cannot answer from its replica (an uploaded file stored on the
 * primary node's disk): the edge forwards the request to the primary (http/replication.ts).
 */
export class ServedByPrimary extends Error {
  override name = "ServedByPrimary";
}

export type ErrorBody = {
  error: { code: ErrorCode; message: string; request_id: string; details?: Record<string, unknown> };
};

export function errorBody(err: ApiError, requestId: string): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      request_id: requestId,
      ...(err.details ? { details: err.details } : {}),
    },
  };
}

// Small constructors keep call sites readable: `throw notFound("order")`.
export const notFound = (what = "resource") => new ApiError("not_found", `${what} not found`);
export const forbidden = (message = "you are not allowed to do this") => new ApiError("forbidden", message);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new ApiError("conflict", message, details);
export const unauthenticated = (message = "authentication required") =>
  new ApiError("unauthenticated", message);
export const validation = (path: string, message: string) =>
  new ApiError("validation_failed", "request validation failed", { issues: [{ path, message }] });
