/**
 * The rule document: conditions over an event's facts and the actions to take when they hold.
 * Plain JSON, validated on save (validate.ts) and compiled to closures (evaluate.ts); never eval.
 */

export const OPERATORS = [
  "eq",
  "ne",
  "gt",
  "gte",
  "lt",
  "lte",
  "in",
  "not_in",
  "contains",
  "exists",
] as const;
export type Operator = (typeof OPERATORS)[number];

export const ACTION_TYPES = [
  "create_notification",
  "change_status",
  "assign_tag",
  "assign_flag",
  "request_admin_attention",
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** A fact value a condition compares with: JSON scalars (null counts as a missing fact). */
export type Scalar = string | number | boolean;

export type Leaf = { fact: string; operator: Operator; value?: Scalar | Scalar[] };
export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | Leaf;

export type RuleAction = { type: ActionType; params: Record<string, unknown> };

/** Facts of the event row itself (no path below them). */
export const EVENT_FACTS = ["type", "actor_id", "subject_type", "subject_id"] as const;

/**
 * `actor.<field>`: the user who caused the event. The risk fields are the actor's stored client
 * risk (kept by the scoring module); missing for an actor who has none (false for every operator
 * but `exists`).
 */
export const ACTOR_FIELDS = ["role", "created_at", "telegram_id", "risk_score", "risk_level"] as const;

/** Caps on a saved rule, so one document cannot make every event slow. */
export const LIMITS = {
  /** The JSON of `conditions` plus `actions`, in bytes. */
  documentBytes: 16_384,
  /** Nesting of all/any/not (a bare condition is depth 1). */
  depth: 8,
  /** Condition nodes in the whole tree, groups included. */
  nodes: 100,
  actions: 10,
  /** Items of an `in` / `not_in` list. */
  listItems: 100,
  /** Segments of a `payload.<path>`. */
  pathSegments: 8,
  stringChars: 500,
} as const;

/** Tags and flags: short machine-readable names. */
export const TAG_RE = /^[a-z0-9][a-z0-9_.:-]{0,63}$/;

/** Who `create_notification` may address. `user_id:<n>` is the only way to name a user outside the event. */
export const RECIPIENT_RE = /^(actor|client|expert|admins|user_id:[1-9]\d{0,15})$/;
