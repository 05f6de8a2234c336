import { setSystemTime } from "bun:test";
import { Webhook } from "standardwebhooks";

/**
 * A webhook receiver on loopback. Records every request (headers and raw body) and answers 204,
 * or what it is told for the next requests: a status, or a delay before answering.
 */
export type Received = { path: string; headers: Record<string, string>; body: string };
type Answer = { status?: number; delayMs?: number; body?: string };

export function startWebhookReceiver() {
  const received: Received[] = [];
  const answers: Answer[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const body = await req.text();
      received.push({ path: new URL(req.url).pathname, headers: Object.fromEntries(req.headers), body });
      const a = answers.shift() ?? {};
      if (a.delayMs) await Bun.sleep(a.delayMs);
      return new Response(a.body ?? null, { status: a.status ?? 204 });
    },
  });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    received,
    /** The next requests get these answers, in order. */
    answer: (...a: Answer[]) => answers.push(...a),
    reset() {
      received.length = 0;
      answers.length = 0;
    },
    stop: () => server.stop(true),
  };
}

/**
 * Verifies a received request with `standardwebhooks`, as a receiver would, at the instant `nowMs`
 * (souk's manual clock in tests; the library checks the timestamp against Date.now()).
 */
export function verifyAt(secret: string, r: Received, nowMs: number): unknown {
  setSystemTime(new Date(nowMs));
  try {
    return new Webhook(secret).verify(r.body, r.headers);
  } finally {
    setSystemTime();
  }
}
