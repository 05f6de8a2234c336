import type { Database } from "bun:sqlite";
import { createHmac } from "node:crypto";
import { isIP } from "node:net";
import type { AppContext } from "../../../context";

/**
 * One POST, as plain data: it crosses to the sender thread and back as JSON. With
 * `sign`, the Standard Webhooks signature is computed where it is sent, on the sender thread
 * (signing was a tenth of the API thread's cost of a delivery: docs/platform.md, "Performance").
 */
export type SendRequest = {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** The endpoint's `whsec_` secret, the message id and the `webhook-timestamp` (seconds). */
  sign?: { secret: string; msgId: string; timestamp: number };
  /**
   * The IP address the SSRF guard checked for the url's host: the request goes there (with the
   * host's name in `Host` and in TLS, whose certificate must still match it) instead of asking
   * DNS again, which could now answer with a private address.
   */
  connectTo?: string;
};
export type SendResult =
  | { ok: true; status: number; text: string; ms: number }
  | { ok: false; error: string; timeout: boolean; ms: number };
export type Sender = (r: SendRequest) => Promise<SendResult>;

const ERROR_BODY_BYTES = 256;

/** The first bytes of an error response, for the delivery log. */
async function errorText(res: Response): Promise<string> {
  try {
    const reader = res.body?.getReader();
    if (!reader) return "";
    const chunks: Uint8Array[] = [];
    let n = 0;
    while (n < ERROR_BODY_BYTES) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      n += value.length;
    }
    await reader.cancel().catch(() => {});
    return Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString("utf8");
  } catch {
    return "";
  }
}

// Deliveries to one endpoint reuse its key (per thread: each thread has its own map).
const keys = new Map<string, Buffer>();
const MAX_KEYS = 10_000;

/**
 * The Standard Webhooks signature `v1,<base64 HMAC-SHA256>` of `msgId.timestamp.body` under a
 * `whsec_` secret (the base64 after the prefix is the key). Computed with node:crypto: the
 * `standardwebhooks` package hashes in JavaScript, 4.6 µs a signature against 1.1 µs here; tests
 * verify these signatures with that package, as receivers do.
 */
export function signWebhook(secret: string, msgId: string, timestamp: number, body: string): string {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= MAX_KEYS) keys.clear();
    key = Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
    keys.set(secret, key);
  }
  return `v1,${createHmac("sha256", key).update(`${msgId}.${timestamp}.${body}`).digest("base64")}`;
}

/** The request's headers, with `webhook-signature` when it is to be signed. */
function headersOf(r: SendRequest): Record<string, string> {
  if (!r.sign) return r.headers;
  const { secret, msgId, timestamp } = r.sign;
  return { ...r.headers, "webhook-signature": signWebhook(secret, msgId, timestamp, r.body) };
}

/** Where to send `r`: its url, or the same url at the checked address, the name kept for Host and TLS. */
function target(r: SendRequest): { url: string; host?: string; tls?: { serverName: string } } {
  if (!r.connectTo) return { url: r.url };
  const url = new URL(r.url);
  const { host, hostname } = url;
  url.hostname = isIP(r.connectTo) === 6 ? `[${r.connectTo}]` : r.connectTo;
  return { url: url.href, host, tls: url.protocol === "https:" ? { serverName: hostname } : undefined };
}

/**
 * Sends one request; never follows redirects (a redirect could lead past the SSRF guard).
 * `signal`: a batch's requests, which start together, share one timer ending `timeoutMs` later
 * (a timer per request cost the sender 2-3 µs a request, as much as signing).
 */
export async function sendOnce(
  f: typeof fetch,
  r: SendRequest,
  signal: AbortSignal = AbortSignal.timeout(r.timeoutMs),
): Promise<SendResult> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  try {
    const to = target(r);
    const headers = headersOf(r);
    const res = await f(to.url, {
      method: "POST",
      headers: to.host ? { ...headers, host: to.host } : headers,
      body: r.body,
      redirect: "manual",
      signal,
      // Bun's fetch: SNI and the certificate check use this name, not the address in the url.
      ...(to.tls ? { tls: to.tls } : {}),
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => {});
      return { ok: true, status: res.status, text: "", ms: ms() };
    }
    return { ok: true, status: res.status, text: await errorText(res), ms: ms() };
  } catch (err) {
    const name = (err as Error).name;
    const timeout = name === "TimeoutError" || name === "AbortError";
    return { ok: false, error: (err as Error).message, timeout, ms: ms() };
  }
}

/** Sends a batch at once, its requests of one timeout sharing one timer; results in request order. */
export function sendAll(f: typeof fetch, reqs: SendRequest[]): Promise<SendResult>[] {
  const timers = new Map<number, AbortSignal>();
  return reqs.map((r) => {
    let signal = timers.get(r.timeoutMs);
    if (!signal) {
      signal = AbortSignal.timeout(r.timeoutMs);
      timers.set(r.timeoutMs, signal);
    }
    return sendOnce(f, r, signal);
  });
}

// Per connection, like the other per-process state: tests open many apps, each with its own fetch.
const senders = new WeakMap<Database, Sender>();

/** Hands deliveries to another sender (the server's sender thread) for this context's connection. */
export function useSender(ctx: Pick<AppContext, "sqlite">, sender: Sender | null) {
  if (sender) senders.set(ctx.sqlite, sender);
  else senders.delete(ctx.sqlite);
}

/** The context's sender: the sender thread when the server started one, else `ctx.fetch` on this thread. */
export const senderOf = (ctx: Pick<AppContext, "sqlite" | "fetch">): Sender =>
  senders.get(ctx.sqlite) ?? ((r) => sendOnce(ctx.fetch, r));
