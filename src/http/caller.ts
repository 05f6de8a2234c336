import type { Context } from "hono";
import { sha256Hex } from "../lib/crypto";
import { clientIpOf } from "./client-ip";
import type { AppEnv } from "./types";

/** Caller identity for rate limits: the user (or key), else the client IP. */
export function callerKey(c: Context<AppEnv>): string {
  const p = c.get("principal");
  if (p) return p.keyId ? `key:${p.keyId}` : `user:${p.user.id}`;
  return `ip:${clientIpOf(c)}`;
}

/**
 * Identity a kept idempotent answer is bound to: the credential, never just an address. A bot key
 * acting as a user is its own caller per user; an anonymous caller is its address plus whatever
 * credentials it sent (cookies, a refused Authorization), so two people behind one NAT never
 * receive each other's answers.
 */
export function credentialKey(c: Context<AppEnv>): string {
  const p = c.get("principal");
  if (p?.actingKeyId) return `act:${p.actingKeyId}:${p.user.id}`;
  if (p) return p.keyId ? `key:${p.keyId}` : `user:${p.user.id}`;
  const creds = `${c.req.header("cookie") ?? ""}\n${c.req.header("authorization") ?? ""}`;
  return `anon:${clientIpOf(c)}:${sha256Hex(creds).slice(0, 32)}`;
}
