import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { AppContext } from "../context";
import { ApiError, ServedByPrimary } from "../lib/errors";
import { clientIpOf } from "./client-ip";
import type { AppEnv } from "./types";

/** The replication index of a write, answered by the primary and sent back by clients. */
export const REPLICATION_HEADER = "Souk-Replication-Index";
/** The same, kept by browsers for the edge that forwarded their write. */
const REPLICATION_COOKIE = "souk_ri";
/** Long enough for any replica to have synced on its own by then. */
const COOKIE_MAX_AGE_S = 60;

/** Requests an edge forwards: every write, and the live stream (published by the writing node). */
const forwarded = (method: string, path: string) =>
  !(method === "GET" || method === "HEAD" || method === "OPTIONS") || STREAM.test(path);
/** The stream under both prefixes, with or without a trailing slash (see normalizePath). */
const STREAM = /^\/api(\/v1)?\/notifications\/stream\/?$/;

/** Headers of the client's request that must not be copied to the primary as they are. */
const HOP_BY_HOP = ["host", "connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"];

/**
 * The primary node (libSQL mode, no PRIMARY_URL): a write's answer carries the replication
 * index it reached on sqld, so the client (or the edge that forwarded it) can read it back.
 */
export function replicationIndex(ctx: AppContext) {
  const replica = ctx.replica!;
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    if (c.req.method === "GET" || c.req.method === "HEAD") return;
    const index = replica.writeIndex();
    if (index > 0) c.header(REPLICATION_HEADER, String(index));
  });
}

/**
 * An edge node: reads are served from the local replica, writes are forwarded to the primary
 * node over HTTP. Why (trap): every statement libSQL delegates from a replica to the server is a
 * blocking call on this one thread (a write at a 10 ms round trip held the event loop for
 * 200-380 ms), while a forwarded request is an ordinary `fetch` the event loop keeps serving
 * around. Read-your-writes: a client that sends back the index of its write (header or cookie)
 * is served only after this replica has synced up to it.
 */
export function edgeNode(ctx: AppContext, primaryUrl: string, fetchFn: typeof fetch = fetch) {
  const replica = ctx.replica!;
  const base = primaryUrl.replace(/\/$/, "");

  async function forward(c: Context<AppEnv>): Promise<Response> {
    const url = new URL(c.req.url);
    const headers = new Headers(c.req.raw.headers);
    for (const h of HOP_BY_HOP) headers.delete(h);
    // The primary sees the client, not this edge (with TRUST_PROXY set to count this hop).
    const ip = clientIpOf(c);
    if (ip !== "unknown") {
      headers.set("X-Forwarded-For", [headers.get("X-Forwarded-For"), ip].filter(Boolean).join(", "));
    }
    headers.set("X-Forwarded-Host", url.host);
    headers.set("X-Forwarded-Proto", url.protocol.replace(":", ""));
    let res: Response;
    try {
      res = await fetchFn(base + url.pathname + url.search, {
        method: c.req.method,
        headers,
        body: c.req.raw.body,
        redirect: "manual",
        // Bun streams a request body given as a stream without this; the type wants it.
        duplex: "half",
      } as RequestInit);
    } catch (err) {
      ctx.logger.error({ err, primary: base }, "primary node unreachable");
      throw new ApiError("service_unavailable", "the primary node is unreachable; try again", undefined, {
        "Retry-After": "1",
      });
    }
    const out = new Response(res.body, res);
    out.headers.set("X-Request-Id", c.get("requestId"));
    const index = res.headers.get(REPLICATION_HEADER);
    if (!index) return out;
    c.res = out;
    setCookie(c, REPLICATION_COOKIE, index, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      maxAge: COOKIE_MAX_AGE_S,
    });
    return c.res;
  }

  return createMiddleware<AppEnv>(async (c, next) => {
    if (forwarded(c.req.method, new URL(c.req.url).pathname)) return forward(c);
    const wanted = Math.max(
      Number(c.req.header(REPLICATION_HEADER) ?? 0) || 0,
      Number(getCookie(c, REPLICATION_COOKIE) ?? 0) || 0,
    );
    if (wanted > replica.frame()) replica.syncUntil(wanted);
    await next();
    // A read this node cannot answer (an uploaded file kept on the primary's disk), after this
    // node checked who may see it: the primary answers, checking again.
    if (c.error instanceof ServedByPrimary) c.res = await forward(c);
  });
}
