import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Env } from "../env";
import { ApiError } from "../lib/errors";
import { isMultipart } from "../lib/files";
import type { AppEnv } from "./types";

const limitTo = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("payload_too_large", `request body exceeds ${maxSize} bytes`);
    },
  });

// Room for the multipart framing around a file of UPLOAD_MAX_BYTES; the file itself is checked again.
const MULTIPART_FRAMING = 64 * 1024;

/** BODY_LIMIT_BYTES for JSON, UPLOAD_MAX_BYTES (+ framing) for multipart: 413 with the envelope. */
export function bodyLimits(
  env: Pick<Env, "BODY_LIMIT_BYTES" | "UPLOAD_MAX_BYTES">,
): MiddlewareHandler<AppEnv> {
  const json = limitTo(env.BODY_LIMIT_BYTES);
  const upload = limitTo(env.UPLOAD_MAX_BYTES + MULTIPART_FRAMING);
  return (c, next) => (isMultipart(c.req.header("content-type")) ? upload(c, next) : json(c, next));
}

/**
 * Bun.serve's own limit. Bun refuses a body past it with a bare 413 before the app sees the
 * request, so it sits far above the app's limits, which read Content-Length first (a huge
 * declared body is refused at once, unread) and stop a chunked body as it streams in.
 */
export const serverBodyCeiling = (env: Pick<Env, "BODY_LIMIT_BYTES" | "UPLOAD_MAX_BYTES">) =>
  1024 * Math.max(env.BODY_LIMIT_BYTES, env.UPLOAD_MAX_BYTES + MULTIPART_FRAMING);
