import { expect } from "bun:test";
import { signAccessToken } from "../../src/modules/accounts/tokens";
import type { TestApp } from "../helpers/app";
import { fundWallet, makeExpert, makeSubject } from "../helpers/marketplace";

/** Flows of the score tests, all through the HTTP API. */

export const V1 = "/api/v1";
export type Caller = { id: number; token: string };

let signups = 0;
/** A real sign-up (POST /auth/register): the user.registered event gives the client a score at once. */
export async function signUp(t: TestApp, name = `client_${++signups}`): Promise<Caller> {
  const r = await t.call("POST", `${V1}/auth/register`, {
    body: { email: `${name}@scores.test`, password: "correct horse battery", username: name },
  });
  if (r.status !== 201) throw new Error(`sign-up failed: ${r.status} ${JSON.stringify(r.body)}`);
  // Long-lived like the factory's tokens, so tests can move the clock by days.
  const token = await signAccessToken(t.ctx.jwtSecret, r.body.user.id, "client", t.clock.now(), 400 * 86400);
  return { id: r.body.user.id as number, token };
}

/** An admin, a subject and an expert verified in it. */
export async function scoringWorld(t: TestApp) {
  const subject = makeSubject(t);
  return {
    subject,
    admin: await t.user("admin"),
    expert: await makeExpert(t, [subject.id]),
  };
}

/** A new order of `client` through POST /orders; returns its id. */
export async function placeOrder(t: TestApp, client: Caller, subjectId: number, extra: object = {}) {
  const r = await t.call("POST", `${V1}/orders`, {
    token: client.token,
    body: { title: "Essay", subject_id: subjectId, budget: 1000, ...extra },
  });
  if (r.status !== 201) throw new Error(`order not placed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as number;
}

/** POST /orders/{id}/<action>, expecting 200 (or `want`). */
export async function act(t: TestApp, id: number, action: string, who: Caller, body?: unknown, want = 200) {
  const r = await t.call("POST", `${V1}/orders/${id}/${action}`, { token: who.token, body });
  if (r.status !== want) {
    throw new Error(`${action} on order ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return r.body;
}

/** Quote, wallet payment into escrow and start: the order is in_progress. */
export async function payAndStart(t: TestApp, id: number, client: Caller, expert: Caller, price = 1000) {
  await act(t, id, "set-price", expert, { price });
  fundWallet(t, client.id, price);
  await act(t, id, "pay", client);
  await act(t, id, "start", expert);
}

/** From in_progress to completed: the expert delivers, the client accepts (escrow released). */
export async function deliverAndAccept(t: TestApp, id: number, client: Caller, expert: Caller) {
  await act(t, id, "complete", expert);
  await act(t, id, "accept", client);
}

/** A taken order all the way to completed. */
export async function completeTaken(t: TestApp, id: number, client: Caller, expert: Caller) {
  await payAndStart(t, id, client, expert);
  await deliverAndAccept(t, id, client, expert);
}

export async function runAction(t: TestApp, admin: Caller, action: string) {
  const r = await t.call("POST", `${V1}/admin/system/run-action`, { token: admin.token, body: { action } });
  expect(r.status).toBe(200);
  return r.body.result;
}

export const clientRow = (t: TestApp, id: number) =>
  t.ctx.sqlite.query("SELECT * FROM client_stats WHERE user_id = ?").get(id) as Record<string, number> | null;
export const expertRow = (t: TestApp, id: number) =>
  t.ctx.sqlite.query("SELECT * FROM expert_stats WHERE user_id = ?").get(id) as Record<string, number> | null;

export const isoNow = (t: TestApp) => new Date(t.clock.now()).toISOString();
