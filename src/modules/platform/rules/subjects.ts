import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";

/** The rule and event on whose behalf an action runs (recorded with the change). */
export type RuleActor = { ruleId: number; ruleVersion: number; ruleName: string; eventId: number };

/**
 * What the platform knows about one kind of subject (an `order`, …): the owning module registers it
 * at load, so the rule engine reads facts and changes statuses without importing that module.
 */
export type SubjectHandler = {
  /** Offered as `subject.<field>`. */
  fields: readonly string[];
  /** The subject's facts, or undefined when it does not exist. */
  load(db: Queryable, id: string): Record<string, unknown> | undefined;
  /** Who `create_notification` means by `client` and `expert`. */
  parties?(facts: Record<string, unknown>): { client?: number | null; expert?: number | null };
  /** Statuses `change_status` may name (checked on save). */
  statuses?: readonly string[];
  /**
   * Moves the subject to `to` the way the module's own routes do and returns the status it left;
   * throws (an ApiError) when its state machine refuses. Runs in the rule's savepoint, so a throw
   * undoes only that rule.
   */
  changeStatus?(ctx: AppContext, tx: Tx, id: string, to: string, by: RuleActor): { from: string };
};

const handlers = new Map<string, SubjectHandler>();

export function registerSubjectHandler(subjectType: string, handler: SubjectHandler) {
  handlers.set(subjectType, handler);
}

export const subjectHandler = (subjectType: string | null): SubjectHandler | undefined =>
  subjectType == null ? undefined : handlers.get(subjectType);

/** `subject.<field>` names some registered subject offers. */
export const knownSubjectFields = (): Set<string> =>
  new Set([...handlers.values()].flatMap((h) => [...h.fields]));

/** Statuses some registered subject can be moved to. */
export const knownStatuses = (): Set<string> =>
  new Set([...handlers.values()].flatMap((h) => [...(h.statuses ?? [])]));
