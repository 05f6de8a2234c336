/**
 * `bun bench/batch.ts [--events 1000000] [--connections 8] [--batch 100]`: batched usage
 * throughput and memory. Starts souk as a real process on a fresh data dir with one user holding
 * enough minutes, sends POST /api/v1/usage/batch with `--batch` events per request over
 * `--connections` concurrent loops until `--events` have been recorded, then reports events/s,
 * request latency percentiles and the server's RSS (from /proc) after the run. Loopback only;
 * bounded by the event count and a 10-minute deadline.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { seedMinutes, startServer, tempDataDir } from "../tests/helpers/server";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    events: { type: "string", default: "1000000" },
    connections: { type: "string", default: "8" },
    batch: { type: "string", default: "100" },
  },
});
const total = Number(values.events);
const conns = Number(values.connections);
const size = Number(values.batch);

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : -1;
};

const dir = tempDataDir();
const { key } = seedMinutes(dir, total * 15 + 1000);
const server = await startServer(dir);
const rssStart = rssMb(server.proc.pid);

let sent = 0;
let recorded = 0;
let failed = 0;
const latencies: number[] = [];
const deadline = Date.now() + 10 * 60_000;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: conns }, async () => {
    while (sent < total && Date.now() < deadline) {
      const first = sent;
      sent += size;
      const events = Array.from({ length: Math.min(size, total - first) }, (_, i) => ({
        id: `e${first + i}`,
        seconds: 7,
      }));
      const t = performance.now();
      const res = await fetch(`${server.url}/api/v1/usage/batch`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ events }),
      });
      latencies.push(performance.now() - t);
      const body = (await res.json()) as { recorded?: number; failed?: number };
      recorded += body.recorded ?? 0;
      failed += res.ok ? (body.failed ?? 0) : events.length;
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
const rssEnd = rssMb(server.proc.pid);
Bun.gc(true);
await Bun.sleep(200);
const balance = (await (
  await fetch(`${server.url}/api/v1/users/me/balance`, { headers: { authorization: `Bearer ${key}` } })
).json()) as { remaining_seconds: number };
await server.stop();

latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! * 10) / 10;
const result = {
  events: recorded,
  failed,
  seconds: Math.round(seconds * 100) / 100,
  events_per_second: Math.round(recorded / seconds),
  batch_size: size,
  connections: conns,
  request_p50_ms: pct(50),
  request_p99_ms: pct(99),
  rss_mb_start: rssStart,
  rss_mb_after: rssEnd,
  remaining_seconds_after: balance.remaining_seconds,
};
console.log(JSON.stringify(result, null, 2));
