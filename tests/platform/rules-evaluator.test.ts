import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { Condition, Operator, Scalar } from "../../src/modules/platform/rules/document";
import { compile, traceConditions } from "../../src/modules/platform/rules/evaluate";
import { Facts, type RuleEvent } from "../../src/modules/platform/rules/facts";
import { makeTestApp, type TestApp } from "../helpers/app";
import { makeOrder, makeSubject } from "../helpers/marketplace";

let t: TestApp;

beforeAll(() => {
  t = makeTestApp();
});

const event = (e: Partial<RuleEvent> = {}): RuleEvent => ({
  id: 1,
  type: "order.created",
  actorId: null,
  subjectType: null,
  subjectId: null,
  payload: {},
  ...e,
});

const holds = (c: Condition, e: RuleEvent) => compile(c)(new Facts(t.ctx.db, e));
const leaf = (fact: string, operator: Operator, value?: Scalar | Scalar[]): Condition =>
  value === undefined ? { fact, operator } : { fact, operator, value };

const PAYLOAD = {
  n: 10,
  s: "hello world",
  b: true,
  zero: 0,
  empty: "",
  nil: null,
  list: ["a", "b", 3],
  nested: { deep: { x: 5 } },
  rows: [{ id: 7 }, { id: 8 }],
};
const on = (c: Condition) => holds(c, event({ payload: PAYLOAD }));

describe("operators", () => {
  test.each([
    ["eq", "payload.n", 10, true],
    ["eq", "payload.n", "10", false],
    ["eq", "payload.s", "hello world", true],
    ["eq", "payload.b", true, true],
    ["eq", "payload.zero", 0, true],
    ["eq", "payload.empty", "", true],
    ["ne", "payload.n", 11, true],
    ["ne", "payload.n", 10, false],
    ["ne", "payload.n", "10", true],
    ["gt", "payload.n", 9, true],
    ["gt", "payload.n", 10, false],
    ["gt", "payload.n", "9", false],
    ["gte", "payload.n", 10, true],
    ["lt", "payload.n", 11, true],
    ["lt", "payload.n", 10, false],
    ["lte", "payload.n", 10, true],
    ["lt", "payload.s", "hello x", true],
    ["gt", "payload.b", 0, false],
    ["in", "payload.n", [1, 10], true],
    ["in", "payload.n", ["10"], false],
    ["in", "payload.s", Array.from({ length: 20 }, (_, i) => `w${i}`).concat("hello world"), true],
    ["in", "payload.n", Array.from({ length: 20 }, (_, i) => i + 100), false],
    ["not_in", "payload.n", [1, 2], true],
    ["not_in", "payload.n", [10], false],
    ["not_in", "payload.s", Array.from({ length: 20 }, (_, i) => `w${i}`), true],
    ["contains", "payload.s", "lo wo", true],
    ["contains", "payload.s", "bye", false],
    ["contains", "payload.list", "b", true],
    ["contains", "payload.list", 3, true],
    ["contains", "payload.list", "3", false],
    ["contains", "payload.n", 1, false],
    ["exists", "payload.zero", undefined, true],
    ["exists", "payload.empty", true, true],
    ["exists", "payload.n", false, false],
    ["eq", "payload.nested.deep.x", 5, true],
    ["eq", "payload.rows.1.id", 8, true],
    ["exists", "payload.rows.x", undefined, false],
    ["exists", "payload.list.length", undefined, false],
    ["exists", "payload.s.length", undefined, false],
  ] as [Operator, string, Scalar | Scalar[] | undefined, boolean][])(
    "%s on %s %p is %p",
    (op, fact, value, want) => {
      expect(on(leaf(fact, op, value))).toBe(want);
    },
  );

  test.each([
    ["eq", "x"],
    ["ne", "x"],
    ["gt", 1],
    ["gte", 1],
    ["lt", 1],
    ["lte", 1],
    ["in", ["x"]],
    ["not_in", ["x"]],
    ["contains", "x"],
  ] as [Operator, Scalar | Scalar[]][])(
    "a missing fact is false for %s (absent, null, or a missing actor or subject)",
    (op, value) => {
      for (const fact of [
        "payload.absent",
        "payload.nil",
        "payload.nested.none",
        "actor.role",
        "actor.risk_score",
        "subject.status",
      ]) {
        expect(on(leaf(fact, op, value))).toBe(false);
        // not() of a missing comparison is true: the comparison itself is what is false.
        expect(on({ not: leaf(fact, op, value) })).toBe(true);
      }
    },
  );

  test("exists is the one operator a missing fact satisfies (value false)", () => {
    expect(on(leaf("payload.absent", "exists"))).toBe(false);
    expect(on(leaf("payload.nil", "exists", false))).toBe(true);
    expect(on(leaf("actor.risk_level", "exists", false))).toBe(true);
  });

  test("groups: empty all holds, empty any does not, not inverts", () => {
    expect(on({ all: [] })).toBe(true);
    expect(on({ any: [] })).toBe(false);
    expect(on({ not: { all: [] } })).toBe(false);
    expect(on({ any: [leaf("payload.n", "eq", 1), leaf("payload.n", "eq", 10)] })).toBe(true);
    expect(on({ all: [leaf("payload.n", "eq", 1), leaf("payload.n", "eq", 10)] })).toBe(false);
  });
});

