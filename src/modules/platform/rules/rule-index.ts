import type { Database } from "bun:sqlite";
import { and, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable } from "../../../db/client";
import { sqliteOf } from "../../../db/prepared";
import { rules } from "../../../db/schema";
import { matchesEventPattern } from "../events/types";
import type { Condition, RuleAction } from "./document";
import { compile, type Predicate } from "./evaluate";

export type RuleRow = typeof rules.$inferSelect;

/** An enabled rule, ready to run: its conditions compiled once, not per event. */
export type CompiledRule = {
  id: number;
  version: number;
  name: string;
  eventType: string;
  priority: number;
  stopProcessing: boolean;
  test: Predicate;
  actions: RuleAction[];
};

type RuleIndex = {
  /** Rules on one exact type. */
  exact: Map<string, CompiledRule[]>;
  /** `order.*` and `*`: few in practice, checked against each new type once. */
  patterns: CompiledRule[];
  /** The answer per event type, built on first use: one Map lookup per event after that. */
  byType: Map<string, CompiledRule[]>;
  loadedAt: number;
};

// One index per database connection (each test's :memory: database has its own).
const indexes = new WeakMap<Database, RuleIndex>();

/**
 * Writes through this process rebuild the index at once; another process writing the same
 * database (a second node) is picked up after this long.
 */
export const RULE_INDEX_TTL_MS = 5_000;

/** Evaluation order: higher priority first, then the older rule. */
export const byPriority = (a: { priority: number; id: number }, b: { priority: number; id: number }) =>
  b.priority - a.priority || a.id - b.id;

export function compileRule(r: RuleRow): CompiledRule {
  return {
    id: r.id,
    version: r.version,
    name: r.name,
    eventType: r.eventType,
    priority: r.priority,
    stopProcessing: r.stopProcessing,
    test: compile(r.conditions as Condition),
    actions: r.actions as RuleAction[],
  };
}

function load(ctx: AppContext, db: Queryable, now: number): RuleIndex {
  const index: RuleIndex = { exact: new Map(), patterns: [], byType: new Map(), loadedAt: now };
  const rows = db
    .select()
    .from(rules)
    .where(and(eq(rules.enabled, true), isNull(rules.deletedAt)))
    .all();
  for (const row of rows) {
    let rule: CompiledRule;
    try {
      rule = compileRule(row);
    } catch (e) {
      // Validated on save, so only a hand-edited row gets here: skip it, keep the others.
      ctx.logger.error({ err: e, rule_id: row.id }, "rule does not compile; skipped");
      continue;
    }
    if (row.eventType === "*" || row.eventType.endsWith(".*")) index.patterns.push(rule);
    else {
      const list = index.exact.get(row.eventType);
      if (list) list.push(rule);
      else index.exact.set(row.eventType, [rule]);
    }
  }
  return index;
}

const NONE: CompiledRule[] = [];

/** The enabled rules for an event type, in evaluation order; an empty list costs one Map lookup. */
export function rulesFor(ctx: AppContext, db: Queryable, type: string): CompiledRule[] {
  const sqlite = sqliteOf(db);
  const now = ctx.clock.now();
  let index = indexes.get(sqlite);
  if (!index || now - index.loadedAt >= RULE_INDEX_TTL_MS || now < index.loadedAt) {
    index = load(ctx, db, now);
    indexes.set(sqlite, index);
  }
  let list = index.byType.get(type);
  if (list === undefined) {
    const matching = [
      ...(index.exact.get(type) ?? NONE),
      ...index.patterns.filter((r) => matchesEventPattern(r.eventType, type)),
    ];
    list = matching.length ? matching.sort(byPriority) : NONE;
    index.byType.set(type, list);
  }
  return list;
}

/** Called after every rule write (committed or not): the next event loads the rules again. */
export function invalidateRules(ctx: AppContext) {
  indexes.delete(ctx.sqlite);
}
