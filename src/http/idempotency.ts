import { createMiddleware } from "hono/factory";
import { sha256Hex } from "../lib/crypto";
import { ApiError, validation } from "../lib/errors";
import { DAY, MINUTE } from "../lib/time";
import { callerKey } from "./rate-limit";
import type { AppEnv } from "./types";

type Row = {
  id: number;
  request_hash: string;
  status: number | null;
  response_body: string | null;
  content_type: string | null;
  created_at: number;
};

const TTL_MS = DAY;
// A request holding its key longer than this is taken as abandoned (its process died).
const STALE_RUNNING_MS = 5 * MINUTE;
// Auth and rate-limit refusals never ran the operation, so they are not kept for replay.
const NOT_KEPT = new Set([401, 429]);

/**
 * `Idempotency-Key` on POST (DESIGN.md §3): the first response is kept 24 h per caller and
 * replayed with `Idempotent-Replayed: true`; another body under the same key, or a second
 * request while the first still runs, gets 409 `idempotency_conflict`.
 */
export const idempotency = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header("idempotency-key");
    if (c.req.method !== "POST" || key === undefined) return next();
    if (!/^[\x21-\x7e]{1,255}$/.test(key))
      throw validation("header.idempotency-key", "1-255 visible ASCII characters");
    const ctx = c.get("ctx");
    const caller = callerKey(c);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const hash = sha256Hex(`${c.req.method} ${c.req.path}\n${sha256Hex(body)}`);
    const now = ctx.clock.now();
    const q = ctx.sqlite;

    const row = q
      .query<Row, [string, string]>(
        "SELECT id, request_hash, status, response_body, content_type, created_at FROM idempotency_keys WHERE caller = ? AND key = ?",
      )
      .get(caller, key);
    if (row) {
      const expired = now - row.created_at > TTL_MS;
      const abandoned = row.status === null && now - row.created_at > STALE_RUNNING_MS;
      if (expired || abandoned) {
        q.query("DELETE FROM idempotency_keys WHERE id = ?").run(row.id);
      } else if (row.request_hash !== hash) {
        throw new ApiError("idempotency_conflict", "this Idempotency-Key was used with a different request");
      } else if (row.status === null) {
        throw new ApiError("idempotency_conflict", "a request with this Idempotency-Key is still running");
      } else {
        return new Response(row.response_body, {
          status: row.status,
          headers: {
            "content-type": row.content_type ?? "application/json",
            "idempotent-replayed": "true",
            "x-request-id": c.get("requestId"),
          },
        });
      }
    }
    const claimed = q
      .query(
        `INSERT INTO idempotency_keys (caller, key, method, path, request_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (caller, key) DO NOTHING`,
      )
      .run(caller, key, c.req.method, c.req.path, hash, now);
    if (claimed.changes === 0) {
      throw new ApiError("idempotency_conflict", "a request with this Idempotency-Key is still running");
    }

    await next();

    const status = c.res.status;
    if (status >= 500 || NOT_KEPT.has(status)) {
      q.query("DELETE FROM idempotency_keys WHERE caller = ? AND key = ?").run(caller, key);
      return;
    }
    const text = await c.res.clone().text();
    q.query(
      "UPDATE idempotency_keys SET status = ?, response_body = ?, content_type = ? WHERE caller = ? AND key = ?",
    ).run(status, text, c.res.headers.get("content-type"), caller, key);
  });
