import { and, asc, desc, eq, isNull, type SQL } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { events, ruleRuns, rules } from "../../../db/schema";
import { write } from "../../../db/write";
import { notFound } from "../../../lib/errors";
import { type PageQuery, pageOf } from "../../../lib/pagination";
import { iso, isoOrNull } from "../../../lib/time";
import { type ActionActor, recordAdminAction } from "../audit";
import { matchesEventPattern } from "../events/types";
import type { Condition, RuleAction } from "./document";
import { traceConditions } from "./evaluate";
import { Facts, type RuleEvent } from "./facts";
import { invalidateRules, type RuleRow } from "./rule-index";
import type { RuleCreate, RulePatch, TestInput } from "./schemas";
import { assertValidRule } from "./validate";

export function serializeRule(r: RuleRow) {
  return {
    id: r.id,
    name: r.name,
    event_type: r.eventType,
    enabled: r.enabled,
    priority: r.priority,
    conditions: r.conditions as Record<string, unknown>,
    actions: r.actions as RuleAction[],
    stop_processing: r.stopProcessing,
    version: r.version,
    created_by: r.createdBy,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
    deleted_at: isoOrNull(r.deletedAt),
  };
}

const serializeRun = (r: typeof ruleRuns.$inferSelect) => ({
  id: r.id,
  rule_id: r.ruleId,
  rule_version: r.ruleVersion,
  event_id: r.eventId,
  matched: r.matched,
  applied: r.applied,
  actions: r.actions,
  depth: r.depth,
  replay: r.replay,
  duration_us: r.durationUs,
  created_at: iso(r.createdAt),
});

const live = (id: number) => and(eq(rules.id, id), isNull(rules.deletedAt));

function findRule(db: AppContext["db"] | Tx, id: number): RuleRow {
  const r = db.select().from(rules).where(live(id)).get();
  if (!r) throw notFound("rule");
  return r;
}

/** A rule write, then the index is rebuilt from the database (whether or not the write committed). */
function ruleWrite<T>(ctx: AppContext, fn: (tx: Tx, now: number) => T): T {
  try {
    return write(ctx, fn);
  } finally {
    invalidateRules(ctx);
  }
}

export function listRules(
  ctx: AppContext,
  q: PageQuery & { event_type?: string; enabled?: "true" | "false" },
) {
  const where = and(
    isNull(rules.deletedAt),
    q.event_type ? eq(rules.eventType, q.event_type) : undefined,
    q.enabled ? eq(rules.enabled, q.enabled === "true") : undefined,
  );
  const { total, rows } = pageOf(ctx.db, rules, where, q, desc(rules.priority), asc(rules.id));
  return { total, results: rows.map(serializeRule) };
}

export const getRule = (ctx: AppContext, id: number) => serializeRule(findRule(ctx.db, id));

export function createRule(ctx: AppContext, actor: ActionActor, body: RuleCreate) {
  assertValidRule(body);
  return ruleWrite(ctx, (tx, now) => {
    const row = tx
      .insert(rules)
      .values({
        name: body.name,
        eventType: body.event_type,
        enabled: body.enabled,
        priority: body.priority,
        conditions: body.conditions,
        actions: body.actions,
        stopProcessing: body.stop_processing,
        version: 1,
        createdBy: actor.id,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    const rule = serializeRule(row);
    recordAdminAction(tx, now, actor, {
      action: "rule.created",
      targetType: "rule",
      targetId: row.id,
      details: { rule },
      changed: true,
    });
    return rule;
  });
}

/** Every edit bumps the version; runs record the version they evaluated. */
export function updateRule(ctx: AppContext, actor: ActionActor, id: number, patch: RulePatch) {
  assertValidRule(patch);
  return ruleWrite(ctx, (tx, now) => {
    const before = serializeRule(findRule(tx, id));
    const row = tx
      .update(rules)
      .set({
        name: patch.name,
        eventType: patch.event_type,
        enabled: patch.enabled,
        priority: patch.priority,
        conditions: patch.conditions,
        actions: patch.actions,
        stopProcessing: patch.stop_processing,
        version: before.version + 1,
        updatedAt: now,
      })
      .where(eq(rules.id, id))
      .returning()
      .get();
    const after = serializeRule(row);
    recordAdminAction(tx, now, actor, {
      action: "rule.updated",
      targetType: "rule",
      targetId: id,
      details: { changed: Object.keys(patch), before, after },
      changed: true,
    });
    return after;
  });
}

/** Soft delete: the row stays for its runs, tags and attention items; it never runs again. */
export function deleteRule(ctx: AppContext, actor: ActionActor, id: number) {
  return ruleWrite(ctx, (tx, now) => {
    const before = findRule(tx, id);
    const row = tx
      .update(rules)
      .set({ deletedAt: now, updatedAt: now })
      .where(eq(rules.id, id))
      .returning()
      .get();
    recordAdminAction(tx, now, actor, {
      action: "rule.deleted",
      targetType: "rule",
      targetId: id,
      details: { name: before.name, version: before.version },
      changed: true,
    });
    return serializeRule(row);
  });
}

export function listRuns(
  ctx: AppContext,
  id: number,
  q: PageQuery & { matched?: "true" | "false"; applied?: "true" | "false" },
) {
  // Deleted rules keep their log.
  if (!ctx.db.select({ id: rules.id }).from(rules).where(eq(rules.id, id)).get()) throw notFound("rule");
  const where = and(
    eq(ruleRuns.ruleId, id),
    q.matched ? eq(ruleRuns.matched, q.matched === "true") : undefined,
    q.applied ? eq(ruleRuns.applied, q.applied === "true") : undefined,
  ) as SQL;
  const { total, rows } = pageOf(ctx.db, ruleRuns, where, q, desc(ruleRuns.id));
  return { total, results: rows.map(serializeRun) };
}

function testEvent(ctx: AppContext, input: TestInput): RuleEvent {
  if (input.event_id !== undefined) {
    const e = ctx.db.select().from(events).where(eq(events.id, input.event_id)).get();
    if (!e) throw notFound("event");
    return e;
  }
  const e = input.event!;
  return {
    id: null,
    type: e.type,
    actorId: e.actor_id ?? null,
    subjectType: e.subject_type ?? null,
    subjectId: e.subject_id == null ? null : String(e.subject_id),
    payload: e.payload,
  };
}

/**
 * The dry run: the rule's conditions on an event (recorded or made up), every condition traced,
 * and the actions it would take. Reads only: nothing is written, no action runs.
 */
export function testRule(ctx: AppContext, id: number, input: TestInput) {
  const rule = findRule(ctx.db, id);
  const event = testEvent(ctx, input);
  const { result, trace } = traceConditions(rule.conditions as Condition, new Facts(ctx.db, event));
  const typeMatched = matchesEventPattern(rule.eventType, event.type);
  const matched = typeMatched && result;
  return {
    matched,
    event_type_matched: typeMatched,
    trace,
    actions: matched ? (rule.actions as RuleAction[]) : [],
  };
}