describe("facts", () => {
  test("event facts; a numeric subject_id compares as a number", () => {
    const e = event({ type: "order.take", actorId: 4, subjectType: "order", subjectId: "42" });
    expect(holds(leaf("type", "eq", "order.take"), e)).toBe(true);
    expect(holds(leaf("actor_id", "eq", 4), e)).toBe(true);
    expect(holds(leaf("subject_type", "eq", "order"), e)).toBe(true);
    expect(holds(leaf("subject_id", "eq", 42), e)).toBe(true);
    expect(holds(leaf("subject_id", "gt", 41), e)).toBe(true);
    expect(holds(leaf("subject_id", "eq", "ab"), event({ subjectId: "ab" }))).toBe(true);
    expect(holds(leaf("actor_id", "exists"), event())).toBe(false);
  });

  test("actor facts from the user row; risk fields are missing for an actor without a computed risk", async () => {
    const u = await t.user("expert", { telegramId: 777 });
    const e = event({ actorId: u.id });
    expect(holds(leaf("actor.role", "eq", "expert"), e)).toBe(true);
    expect(holds(leaf("actor.telegram_id", "eq", 777), e)).toBe(true);
    expect(holds(leaf("actor.created_at", "eq", new Date(t.clock.now()).toISOString()), e)).toBe(true);
    expect(holds(leaf("actor.created_at", "lt", "2099-01-01"), e)).toBe(true);
    expect(holds(leaf("actor.risk_score", "exists"), e)).toBe(false);
    expect(holds(leaf("actor.role", "exists"), event({ actorId: 999_999 }))).toBe(false);
  });

  test("order subject facts: status, price, client_id, expert_id, kind", async () => {
    const s = makeSubject(t);
    const c = await t.user("client");
    const o = makeOrder(t, { clientId: c.id, subjectId: s.id, status: "awaiting_payment", price: 1500 });
    const e = event({ subjectType: "order", subjectId: String(o.id) });
    expect(holds(leaf("subject.status", "eq", "awaiting_payment"), e)).toBe(true);
    expect(holds(leaf("subject.price", "gte", 1500), e)).toBe(true);
    expect(holds(leaf("subject.client_id", "eq", c.id), e)).toBe(true);
    expect(holds(leaf("subject.expert_id", "exists", false), e)).toBe(true);
    expect(holds(leaf("subject.kind", "eq", "work"), e)).toBe(true);
    // Another subject type, or an order that does not exist: every subject fact is missing.
    expect(
      holds(leaf("subject.status", "exists"), event({ subjectType: "user", subjectId: String(c.id) })),
    ).toBe(false);
    expect(
      holds(leaf("subject.status", "exists"), event({ subjectType: "order", subjectId: "999999" })),
    ).toBe(false);
  });

  test("facts are read once per event, however many rules use them", async () => {
    const u = await t.user("client");
    const f = new Facts(t.ctx.db, event({ actorId: u.id }));
    const p = compile(leaf("actor.role", "eq", "client"));
    expect(p(f)).toBe(true);
    t.ctx.sqlite.query("UPDATE users SET role = 'expert' WHERE id = ?").run(u.id);
    expect(p(f)).toBe(true);
    expect(p(new Facts(t.ctx.db, event({ actorId: u.id })))).toBe(false);
  });
});

