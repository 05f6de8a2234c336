/**
 * What one webhook delivery costs souk, in CPU time of its process (all threads), split by part:
 * M deliveries queued, then drained by the job worker's webhook pump against (a) a stubbed fetch
 * that answers at once, (b) a real receiver in another process on loopback. Run on an otherwise idle machine:
 *
 *   bun bench/webhook-cost.ts [--n 5000]
 */
import { parseArgs } from "node:util";
import { write } from "../src/db/write";
import { enqueueDelivery } from "../src/modules/platform/webhooks/deliveries";
import { addEndpoint, webhookBenchContext } from "./webhook-fixture";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { n: { type: "string", default: "5000" } },
});
const N = Number(values.n);

const port = 20000 + Math.floor(Math.random() * 20000);
const rx = Bun.spawn([
  process.execPath,
  "-e",
  `Bun.serve({port:${port},hostname:"127.0.0.1",async fetch(r){await r.text();return new Response(null,{status:204})}});`,
]);
await Bun.sleep(300);

const bench = webhookBenchContext("whcost");
const real = bench.ctx;
const ep = addEndpoint(real, `http://127.0.0.1:${port}/hook`, ["*"]);

function queue(ctx: typeof real, n: number) {
  write(ctx, (tx) => {
    for (let i = 0; i < n; i++)
      enqueueDelivery(ctx, tx, ep.id, {
        type: "user.profile_updated",
        payload: { id: i, first_name: `n${i}`, x: "y".repeat(200) },
      } as never);
  });
}

async function measure(label: string, ctx: typeof real) {
  queue(ctx, N);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let done = 0;
  while (done < N) done += await ctx.jobs.drain(ctx, N - done);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const us = (c.user + c.system) / N;
  console.log(
    JSON.stringify({
      label,
      n: N,
      per_second: Math.round(N / (wall / 1000)),
      cpu_us_per_delivery: Math.round(us),
    }),
  );
}

await measure("real receiver (warm-up)", real);
await measure("real receiver", real);
const stub = { ...real, fetch: (async () => new Response(null, { status: 204 })) as unknown as typeof fetch };
Object.setPrototypeOf(stub, Object.getPrototypeOf(real));
await measure("stubbed fetch", stub as typeof real);
rx.kill();
bench.dispose();
process.exit(0);
