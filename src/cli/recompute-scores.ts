import { RECOMPUTE_BATCH, recomputeScores } from "../modules/scoring/recompute";
import { cliEnv, defineCommand, FROM_SOURCE, UsageError } from "./command";
import { databaseLabel, openContext } from "./context";

export const recomputeScoresCommand = defineCommand({
  name: "recompute-scores",
  usage: "[--batch N]",
  description: [
    "Rebuilds every client risk score and expert score from the orders and reviews, as the nightly",
    "schedule scores-recompute does, and prints a progress line per batch of users. Each batch is",
    "one short transaction, so a running server keeps serving while it works. The last line says",
    "how many rows were corrected, that is, stored figures that differed from the recount (0 when",
    "the live upkeep missed nothing). Run it once after upgrading a database that has users.",
  ].join("\n"),
  options: {
    batch: {
      type: "string",
      value: "N",
      help: `users per transaction, 1 to 100000 (default ${RECOMPUTE_BATCH})`,
    },
  },
  examples: [`${FROM_SOURCE} recompute-scores`, `${FROM_SOURCE} recompute-scores --batch=5000`],
  async run(v) {
    const batch = v.batch === undefined ? RECOMPUTE_BATCH : Number(v.batch);
    if (!/^\d+$/.test(v.batch ?? "1") || batch < 1 || batch > 100_000) {
      throw new UsageError("--batch must be a whole number from 1 to 100000", "recompute-scores");
    }
    const env = cliEnv();
    const ctx = openContext(env);
    try {
      console.log(`recomputing scores in ${databaseLabel(env)}`);
      const started = performance.now();
      const r = recomputeScores(ctx, {
        batch,
        onProgress: (p) =>
          console.log(`users ${p.done}/${p.total}: ${p.clients} client risks, ${p.experts} expert scores`),
      });
      const ms = Math.round(performance.now() - started);
      console.log(
        `done in ${ms} ms: ${r.clients} client risks, ${r.experts} expert scores, ${r.corrected} rows corrected`,
      );
      return 0;
    } finally {
      ctx.sqlite.close();
    }
  },
});
