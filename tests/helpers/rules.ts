import { expect } from "bun:test";
import type { TestApp } from "./app";
import { makeExpert, makeSubject } from "./marketplace";

export type User = Awaited<ReturnType<TestApp["user"]>>;

export const RULES = "/api/v1/admin/rules";

/** An admin, a client and an expert verified in one subject. */
export async function rulesWorld(t: TestApp) {
  const subject = makeSubject(t);
  return {
    subject,
    admin: await t.user("admin"),
    client: await t.user("client"),
    expert: await makeExpert(t, [subject.id]),
  };
}

/** Saves a rule through the API (201 expected); `event_type` defaults to order.created. */
export async function saveRule(t: TestApp, admin: User, body: Record<string, unknown>) {
  const r = await t.call("POST", RULES, {
    token: admin.token,
    body: { name: "rule", event_type: "order.created", actions: [], ...body },
  });
  if (r.status !== 201) throw new Error(`rule not saved: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { id: number; version: number } & Record<string, unknown>;
}

export type RunRow = {
  id: number;
  rule_id: number;
  rule_version: number;
  event_id: number;
  matched: number;
  applied: number;
  actions: string;
  depth: number;
  replay: number;
};

export const runsOf = (t: TestApp, ruleId: number) =>
  (t.ctx.sqlite.query("SELECT * FROM rule_runs WHERE rule_id = ? ORDER BY id").all(ruleId) as RunRow[]).map(
    (r) => ({ ...r, actions: JSON.parse(r.actions) as { type: string; ok: boolean; error?: string }[] }),
  );

export const count = (t: TestApp, table: string, where = "1 = 1", ...params: (string | number)[]) =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get(...params) as { n: number }).n;

/** A new order of the client in the world's subject, through the API. */
export async function newOrder(
  t: TestApp,
  w: Awaited<ReturnType<typeof rulesWorld>>,
  extra: Record<string, unknown> = {},
) {
  const r = await t.call("POST", "/api/v1/orders", {
    token: w.client.token,
    body: { title: "Coursework", subject_id: w.subject.id, budget: 500_00, ...extra },
  });
  expect(r.status).toBe(201);
  return r.body as { id: number; status: string };
}

export const orderAct = (t: TestApp, id: number, action: string, token: string, body?: unknown) =>
  t.call("POST", `/api/v1/orders/${id}/${action}`, { token, body });

export const orderStatus = (t: TestApp, id: number) =>
  (t.ctx.sqlite.query("SELECT status FROM orders WHERE id = ?").get(id) as { status: string }).status;
