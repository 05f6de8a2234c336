import type { Hook } from "@hono/zod-openapi";
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { requirePermission } from "../http/auth";
import type { AppEnv } from "../http/types";
import { ApiError, ERROR_CODES, type ErrorCode } from "./errors";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      request_id: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi("Error");

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed JSON or failed validation",
  401: "Missing, invalid or expired credentials",
  402: "Not enough minutes or funds",
  403: "The caller lacks the permission",
  404: "Not found (or not yours)",
  409: "Conflict with the current state",
  413: "Body too large",
  415: "Unsupported media type",
  429: "Rate limited",
  500: "Unexpected error",
  502: "Payment or messaging provider unavailable",
};

const errorResponse = (status: number) => ({
  description: ERROR_DESCRIPTIONS[status] ?? "Error",
  content: { "application/json": { schema: ErrorSchema } },
});

/** The shared error responses every route documents, plus any route-specific ones. */
export function errors(...extra: number[]) {
  const statuses = new Set([400, 429, 500, ...extra]);
  return Object.fromEntries([...statuses].sort().map((s) => [s, errorResponse(s)])) as Record<
    number,
    ReturnType<typeof errorResponse>
  >;
}

/**
 * Route options for an authenticated route: security in the docs, the guard in the middleware.
 * Any one of `permission` and `alternatives` opens it; `{id}` in them stands for the path's id, so
 * `secured("users:read", "users:{id}:read")` lets staff in, and a user granted `users:12:read` in
 * on user 12 only.
 */
export const secured = (permission: string, ...alternatives: string[]) => ({
  security: [{ bearerAuth: [] }],
  middleware: [requirePermission(permission, ...alternatives)],
  description: `Requires permission ${[permission, ...alternatives].map((p) => `\`${p}\``).join(" or ")}.`,
  // Read when the document is finished: the scopes list and where X-Act-As-Telegram-Id applies.
  "x-permission": permission,
});

export const json = <T extends z.ZodType>(schema: T, description = "OK") => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { required: true, content: { "application/json": { schema } } },
});

/** A body that may be left out entirely (validated when sent). */
export const optionalJsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { required: false, content: { "application/json": { schema } } },
});

/** Validation failures become the 400 envelope with every issue listed. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) {
    throw new ApiError("validation_failed", "request validation failed", {
      issues: result.error.issues.map((i) => ({
        path: [result.target, ...i.path.map(String)].join("."),
        message: i.message,
      })),
    });
  }
};

export const createRouter = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

export const IdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "id", in: "path" }, example: 1 }),
});

export { z };
