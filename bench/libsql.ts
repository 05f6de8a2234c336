/**
 * `bun bench/libsql.ts [--duration 5] [--connections 16]`: souk on one SQLite file against souk on
 * libSQL (a real sqld on loopback, a primary node and an edge node), in the same run.
 *
 *   - reads: GET /users/me/balance on the one-file node and on the edge's embedded replica;
 *   - writes: POST /usage/record on the one-file node, on the primary node (each statement a
 *     round trip to sqld) and through the edge (forwarded over HTTP to the primary);
 *   - the event loop: the largest delay prom-client saw on the edge and on the primary during
 *     the write runs (`nodejs_eventloop_lag_{p99,max}_seconds`, reset by each scrape), and
 *     on the edge while idle.
 *
 * Prints one JSON object. Loopback only; each run is bounded by load.ts's deadline.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { seedMinutes, startServer, tempDataDir } from "../tests/helpers/server";
import { startSqld } from "../tests/helpers/sqld";
import { type LoadResult, runLoad } from "./load";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { duration: { type: "string", default: "5" }, connections: { type: "string", default: "16" } },
});
const durationSeconds = Number(values.duration);
const connections = Number(values.connections);
const JWT_SECRET = "bench-secret-0123456789abcdef0123456789";
const SECONDS = 50_000_000;

const dir = tempDataDir();
const sqld = await startSqld(join(dir, "sqld"));
const libsqlEnv = { DATABASE_URL: sqld.url, JWT_SECRET, LIBSQL_SYNC_INTERVAL_MS: "1000" };
const local = seedMinutes(join(dir, "local"), SECONDS);
const remote = seedMinutes(join(dir, "seed"), SECONDS, libsqlEnv);
const single = await startServer(join(dir, "local"));
const primary = await startServer(join(dir, "primary"), libsqlEnv);
const edge = await startServer(join(dir, "edge"), { ...libsqlEnv, PRIMARY_URL: primary.url });

const summary = (r: LoadResult) => ({
  rps: Math.round(r.rps),
  p50_ms: r.latency_ms.p50,
  p99_ms: r.latency_ms.p99,
  errors: r.errors,
});

/**
 * The event-loop delay since the previous scrape, in ms: p99 and max. The max includes the
 * previous scrape's own rendering (18-35 ms on an idle node here), hence the idle baseline.
 */
async function loopLagMaxMs(url: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => {
    const m = new RegExp(`^nodejs_eventloop_lag_${name}_seconds ([\\d.e-]+)$`, "m").exec(text);
    return m ? Math.round(Number(m[1]) * 10_000) / 10 : -1;
  };
  return { p99: read("p99"), max: read("max") };
}

const read = (url: string, key: string) =>
  runLoad({
    url: `${url}/api/v1/users/me/balance`,
    headers: { authorization: `Bearer ${key}` },
    connections,
    durationSeconds,
    warmupSeconds: 1,
    expect: 200,
  });

const write = (url: string, key: string, tag: string) =>
  runLoad({
    url: `${url}/api/v1/usage/record`,
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: `{"id":"${tag}-{{n}}","seconds":7}`,
    connections,
    durationSeconds,
    warmupSeconds: 1,
    expect: 201,
  });

try {
  const readSingle = await read(single.url, local.key);
  const readEdge = await read(edge.url, remote.key);
  await loopLagMaxMs(edge.url);
  await Bun.sleep(durationSeconds * 1000);
  const lagEdgeIdle = await loopLagMaxMs(edge.url);
  await loopLagMaxMs(single.url);
  const writeSingle = await write(single.url, local.key, "s");
  const lagSingle = await loopLagMaxMs(single.url);
  await loopLagMaxMs(primary.url);
  const writePrimary = await write(primary.url, remote.key, "p");
  const lagPrimaryDirect = await loopLagMaxMs(primary.url);
  await loopLagMaxMs(edge.url);
  const writeEdge = await write(edge.url, remote.key, "e");
  const lagEdge = await loopLagMaxMs(edge.url);
  const lagPrimaryForwarded = await loopLagMaxMs(primary.url);
  // One write at a time: the round trip a write costs on each path, without queueing.
  const one = async (url: string, key: string, tag: string) => {
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      const r = await fetch(`${url}/api/v1/usage/record`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ id: `${tag}-${i}`, seconds: 7 }),
      });
      await r.arrayBuffer();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return Math.round(times[100]! * 100) / 100;
  };
  const serial = {
    single_ms: await one(single.url, local.key, "s1"),
    primary_ms: await one(primary.url, remote.key, "p1"),
    edge_ms: await one(edge.url, remote.key, "e1"),
  };
  console.log(
    JSON.stringify(
      {
        connections,
        duration_s: durationSeconds,
        read_balance: {
          single_file: summary(readSingle),
          edge_replica: summary(readEdge),
          edge_vs_single: Math.round((readEdge.rps / readSingle.rps) * 100) / 100,
        },
        write_usage: {
          single_file: summary(writeSingle),
          primary_node: summary(writePrimary),
          through_edge: summary(writeEdge),
        },
        write_median_one_at_a_time: serial,
        event_loop_max_delay_ms: {
          edge_idle: lagEdgeIdle,
          single_file_while_writing: lagSingle,
          primary_while_writing: lagPrimaryDirect,
          edge_while_forwarding_writes: lagEdge,
          primary_while_edge_forwarded: lagPrimaryForwarded,
        },
      },
      null,
      2,
    ),
  );
} finally {
  await Promise.all([single, primary, edge].map((s) => s.stop()));
  await sqld.stop();
}