// ---- property: the compiled evaluator agrees with a plain recursive reference ----

type Ref = Record<string, unknown>;

/** The reference: the documented semantics written the obvious way. */
function reference(c: Condition, facts: Ref): boolean {
  if ("all" in c) return c.all.every((x) => reference(x, facts));
  if ("any" in c) return c.any.some((x) => reference(x, facts));
  if ("not" in c) return !reference(c.not, facts);
  const key = c.fact.slice("payload.".length);
  const has = Object.hasOwn(facts, key) && facts[key] !== null && facts[key] !== undefined;
  const a = facts[key];
  const v = c.value;
  if (c.operator === "exists") return v === false ? !has : has;
  if (!has) return false;
  switch (c.operator) {
    case "eq":
      return a === v;
    case "ne":
      return a !== v;
    case "in":
      return (v as Scalar[]).some((x) => x === a);
    case "not_in":
      return (v as Scalar[]).every((x) => x !== a);
    case "contains":
      if (typeof a === "string") return typeof v === "string" && a.indexOf(v) !== -1;
      return Array.isArray(a) && a.some((x) => x === v);
    default: {
      const sameKind =
        (typeof a === "number" && typeof v === "number") || (typeof a === "string" && typeof v === "string");
      if (!sameKind) return false;
      const [x, y] = [a as number, v as number];
      return { gt: x > y, gte: x >= y, lt: x < y, lte: x <= y }[c.operator as "gt"];
    }
  }
}

const KEYS = ["a", "b", "c", "d", "e"];
const scalar = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom("", "x", "y", "xy", "yx"),
  fc.boolean(),
);
const factValue = fc.oneof(scalar, fc.constant(null), fc.array(scalar, { maxLength: 3 }));
const factsArb = fc.dictionary(fc.constantFrom(...KEYS), factValue, { maxKeys: 5 });

const leafArb: fc.Arbitrary<Condition> = fc
  .record({
    key: fc.constantFrom(...KEYS, "missing"),
    operator: fc.constantFrom(
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
    ) as fc.Arbitrary<Operator>,
    scalar,
    list: fc.array(scalar, { minLength: 1, maxLength: 12 }),
    flag: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ key, operator, scalar: s, list, flag }) => {
    const fact = `payload.${key}`;
    if (operator === "in" || operator === "not_in") return { fact, operator, value: list };
    if (operator === "exists")
      return flag === undefined ? { fact, operator } : { fact, operator, value: flag };
    return { fact, operator, value: s };
  });

const tree: fc.Arbitrary<Condition> = fc.letrec<{ node: Condition }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    fc.array(tie("node"), { maxLength: 4 }).map((all) => ({ all })),
    fc.array(tie("node"), { maxLength: 4 }).map((any) => ({ any })),
    tie("node").map((not) => ({ not })),
  ),
})).node;

describe("property", () => {
  test("compiled conditions and the dry run's trace agree with the reference on random trees", () => {
    fc.assert(
      fc.property(tree, factsArb, (c, facts) => {
        const want = reference(c, facts);
        const f = new Facts(t.ctx.db, event({ payload: facts }));
        expect(compile(c)(f)).toBe(want);
        expect(traceConditions(c, f).result).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("trace", () => {
  test("every condition is traced with its path, the fact's value (null when missing) and its result", () => {
    const c: Condition = {
      all: [
        leaf("payload.n", "gt", 5),
        { any: [leaf("payload.absent", "eq", 1), { not: leaf("payload.s", "contains", "x") }] },
      ],
    };
    const { result, trace } = traceConditions(c, new Facts(t.ctx.db, event({ payload: PAYLOAD })));
    expect(result).toBe(true);
    expect(trace).toEqual([
      { path: "conditions.all.0", fact: "payload.n", operator: "gt", value: 5, actual: 10, result: true },
      {
        path: "conditions.all.1.any.0",
        fact: "payload.absent",
        operator: "eq",
        value: 1,
        actual: null,
        result: false,
      },
      {
        path: "conditions.all.1.any.1.not",
        fact: "payload.s",
        operator: "contains",
        value: "x",
        actual: "hello world",
        result: false,
      },
    ]);
  });
});
