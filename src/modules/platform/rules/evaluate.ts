import type { Condition, Leaf, Operator, Scalar } from "./document";
import { type FactRef, type Facts, parseFact } from "./facts";

export type Predicate = (facts: Facts) => boolean;

const missing = (v: unknown) => v === undefined || v === null;

/**
 * One comparison. A missing fact (absent or null) is false for every operator but `exists`;
 * comparisons are strict (no type coercion): `gt`… need two numbers or two strings.
 */
export function applyOperator(
  op: Operator,
  actual: unknown,
  expected: Scalar | Scalar[] | undefined,
): boolean {
  if (op === "exists") return expected === false ? missing(actual) : !missing(actual);
  if (missing(actual)) return false;
  switch (op) {
    case "eq":
      return actual === expected;
    case "ne":
      return actual !== expected;
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const t = typeof actual;
      if ((t !== "number" && t !== "string") || typeof expected !== t) return false;
      const a = actual as number | string;
      const e = expected as number | string;
      return op === "gt" ? a > e : op === "gte" ? a >= e : op === "lt" ? a < e : a <= e;
    }
    case "in":
      return (expected as Scalar[]).includes(actual as Scalar);
    case "not_in":
      return !(expected as Scalar[]).includes(actual as Scalar);
    case "contains":
      if (typeof actual === "string") return typeof expected === "string" && actual.includes(expected);
      return Array.isArray(actual) && actual.includes(expected);
  }
}

const refOf = (leaf: Leaf) => parseFact(leaf.fact) as FactRef;

/** A saved (validated) condition tree as closures: no parsing or dispatch on the tree per event. */
export function compile(node: Condition): Predicate {
  if ("all" in node) {
    const parts = node.all.map(compile);
    return (f) => {
      for (const p of parts) if (!p(f)) return false;
      return true;
    };
  }
  if ("any" in node) {
    const parts = node.any.map(compile);
    return (f) => {
      for (const p of parts) if (p(f)) return true;
      return false;
    };
  }
  if ("not" in node) {
    const inner = compile(node.not);
    return (f) => !inner(f);
  }
  const ref = refOf(node);
  const { operator, value } = node;
  if ((operator === "in" || operator === "not_in") && Array.isArray(value) && value.length > 8) {
    const set = new Set<unknown>(value);
    const want = operator === "in";
    return (f) => {
      const a = f.get(ref);
      return !missing(a) && set.has(a) === want;
    };
  }
  return (f) => applyOperator(operator, f.get(ref), value);
}

export type TraceEntry = {
  path: string;
  fact: string;
  operator: Operator;
  value: Scalar | Scalar[] | null;
  /** The fact's value; null when it is missing. */
  actual: unknown;
  result: boolean;
};

/**
 * The dry run's evaluation: every condition is evaluated (no short cut) and recorded with its
 * path, so an admin sees why a rule did or did not match.
 */
export function traceConditions(node: Condition, facts: Facts, path = "conditions") {
  const trace: TraceEntry[] = [];
  const visit = (n: Condition, p: string): boolean => {
    if ("all" in n) return n.all.map((c, i) => visit(c, `${p}.all.${i}`)).every(Boolean);
    if ("any" in n) return n.any.map((c, i) => visit(c, `${p}.any.${i}`)).some(Boolean);
    if ("not" in n) return !visit(n.not, `${p}.not`);
    const actual = facts.get(refOf(n));
    const result = applyOperator(n.operator, actual, n.value);
    trace.push({
      path: p,
      fact: n.fact,
      operator: n.operator,
      value: n.value ?? null,
      actual: actual ?? null,
      result,
    });
    return result;
  };
  const result = visit(node, path);
  return { result, trace };
}
