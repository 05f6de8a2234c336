import { createMiddleware } from "hono/factory";
import { validation } from "../lib/errors";
import type { AppEnv } from "./types";

// A JSON \u0000 escape that is not itself escaped (an even run of backslashes before it).
const JSON_NUL = /(?:^|[^\\])(?:\\\\)*\\u0000/i;

/**
 * Reads a JSON body once at the door (Hono keeps the text, so the validator does not read it
 * again) for two rules that hold on every route:
 * - NUL bytes are refused: they truncate strings in C libraries, logs and some clients, and no
 *   field of souk's legitimately holds one (the query string is checked too);
 * - an empty body sent with `content-type: application/json` (many HTTP clients add the header to
 *   every POST) reads as `{}`: a route with an optional body runs, one with required fields answers
 *   which are missing, instead of "malformed JSON".
 */
export const jsonBodyGuard = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.url.includes("%00")) throw validation("query", "must not contain NUL bytes");
    const type = c.req.header("content-type");
    if (type?.includes("json") && c.req.method !== "GET") {
      const text = await c.req.text();
      if (text.includes("\0") || (text.includes("u0000") && JSON_NUL.test(text))) {
        throw validation("body", "must not contain NUL bytes");
      }
      if (text.trim() === "") {
        // The validator parses the cached text. Hono caches body reads as promises (its type says
        // values); tests/marketplace/bodiless-actions.test.ts pins this.
        (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve("{}");
      }
    }
    await next();
  });
