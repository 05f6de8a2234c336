import type { Logger } from "pino";
import { type Sender, type SendRequest, type SendResult, sendAll, sendOnce } from "./send";
import type { SendBatch, SenderReady } from "./send-worker";

type Waiting = { reqs: SendRequest[]; resolve: ((r: SendResult) => void)[] };

const sendHere = (w: Waiting) => {
  for (const [i, p] of sendAll(fetch, w.reqs).entries()) void p.then(w.resolve[i]);
};

/**
 * Starts the sender thread and returns a Sender that posts to it. Requests made in the same turn
 * of the event loop (a batch of delivery jobs) travel in one message.
 *
 * Why a thread: a delivery's HTTP request cost the API's thread ~175 µs of CPU, more than the rest
 * of the delivery; at 1,000 deliveries/s that was a sixth of the core the hot routes run on
 * (docs/benchmarks.md). The thread runs at a lower CPU priority than this one (./send-worker.ts).
 * If the thread fails, sending falls back to this thread.
 */
export function startSendThread(workerUrl: string | URL, logger: Logger): { send: Sender; stop(): void } {
  const worker = new Worker(workerUrl, { smol: true });
  const inFlight = new Map<number, Waiting>();
  let nextId = 1;
  let pending: Waiting | null = null;
  let alive = true;

  const fallBack = (reason: string) => {
    if (!alive) return;
    alive = false;
    logger.warn({ reason }, "webhook sender thread stopped; sending from the main thread");
    for (const w of inFlight.values()) sendHere(w);
    inFlight.clear();
  };
  worker.onmessage = (e: MessageEvent<string>) => {
    const m = JSON.parse(e.data) as { id: number; results: SendResult[] } | SenderReady;
    if ("ready" in m) return logger.info({ tid: m.tid, nice: m.nice }, "webhook sender thread running");
    const w = inFlight.get(m.id);
    if (!w) return;
    inFlight.delete(m.id);
    for (const [i, r] of m.results.entries()) w.resolve[i]!(r);
  };
  worker.addEventListener("error", (e) => fallBack(e.message));
  worker.addEventListener("close", () => fallBack("worker exited"));
  worker.postMessage("ping");

  const flush = () => {
    const w = pending!;
    pending = null;
    if (!alive) return sendHere(w);
    const id = nextId++;
    inFlight.set(id, w);
    worker.postMessage(JSON.stringify({ id, reqs: w.reqs } satisfies SendBatch));
  };

  return {
    send(r) {
      if (!alive) return sendOnce(fetch, r);
      return new Promise<SendResult>((resolve) => {
        if (!pending) {
          pending = { reqs: [], resolve: [] };
          queueMicrotask(flush);
        }
        pending.reqs.push(r);
        pending.resolve.push(resolve);
      });
    },
    stop() {
      alive = false;
      worker.terminate();
    },
  };
}
