import { ApiError } from "../../../lib/errors";
import { isValidEventPattern } from "../events/types";
import {
  ACTION_TYPES,
  type ActionType,
  LIMITS,
  OPERATORS,
  type Operator,
  RECIPIENT_RE,
  TAG_RE,
} from "./document";
import { parseFact } from "./facts";
import { knownStatuses } from "./subjects";

export type Issue = { path: string; message: string };

/** Validation reports the document's paths under the body, like every other route (`json.…`). */
const ROOT = "json";
const MAX_ISSUES = 20;

type Check = { issues: Issue[]; nodes: number };

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function add(c: Check, path: string, message: string) {
  if (c.issues.length < MAX_ISSUES) c.issues.push({ path, message });
}

function isScalar(v: unknown): boolean {
  if (typeof v === "string") return v.length <= LIMITS.stringChars;
  return typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
}

function unknownKeys(c: Check, node: Record<string, unknown>, allowed: readonly string[], path: string) {
  for (const k of Object.keys(node)) if (!allowed.includes(k)) add(c, `${path}.${k}`, "unknown field");
}

function checkValue(c: Check, op: Operator, value: unknown, path: string) {
  const at = `${path}.value`;
  switch (op) {
    case "exists":
      if (value !== undefined && typeof value !== "boolean")
        add(c, at, "exists takes true, false or no value");
      return;
    case "eq":
    case "ne":
    case "contains":
      if (!isScalar(value))
        add(c, at, `${op} needs a string (≤ ${LIMITS.stringChars} chars), number or boolean`);
      return;
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      if (!(typeof value === "number" && Number.isFinite(value)) && typeof value !== "string")
        add(c, at, `${op} needs a number or a string`);
      return;
    case "in":
    case "not_in":
      if (!Array.isArray(value) || value.length === 0 || value.length > LIMITS.listItems)
        add(c, at, `${op} needs a list of 1 to ${LIMITS.listItems} values`);
      else
        for (const [i, v] of value.entries()) {
          if (!isScalar(v)) add(c, `${at}.${i}`, "a string, number or boolean");
        }
  }
}

function checkCondition(c: Check, node: unknown, path: string, depth: number) {
  c.nodes++;
  if (c.nodes > LIMITS.nodes) {
    if (c.nodes === LIMITS.nodes + 1) add(c, `${ROOT}.conditions`, `at most ${LIMITS.nodes} condition nodes`);
    return;
  }
  if (depth > LIMITS.depth) return add(c, path, `conditions nest at most ${LIMITS.depth} deep`);
  if (!isObject(node))
    return add(c, path, "a condition is an object: {all}, {any}, {not} or {fact, operator, value}");
  const group = ["all", "any", "not"].filter((k) => k in node);
  if (group.length > 1 || (group.length === 1 && "fact" in node)) {
    return add(c, path, "one of all, any, not or fact per condition");
  }
  const g = group[0];
  if (g === "all" || g === "any") {
    unknownKeys(c, node, [g], path);
    const list = node[g];
    if (!Array.isArray(list)) return add(c, `${path}.${g}`, "a list of conditions");
    for (const [i, child] of list.entries()) checkCondition(c, child, `${path}.${g}.${i}`, depth + 1);
    return;
  }
  if (g === "not") {
    unknownKeys(c, node, ["not"], path);
    return checkCondition(c, node.not, `${path}.not`, depth + 1);
  }
  unknownKeys(c, node, ["fact", "operator", "value"], path);
  if (typeof node.fact !== "string") add(c, `${path}.fact`, "a fact name such as payload.amount");
  else {
    const ref = parseFact(node.fact);
    if (typeof ref === "string") add(c, `${path}.fact`, ref);
  }
  if (typeof node.operator !== "string" || !(OPERATORS as readonly string[]).includes(node.operator)) {
    return add(c, `${path}.operator`, `unknown operator; use ${OPERATORS.join(", ")}`);
  }
  checkValue(c, node.operator as Operator, node.value, path);
}

const text = (max: number) => (v: unknown) =>
  typeof v === "string" && v.trim().length > 0 && v.length <= max
    ? null
    : `a non-empty string of at most ${max} characters`;

const PARAMS: Record<ActionType, Record<string, (v: unknown) => string | null>> = {
  create_notification: {
    to: (v) =>
      typeof v === "string" && RECIPIENT_RE.test(v) ? null : "actor, client, expert, admins or user_id:<id>",
    title: text(200),
    message: text(2000),
  },
  change_status: {
    to: (v) => {
      const statuses = knownStatuses();
      return typeof v === "string" && statuses.has(v) ? null : `one of ${[...statuses].join(", ")}`;
    },
  },
  assign_tag: {
    tag: (v) => (typeof v === "string" && TAG_RE.test(v) ? null : "lower-case a-z, 0-9, _ . : - (≤ 64)"),
  },
  assign_flag: {
    flag: (v) => (typeof v === "string" && TAG_RE.test(v) ? null : "lower-case a-z, 0-9, _ . : - (≤ 64)"),
  },
  request_admin_attention: { reason: text(500) },
};

function checkAction(c: Check, action: unknown, path: string) {
  if (!isObject(action)) return add(c, path, "an action is {type, params}");
  unknownKeys(c, action, ["type", "params"], path);
  const type = action.type;
  if (typeof type !== "string" || !(ACTION_TYPES as readonly string[]).includes(type)) {
    return add(c, `${path}.type`, `unknown action type; use ${ACTION_TYPES.join(", ")}`);
  }
  const spec = PARAMS[type as ActionType];
  const params = action.params;
  if (!isObject(params)) return add(c, `${path}.params`, `an object with ${Object.keys(spec).join(", ")}`);
  unknownKeys(c, params, Object.keys(spec), `${path}.params`);
  for (const [key, check] of Object.entries(spec)) {
    const problem = check(params[key]);
    if (problem) add(c, `${path}.params.${key}`, problem);
  }
}

/** The parts of a rule a save may carry; the rest (name, priority…) is checked by the route's schema. */
export type RuleParts = { event_type?: string; conditions?: unknown; actions?: unknown };

/** Throws 400 validation_failed with every bad node's path (at most 20) unless the document is sound. */
export function assertValidRule(parts: RuleParts) {
  const c: Check = { issues: [], nodes: 0 };
  if (parts.event_type !== undefined && !isValidEventPattern(parts.event_type)) {
    add(c, `${ROOT}.event_type`, "no event type matches: use an exact type, a prefix such as order.* or *");
  }
  const size = new TextEncoder().encode(
    JSON.stringify([parts.conditions ?? null, parts.actions ?? null]),
  ).length;
  if (size > LIMITS.documentBytes) {
    add(c, ROOT, `conditions and actions take ${size} bytes; at most ${LIMITS.documentBytes}`);
  } else {
    if (parts.conditions !== undefined) checkCondition(c, parts.conditions, `${ROOT}.conditions`, 1);
    if (parts.actions !== undefined) {
      if (!Array.isArray(parts.actions)) add(c, `${ROOT}.actions`, "a list of actions");
      else if (parts.actions.length > LIMITS.actions)
        add(c, `${ROOT}.actions`, `at most ${LIMITS.actions} actions`);
      else for (const [i, a] of parts.actions.entries()) checkAction(c, a, `${ROOT}.actions.${i}`);
    }
  }
  if (c.issues.length) throw new ApiError("validation_failed", "the rule is not valid", { issues: c.issues });
}
