import { isIP } from "node:net";
import type { Context } from "hono";
import { getConnInfo } from "hono/bun";
import type { AppEnv } from "./types";

/**
 * The address a trusted proxy saw. Each proxy appends its peer to X-Forwarded-For, so with N
 * proxies in front only the Nth entry from the right was written by one of them; everything to
 * its left came from the client and is not trusted (proxy-addr counts hops the same way).
 */
function fromProxy(c: Context<AppEnv>, trust: number | "fly"): string | undefined {
  if (trust === "fly") return c.req.header("fly-client-ip")?.trim();
  if (trust <= 0) return undefined;
  const entries = c.req.header("x-forwarded-for")?.split(",");
  if (!entries) return undefined;
  return entries[Math.max(0, entries.length - trust)]?.trim();
}

function resolve(c: Context<AppEnv>): string {
  const forwarded = fromProxy(c, c.get("ctx").env.TRUST_PROXY);
  if (forwarded && isIP(forwarded)) return forwarded;
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown"; // in-process app.request() has no socket
  }
}

/**
 * The caller's address, worked out on first use and kept for the request: Bun's socket lookup
 * behind getConnInfo costs ~7 µs, and an authenticated request on a route that does not audit
 * never needs it.
 */
export function clientIpOf(c: Context<AppEnv>): string {
  let ip = c.get("clientIp");
  if (ip === undefined) {
    ip = resolve(c);
    c.set("clientIp", ip);
  }
  return ip;
}
