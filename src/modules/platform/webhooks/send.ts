import type { Database } from "bun:sqlite";
import { isIP } from "node:net";
import { Webhook } from "standardwebhooks";
import type { AppContext } from "../../../context";

/**
 * One POST, as plain data: it crosses to the sender thread and back as JSON. With
 * `sign`, the Standard Webhooks signature is computed where it is sent, on the sender thread:
 * `standardwebhooks` hashes in JavaScript, and that was a tenth of the API thread's cost of a
 * delivery (docs/platform.md, "Performance").
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

// Deliveries to one endpoint reuse its signer (per thread: each thread has its own map).
const signers = new Map<string, Webhook>();
const MAX_SIGNERS = 10_000;

/** The Standard Webhooks signer of a `whsec_` secret. */
export function signerOf(secret: string): Webhook {
  let signer = signers.get(secret);
  if (!signer) {
    if (signers.size >= MAX_SIGNERS) signers.clear();
    signer = new Webhook(secret);
    signers.set(secret, signer);
  }
  return signer;
}

/** The request's headers, with `webhook-signature` when it is to be signed. */
function headersOf(r: SendRequest): Record<string, string> {
  if (!r.sign) return r.headers;
  const { secret, msgId, timestamp } = r.sign;
  const signature = signerOf(secret).sign(msgId, new Date(timestamp * 1000), r.body);
  return { ...r.headers, "webhook-signature": signature };
}

/** Where to send `r`: its url, or the same url at the checked address, the name kept for Host and TLS. */
function target(r: SendRequest): { url: string; host?: string; tls?: { serverName: string } } {
  if (!r.connectTo) return { url: r.url };
  const url = new URL(r.url);
  const { host, hostname } = url;
  url.hostname = isIP(r.connectTo) === 6 ? `[${r.connectTo}]` : r.connectTo;
  return { url: url.href, host, tls: url.protocol === "https:" ? { serverName: hostname } : undefined };
}

/** Sends one request; never follows redirects (a redirect could lead past the SSRF guard). */
export async function sendOnce(f: typeof fetch, r: SendRequest): Promise<SendResult> {
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
      signal: AbortSignal.timeout(r.timeoutMs),
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
