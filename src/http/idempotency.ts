import { createMiddleware } from "hono/factory";
import { sha256Hex } from "../lib/crypto";
import { ApiError, validation } from "../lib/errors";
import { seal, unseal } from "../lib/seal";
import { DAY } from "../lib/time";
import { credentialKey } from "./caller";
import { isAbandoned, PROCESS_OWNER } from "./process-owner";
import type { AppEnv } from "./types";

type Row = {
  id: number;
  request_hash: string;
  status: number | null;
  response_body: string | null;
  content_type: string | null;
  owner: string | null;
  created_at: number;
};

const TTL_MS = DAY;
// The client's key is part of the seal's context and is stored only hashed: the table alone opens nothing.
const keptContext = (caller: string, key: string) => `idempotency\n${caller}\n${key}`;
// Auth and rate-limit refusals never ran the operation, so they are not kept for replay.
const NOT_KEPT = new Set([401, 429]);
// Token answers (login, refresh, register…) are never kept: a replay would hand out a live token
// pair without the checks (reuse detection, lockout) that a fresh call runs.
const UNCACHED_PREFIX = "/api/v1/auth/";

/**
 * `Idempotency-Key` on POST: the first response is kept 24 h per credential and replayed with
 * `Idempotent-Replayed: true`; another body under the same key, or a second request while the
 * first still runs, gets 409 `idempotency_conflict`. The key is stored as a hash and the kept
 * answer is encrypted with a key derived from it, so the table holds no secret in the clear.
 */
export const idempotency = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header("idempotency-key");
    if (c.req.method !== "POST" || key === undefined) return next();
    if (!/^[\x21-\x7e]{1,255}$/.test(key))
      throw validation("header.idempotency-key", "1-255 visible ASCII characters");
    if (c.req.path.startsWith(UNCACHED_PREFIX)) return next();
    const ctx = c.get("ctx");
    const caller = credentialKey(c);
    const keyHash = sha256Hex(`${caller}\n${key}`);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const hash = sha256Hex(`${c.req.method} ${c.req.path}\n${sha256Hex(body)}`);
    const now = ctx.clock.now();
    const q = ctx.sqlite;

    const row = q
      .query<Row, [string, string]>(
        "SELECT id, request_hash, status, response_body, content_type, owner, created_at FROM idempotency_keys WHERE caller = ? AND key = ?",
      )
      .get(caller, keyHash);
    if (row) {
      const expired = now - row.created_at > TTL_MS;
      // A crashed process leaves its keys running: they are free again at once, not after a timeout.
      const abandoned = row.status === null && isAbandoned(row.owner);
      if (expired || abandoned) {
        q.query("DELETE FROM idempotency_keys WHERE id = ?").run(row.id);
      } else if (row.request_hash !== hash) {
        throw new ApiError("idempotency_conflict", "this Idempotency-Key was used with a different request");
      } else if (row.status === null) {
        throw new ApiError("idempotency_conflict", "a request with this Idempotency-Key is still running");
      } else {
        return new Response(unseal(ctx.jwtSecret, keptContext(caller, key), row.response_body ?? ""), {
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
        `INSERT INTO idempotency_keys (caller, key, method, path, request_hash, owner, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (caller, key) DO NOTHING`,
      )
      .run(caller, keyHash, c.req.method, c.req.path, hash, PROCESS_OWNER, now);
    if (claimed.changes === 0) {
      throw new ApiError("idempotency_conflict", "a request with this Idempotency-Key is still running");
    }

    try {
      await next();
    } catch (e) {
      q.query("DELETE FROM idempotency_keys WHERE caller = ? AND key = ?").run(caller, keyHash);
      throw e;
    }

    const status = c.res.status;
    if (status >= 500 || NOT_KEPT.has(status)) {
      q.query("DELETE FROM idempotency_keys WHERE caller = ? AND key = ?").run(caller, keyHash);
      return;
    }
    const text = await c.res.clone().text();
    q.query(
      "UPDATE idempotency_keys SET status = ?, response_body = ?, content_type = ?, owner = NULL WHERE caller = ? AND key = ?",
    ).run(
      status,
      seal(ctx.jwtSecret, keptContext(caller, key), text),
      c.res.headers.get("content-type"),
      caller,
      keyHash,
    );
  });
