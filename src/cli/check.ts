import { checkInvariants } from "../modules/ledger/check";
import { cliEnv, defineCommand } from "./command";
import { databaseLabel, openContext } from "./context";

export const check = defineCommand({
  name: "check",
  usage: "",
  description: [
    "Checks the books of the database and prints one line per check: the ledger sums to zero per",
    "currency, no account is negative, cached balances equal their transfers, each client's held",
    "money equals the escrow of their orders, and grants agree with their allocations. Exits 1 when",
    "any check fails (with the first offending rows), so it can guard a backup or a deploy.",
  ].join("\n"),
  options: {},
  async run() {
    const env = cliEnv();
    const ctx = openContext(env);
    try {
      const report = checkInvariants(ctx);
      console.log(`checking ${databaseLabel(env)}`);
      for (const c of report.checks) {
        console.log(
          `${c.ok ? "ok  " : "FAIL"} ${c.name}${c.ok ? "" : ` (${c.details.violations} violations)`}`,
        );
        for (const row of c.ok ? [] : c.details.rows) console.log(`       ${JSON.stringify(row)}`);
      }
      console.log(report.ok ? "all checks passed" : "some checks failed");
      return report.ok ? 0 : 1;
    } finally {
      ctx.sqlite.close();
    }
  },
});
