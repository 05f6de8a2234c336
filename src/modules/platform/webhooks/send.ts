import type { Database } from "bun:sqlite";
import type { AppContext } from "../../../context";

/** One signed POST, as plain data: it crosses to the sender thread and back by structured clone. */
export type SendRequest = { url: string; headers: Record<string, string>; body: string; timeoutMs: number };
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

/** Sends one request; never follows redirects (a redirect could lead past the SSRF guard). */
export async function sendOnce(f: typeof fetch, r: SendRequest): Promise<SendResult> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  try {
    const res = await f(r.url, {
      method: "POST",
      headers: r.headers,
      body: r.body,
      redirect: "manual",
      signal: AbortSignal.timeout(r.timeoutMs),
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
