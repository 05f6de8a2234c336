/**
 * The webhook sender thread (started by ./send-thread.ts): the HTTP requests of deliveries, off the
 * thread that serves the API. A message is a batch of requests; the answer carries their results
 * in the same order. Both travel as JSON strings: a string crosses threads as one copy, where a
 * structured clone walks every object of every request.
 */
import { type SendRequest, sendOnce } from "./send";

declare const self: Worker;

export type SendBatch = { id: number; reqs: SendRequest[] };

self.onmessage = async (e: MessageEvent<string>) => {
  if (e.data === "ping") return self.postMessage("ready");
  const { id, reqs } = JSON.parse(e.data) as SendBatch;
  const results = await Promise.all(reqs.map((r) => sendOnce(fetch, r)));
  self.postMessage(JSON.stringify({ id, results }));
};
