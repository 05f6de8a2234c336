import { desc } from "drizzle-orm";
import type { AppContext } from "../../../context";
import { events } from "../../../db/schema";
import { write } from "../../../db/write";
import { conflict } from "../../../lib/errors";
import { type ActionActor, audit } from "../audit";
import { emit } from "../events/service";
import { emptySummary, RULES_FLAG, type RulesSummary, rulesEnabled, runRules } from "./engine";
import { rulesFor } from "./rule-index";

/** The most events one replay goes back over. */
export const MAX_REPLAY = 10_000;
/** Events replayed per write transaction, so a long replay does not hold the writer for long. */
const CHUNK = 200;

export type ReplayResult = RulesSummary & { events: number };

/**
 * Evaluates today's enabled rules again over the last `last` events, oldest first, and logs each
 * run with `replay: true`. An action of a rule is applied at most once per event: a rule that was
 * already applied to an event is logged as such and does nothing.
 */
export function replayRules(ctx: AppContext, last: number, actor: ActionActor | null): ReplayResult {
  if (!rulesEnabled(ctx)) throw conflict(`rules are switched off (flag ${RULES_FLAG})`, { flag: RULES_FLAG });
  const rows = ctx.db
    .select()
    .from(events)
    .orderBy(desc(events.id))
    .limit(Math.min(last, MAX_REPLAY))
    .all()
    .reverse();
  const summary = emptySummary();
  const logUnmatched = ctx.settings.get("rules_log_unmatched");
  for (let i = 0; i < rows.length; i += CHUNK) {
    write(ctx, (tx) => {
      for (const e of rows.slice(i, i + CHUNK)) {
        const rules = rulesFor(ctx, tx, e.type);
        if (rules.length === 0) continue;
        runRules(ctx, tx, e, rules, { depth: 0, replay: true, logUnmatched }, summary);
      }
    });
  }
  const result = { events: rows.length, ...summary };
  write(ctx, (tx, now) => {
    const details = { last, ...result };
    const actorId = actor?.id ?? null;
    audit(tx, now, {
      actorId,
      action: "rule.replayed",
      targetType: "rule",
      details,
      ip: actor?.ip,
      requestId: actor?.requestId,
    });
    emit(tx, now, { type: "rule.replayed", actorId, subjectType: "rule", payload: details });
  });
  return result;
}
