/**
 * The webhook sender thread (started by ./send-thread.ts): the HTTP requests of deliveries, off the
 * thread that serves the API. A message is a batch of requests; the answer carries their results
 * in the same order. Both travel as JSON strings: a string crosses threads as one copy, where a
 * structured clone walks every object of every request.
 */
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { type SendRequest, sendAll } from "./send";

declare const self: Worker;

export type SendBatch = { id: number; reqs: SendRequest[] };
/** The thread's first message: its thread id and the nice it runs at (null where it cannot tell). */
export type SenderReady = { ready: true; tid: number | null; nice: number | null };

/**
 * Deliveries are background work: this thread runs at nice 10, so that on a busy machine the
 * scheduler lets it take idle moments rather than preempt the API's thread when a batch comes
 * back (1,000 deliveries/s then cost the balance route 4.8% of its throughput, not 10.7%:
 * docs/platform.md, "Performance").
 * It still gets its share when the CPU is contended (a nice-10 thread weighs about a tenth of a
 * nice-0 one), which is several times what 1,000 deliveries/s take. Linux only, where nice is per
 * thread and set through the thread's id; elsewhere setting it would lower the whole process.
 */
const SENDER_NICE = 10;

function lowerPriority(): SenderReady {
  if (process.platform !== "linux") return { ready: true, tid: null, nice: null };
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    // Only ever lowered: a process started at a lower priority already keeps this thread below the API's.
    if (getPriority(tid) < SENDER_NICE) setPriority(tid, SENDER_NICE);
    return { ready: true, tid, nice: getPriority(tid) };
  } catch {
    return { ready: true, tid: null, nice: null };
  }
}

self.onmessage = async (e: MessageEvent<string>) => {
  if (e.data === "ping") return self.postMessage(JSON.stringify(lowerPriority()));
  const { id, reqs } = JSON.parse(e.data) as SendBatch;
  const results = await Promise.all(sendAll(fetch, reqs));
  self.postMessage(JSON.stringify({ id, results }));
};
