import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/types";
import { secured } from "./openapi";

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Route middleware for routes whose JSON body may be left out: a request that says
 * `content-type: application/json` but sends no bytes (many HTTP clients add the header to every
 * POST) reads as `{}` instead of failing as malformed JSON. Any other body is validated as sent.
 */
export const emptyJsonAsObject = createMiddleware<AppEnv>(async (c, next) => {
  const type = c.req.header("content-type")?.split(";")[0]?.trim() ?? "";
  if (JSON_TYPE.test(type) && (await c.req.text()).trim() === "") {
    // The validator parses the cached text: give it an empty object to parse. Hono caches body
    // reads as promises (its type says values); tests/marketplace/bodiless-actions.test.ts pins this.
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve("{}");
  }
  await next();
});

/** `secured(permission)` for a route with an optional JSON body: the guard, then `emptyJsonAsObject`. */
export function securedOptionalBody(permission: string) {
  const s = secured(permission);
  return { ...s, middleware: [...s.middleware, emptyJsonAsObject] };
}
