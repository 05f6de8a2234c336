import { MAX_REPLAY, replayRules } from "../modules/platform/rules/replay";
import { cliEnv, defineCommand, FROM_SOURCE, UsageError } from "./command";
import { databaseLabel, openContext } from "./context";

export const replayRulesCommand = defineCommand({
  name: "replay-rules",
  usage: "--last N",
  description: [
    "Evaluates the enabled rules again over the last N events, oldest first, like POST",
    "/api/v1/admin/rules/replay. Each run is logged with replay: true. An action of a rule runs at",
    "most once per event: a rule already applied to an event (live or by an earlier replay) is",
    `logged as such and does nothing. N is 1 to ${MAX_REPLAY.toLocaleString("en-US")}. Refused (exit 1) while the`,
    "rules_engine flag is off.",
  ].join("\n"),
  options: {
    last: { type: "string", value: "N", help: "how many of the latest events to evaluate again" },
  },
  examples: [`${FROM_SOURCE} replay-rules --last=200`],
  async run(v) {
    const last = Number(v.last);
    if (v.last === undefined || !/^\d+$/.test(v.last) || last < 1 || last > MAX_REPLAY) {
      throw new UsageError(`--last must be a whole number from 1 to ${MAX_REPLAY}`, "replay-rules");
    }
    const env = cliEnv();
    const ctx = openContext(env);
    try {
      const r = replayRules(ctx, last, null);
      console.log(`replayed rules over ${r.events} events of ${databaseLabel(env)}`);
      console.log(
        `runs ${r.runs}, matched ${r.matched}, applied ${r.applied}, already applied ${r.already_applied}, failed ${r.failed}`,
      );
      return 0;
    } finally {
      ctx.sqlite.close();
    }
  },
});
