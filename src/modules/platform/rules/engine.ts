import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { prepare, preparedPer, sqliteOf } from "../../../db/prepared";
import { ApiError } from "../../../lib/errors";
import type { EmittedEvent } from "../events/service";
import { isEnabled } from "../flags/service";
import { ActionError, runAction } from "./actions";
import { Facts, type RuleEvent } from "./facts";
import { type CompiledRule, rulesFor } from "./rule-index";

/** Events caused by rule actions are evaluated up to this depth (the request's own event is 0). */
export const MAX_DEPTH = 3;
export const RULES_FLAG = "rules_engine";

export type ActionResult = { type: string; ok: boolean; error?: string };
export type RunOutcome = { matched: boolean; applied: boolean; failed: boolean; alreadyApplied: boolean };

const stmts = preparedPer((db) => ({
  run: prepare<
    { id: number },
    [number, number, number, number, number, string, number, number, number, number]
  >(
    db,
    `INSERT INTO rule_runs (rule_id, rule_version, event_id, matched, applied, actions, depth, replay, duration_us, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  ),
  applied: prepare<{ id: number }, [number, number]>(
    db,
    "SELECT id FROM rule_runs WHERE rule_id = ? AND event_id = ? AND applied = 1",
  ),
}));

// Depth of the events being emitted right now: rule actions raise it while they run. Everything
// here is synchronous, so one counter per process is exact.
let activeDepth = 0;

type RunMode = { depth: number; replay: boolean; logUnmatched: boolean };

function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.code}: ${e.message}`;
  if (e instanceof ActionError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

// Thrown inside a rule's savepoint to roll back its actions after one failed.
const ROLLBACK = Symbol("rollback");

function logRun(
  tx: Tx,
  rule: CompiledRule,
  eventId: number,
  r: { matched: boolean; applied: boolean; actions: ActionResult[]; started: number; now: number },
  mode: RunMode,
) {
  const us = Math.round((performance.now() - r.started) * 1000);
  stmts(tx).run.get(
    rule.id,
    rule.version,
    eventId,
    r.matched ? 1 : 0,
    r.applied ? 1 : 0,
    r.actions.length ? JSON.stringify(r.actions) : "[]",
    mode.depth,
    mode.replay ? 1 : 0,
    us,
    r.now,
  );
}

/**
 * One rule on one event: evaluate, then run its actions in a savepoint of their own, so a failing
 * action undoes only this rule's actions and is logged while the caller's change goes on. The
 * applied run is written inside that savepoint: its unique (rule, event) index is what makes an
 * action run at most once per event, replays included.
 */
function runRule(
  ctx: AppContext,
  tx: Tx,
  rule: CompiledRule,
  facts: Facts,
  eventId: number,
  mode: RunMode,
  now: number,
): RunOutcome {
  const started = performance.now();
  const outcome: RunOutcome = { matched: false, applied: false, failed: false, alreadyApplied: false };
  try {
    outcome.matched = rule.test(facts);
  } catch (e) {
    ctx.logger.error({ err: e, rule_id: rule.id, event_id: eventId }, "rule evaluation failed");
    outcome.failed = true;
    logRun(
      tx,
      rule,
      eventId,
      {
        matched: false,
        applied: false,
        actions: [{ type: "evaluate", ok: false, error: errorText(e) }],
        started,
        now,
      },
      mode,
    );
    return outcome;
  }
  if (!outcome.matched) {
    if (mode.logUnmatched)
      logRun(tx, rule, eventId, { matched: false, applied: false, actions: [], started, now }, mode);
    return outcome;
  }
  const skipped = (error: string): ActionResult[] =>
    rule.actions.map((a) => ({ type: a.type, ok: false, error }));
  if (mode.replay && stmts(tx).applied.get(rule.id, eventId)) {
    outcome.alreadyApplied = true;
    logRun(
      tx,
      rule,
      eventId,
      { matched: true, applied: false, actions: skipped("already applied to this event"), started, now },
      mode,
    );
    return outcome;
  }
  let results: ActionResult[] = [];
  const previousDepth = activeDepth;
  activeDepth = mode.depth + 1;
  try {
    sqliteOf(tx).transaction(() => {
      const by = { ruleId: rule.id, ruleVersion: rule.version, ruleName: rule.name, eventId };
      for (const [i, a] of rule.actions.entries()) {
        try {
          runAction({ ctx, tx, facts, by, now }, a);
          results.push({ type: a.type, ok: true });
        } catch (e) {
          if (!(e instanceof ApiError || e instanceof ActionError)) {
            ctx.logger.error(
              { err: e, rule_id: rule.id, event_id: eventId, action: a.type },
              "rule action failed",
            );
          }
          results.push({ type: a.type, ok: false, error: errorText(e) });
          for (const rest of rule.actions.slice(i + 1)) {
            results.push({ type: rest.type, ok: false, error: "not run: an earlier action failed" });
          }
          throw ROLLBACK;
        }
      }
      logRun(tx, rule, eventId, { matched: true, applied: true, actions: results, started, now }, mode);
    })();
    outcome.applied = true;
  } catch (e) {
    if (e !== ROLLBACK) {
      if (String((e as Error)?.message).includes("UNIQUE constraint failed: rule_runs")) {
        outcome.alreadyApplied = true;
        results = skipped("already applied to this event");
      } else {
        ctx.logger.error({ err: e, rule_id: rule.id, event_id: eventId }, "rule run failed");
        results = [{ type: "run", ok: false, error: errorText(e) }];
      }
    }
    outcome.failed = !outcome.alreadyApplied;
    logRun(tx, rule, eventId, { matched: true, applied: false, actions: results, started, now }, mode);
  } finally {
    activeDepth = previousDepth;
  }
  return outcome;
}

export type RulesSummary = {
  runs: number;
  matched: number;
  applied: number;
  failed: number;
  already_applied: number;
};

export const emptySummary = (): RulesSummary => ({
  runs: 0,
  matched: 0,
  applied: 0,
  failed: 0,
  already_applied: 0,
});

/** Every rule for the event, by priority then id, until one that matched says stop_processing. */
export function runRules(
  ctx: AppContext,
  tx: Tx,
  event: RuleEvent & { id: number },
  rules: CompiledRule[],
  mode: RunMode,
  summary: RulesSummary = emptySummary(),
): RulesSummary {
  const now = ctx.clock.now();
  if (mode.depth > MAX_DEPTH) {
    ctx.logger.warn({ event_id: event.id, type: event.type, depth: mode.depth }, "rule depth limit reached");
    const error = `not evaluated: events caused by rules are evaluated up to depth ${MAX_DEPTH}`;
    for (const rule of rules) {
      const r = {
        matched: false,
        applied: false,
        actions: [{ type: "depth_limit", ok: false, error }],
        started: performance.now(),
        now,
      };
      logRun(tx, rule, event.id, r, mode);
      summary.runs++;
      summary.failed++;
    }
    return summary;
  }
  const facts = new Facts(tx, event);
  for (const rule of rules) {
    const o = runRule(ctx, tx, rule, facts, event.id, mode, now);
    summary.runs++;
    if (o.matched) summary.matched++;
    if (o.applied) summary.applied++;
    if (o.failed) summary.failed++;
    if (o.alreadyApplied) summary.already_applied++;
    if (o.matched && rule.stopProcessing) break;
  }
  return summary;
}

/** Rules switched on (flag `rules_engine`, on unless an admin saved it off). */
export const rulesEnabled = (ctx: AppContext) => isEnabled(ctx, RULES_FLAG, null);

/**
 * The `onEmit` subscriber: nothing but a Map lookup when no rule names the event's type. Never
 * throws: a failure of the engine itself is logged and the caller's change commits.
 */
export function rulesOnEmit(ctx: AppContext, tx: Tx, event: EmittedEvent) {
  try {
    const rules = rulesFor(ctx, tx, event.type);
    if (rules.length === 0 || !rulesEnabled(ctx)) return;
    runRules(ctx, tx, event, rules, {
      depth: activeDepth,
      replay: false,
      logUnmatched: ctx.settings.get("rules_log_unmatched"),
    });
  } catch (e) {
    ctx.logger.error({ err: e, event_id: event.id, type: event.type }, "rule engine failed; event kept");
  }
}
