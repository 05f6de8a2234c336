import { createMiddleware } from "hono/factory";
import { validation } from "../lib/errors";
import type { AppEnv } from "./types";

// A JSON \\u0000 escape that is not itself escaped (an even run of backslashes before it).
const JSON_NUL = /(?:^|[^\\])(?:\\\\)*\\u0000/i;

/**
 * NUL bytes are refused at the door: they truncate strings in C libraries, logs and some
 * clients, and no field of souk's legitimately holds one. Checked on the raw JSON text (Hono
 * keeps it, so the validator does not read the body twice) and on the query string.
 */
export const rejectNul = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.url.includes("%00")) throw validation("query", "must not contain NUL bytes");
    const type = c.req.header("content-type");
    if (type?.includes("json") && c.req.method !== "GET") {
      const text = await c.req.text();
      if (text.includes("\0") || (text.includes("u0000") && JSON_NUL.test(text))) {
        throw validation("body", "must not contain NUL bytes");
      }
    }
    await next();
  });
