/**
 * The webhook sender thread (started by ./send-thread.ts): the HTTP requests of deliveries, off the
 * thread that serves the API. A message is a batch of requests; the answer carries their results
 * in the same order.
 */
import { type SendRequest, sendOnce } from "./send";

declare const self: Worker;

export type SendBatch = { id: number; reqs: SendRequest[] };

self.onmessage = async (e: MessageEvent<SendBatch | "ping">) => {
  if (e.data === "ping") return self.postMessage("ready");
  const { id, reqs } = e.data;
  const results = await Promise.all(reqs.map((r) => sendOnce(fetch, r)));
  self.postMessage({ id, results });
};
