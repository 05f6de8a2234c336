/**
 * Where a webhook delivery's time goes on the thread that serves the API (the sender thread's
 * HTTP request and the signature excluded, both the sender's work): the fan-out in the event's
 * transaction (an event row; the deliveries are made after its commit), then the worker's pass:
 * fan-out, due select, url check and the outcomes' commit, against a sender that answers at once.
 * Also the bytes each part writes (Linux: /proc/self/io), WAL pages above all.
 * In process, on a temp file database with the server's checkpoint thread, 10 endpoints
 * subscribed to the event:
 *
 *   bun bench/webhook-parts.ts [--events 3000] [--endpoints 10]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startCheckpointer } from "../src/db/checkpointer";
import { write } from "../src/db/write";
import { emit } from "../src/modules/platform/events/service";
import { useSender } from "../src/modules/platform/webhooks/send";
import { addEndpoint, webhookBenchContext } from "./webhook-fixture";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    events: { type: "string", default: "3000" },
    endpoints: { type: "string", default: "10" },
    // Events written between two drains: 1 is a server at 100 events/s (batches of 10 deliveries).
    "events-per-drain": { type: "string", default: "1" },
  },
});
const EVENTS = Number(values.events);
const ENDPOINTS = Number(values.endpoints);
const PER_DRAIN = Number(values["events-per-drain"]);

const bench = webhookBenchContext("whparts");
const ctx = bench.ctx;
// As in a server: checkpoints on their own thread, not in the commits measured here.
const checkpointer = startCheckpointer(ctx.sqlite, ctx.logger);
for (let k = 0; k < ENDPOINTS; k++)
  addEndpoint(ctx, `http://127.0.0.1:9/hook/${k}`, ["user.profile_updated"]);
// A sender thread that answers at once: what is left is the API thread's own work.
useSender(ctx, async () => ({ ok: true, status: 204, text: "", ms: 0 }));

/** Bytes this process has passed to write(2) and friends: SQLite's WAL frames, for one. */
const written = () => Number(/wchar: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"))?.[1] ?? 0);

const cpu = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

// One event per transaction, like PATCH /me.
const event = (i: number) =>
  write(ctx, (tx, now) =>
    emit(tx, now, {
      type: "user.profile_updated",
      actorId: 1,
      subjectType: "user",
      subjectId: 1,
      payload: { first_name: `n${i}`, last_name: "Bench", username: "bench_user" },
    }),
  );

async function round() {
  let fanout = 0;
  let drain = 0;
  let batches = 0;
  let fanoutBytes = 0;
  let drainBytes = 0;
  for (let i = 0; i < EVENTS; i += PER_DRAIN) {
    const c0 = cpu();
    const w0 = written();
    for (let k = 0; k < PER_DRAIN; k++) event(i + k);
    const c1 = cpu();
    const w1 = written();
    let left = PER_DRAIN * ENDPOINTS;
    while (left > 0) {
      left -= await ctx.jobs.drain(ctx, left);
      batches++;
    }
    drain += cpu() - c1;
    fanout += c1 - c0;
    drainBytes += written() - w1;
    fanoutBytes += w1 - w0;
  }
  const n = EVENTS * ENDPOINTS;
  return {
    deliveries: n,
    deliveries_per_drain: Math.round(n / batches),
    fanout_us_per_delivery: Math.round((fanout / n) * 10) / 10,
    drain_us_per_delivery: Math.round((drain / n) * 10) / 10,
    fanout_bytes_written_per_delivery: Math.round(fanoutBytes / n),
    drain_bytes_written_per_delivery: Math.round(drainBytes / n),
  };
}

await round(); // warm-up
console.log(JSON.stringify(await round()));
console.log(JSON.stringify(await round()));
checkpointer?.stop();
bench.dispose();
process.exit(0);
