/**
 * The rule document as the API reads and writes it (docs/platform.md, "Rules"): a condition tree
 * of all/any/not groups over {fact, operator, value} comparisons, and a list of actions.
 */
export type Leaf = { fact: string; operator: string; value?: unknown };
export type Node = { all: Node[] } | { any: Node[] } | { not: Node } | Leaf;
export type Action = { type: string; params: Record<string, unknown> };

export type Rule = {
  id: number;
  name: string;
  event_type: string;
  enabled: boolean;
  priority: number;
  conditions: Node;
  actions: Action[];
  stop_processing: boolean;
  version: number;
  created_by: number | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
};

export const OPERATORS: { op: string; label: string }[] = [
  { op: "eq", label: "equals" },
  { op: "ne", label: "does not equal" },
  { op: "gt", label: "greater than" },
  { op: "gte", label: "at least" },
  { op: "lt", label: "less than" },
  { op: "lte", label: "at most" },
  { op: "in", label: "is one of" },
  { op: "not_in", label: "is none of" },
  { op: "contains", label: "contains" },
  { op: "exists", label: "exists" },
];

export const LIST_OPERATORS = ["in", "not_in"];

/** Facts the engine reads; `payload.<path>` is open-ended. */
export const FACTS = [
  "type",
  "actor_id",
  "subject_type",
  "subject_id",
  "payload.",
  "actor.role",
  "actor.created_at",
  "actor.telegram_id",
  "actor.risk_score",
  "actor.risk_level",
  "subject.status",
  "subject.price",
  "subject.client_id",
  "subject.expert_id",
  "subject.kind",
];

/** Each action type's parameters, with a hint of what the API accepts. */
export const ACTION_PARAMS: Record<string, { key: string; hint: string; long?: boolean }[]> = {
  create_notification: [
    { key: "to", hint: "actor, client, expert, admins or user_id:<id>" },
    { key: "title", hint: "up to 200 characters" },
    { key: "message", hint: "up to 2000 characters", long: true },
  ],
  change_status: [{ key: "to", hint: "cancelled, declined_by_expert, disputed, in_progress, delivered…" }],
  assign_tag: [{ key: "tag", hint: "a-z 0-9 _ . : - (up to 64)" }],
  assign_flag: [{ key: "flag", hint: "a-z 0-9 _ . : - (up to 64)" }],
  request_admin_attention: [{ key: "reason", hint: "up to 500 characters", long: true }],
};

export type Kind = "all" | "any" | "not" | "leaf" | "other";

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** What a node is; `other` is a shape the visual editor cannot show (the JSON view can). */
export function kindOf(node: unknown): Kind {
  if (!isObject(node)) return "other";
  const keys = Object.keys(node);
  if (keys.length === 1 && (keys[0] === "all" || keys[0] === "any") && Array.isArray(node[keys[0]]))
    return keys[0];
  if (keys.length === 1 && keys[0] === "not") return "not";
  if ("fact" in node && keys.every((k) => k === "fact" || k === "operator" || k === "value")) return "leaf";
  return "other";
}

export const newLeaf = (): Leaf => ({ fact: "", operator: "eq", value: "" });
export const newGroup = (): Node => ({ all: [newLeaf()] });

/** The children of a group node (a `not` has one). */
export function childrenOf(node: Node): Node[] {
  if ("all" in node) return node.all;
  if ("any" in node) return node.any;
  if ("not" in node) return [node.not];
  return [];
}

/** The same children under another group kind; `not` keeps the first. */
export function regroup(node: Node, kind: "all" | "any" | "not"): Node {
  const kids = childrenOf(node);
  if (kind === "not") return { not: kids[0] ?? newLeaf() };
  return kind === "all" ? { all: kids } : { any: kids };
}

/** The value a comparison keeps when its operator changes: a list for in/not_in, none for exists. */
export function reoperate(leaf: Leaf, operator: string): Leaf {
  const { value } = leaf;
  if (operator === "exists") return { fact: leaf.fact, operator };
  if (LIST_OPERATORS.includes(operator)) {
    const list = Array.isArray(value) ? value : value === undefined || value === "" ? [] : [value];
    return { fact: leaf.fact, operator, value: list };
  }
  const scalar = Array.isArray(value) ? value[0] : value;
  return { fact: leaf.fact, operator, value: scalar ?? "" };
}
