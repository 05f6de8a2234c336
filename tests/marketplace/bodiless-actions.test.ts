import { beforeEach, describe, expect, test } from "bun:test";
import type { OrderStatus } from "../../src/db/schema";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { fundWallet, makeExpert, makeOrder, makeSubject } from "../helpers/marketplace";

/**
 * Actions that take no body (or only optional fields) must work however a client leaves the body
 * out: no body at all, `{}`, or `content-type: application/json` with no bytes (many HTTP clients
 * send that header on every POST).
 */
type U = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let client: U;
let expert: U;
let admin: U;
let stranger: U;
let subjectId: number;

beforeEach(async () => {
  t = makeTestApp();
  subjectId = makeSubject(t).id;
  client = await t.user("client");
  expert = await makeExpert(t, [subjectId]);
  admin = await t.user("admin");
  stranger = await t.user("client");
});

type Who = "client" | "expert" | "admin";
// path (after /orders/{id}/ or the admin prefix), who calls, the order's status before, after
const CASES: { path: string; who: Who; from: OrderStatus; to: OrderStatus | null }[] = [
  { path: "take", who: "expert", from: "new", to: "in_review" },
  { path: "pay", who: "client", from: "awaiting_payment", to: "paid" },
  { path: "mark-paid", who: "client", from: "awaiting_payment", to: "payment_proof_uploaded" },
  { path: "confirm-payment", who: "expert", from: "payment_proof_uploaded", to: "paid" },
  { path: "admin:confirm-payment", who: "admin", from: "payment_proof_uploaded", to: "paid" },
  { path: "start", who: "expert", from: "paid", to: "in_progress" },
  { path: "complete", who: "expert", from: "in_progress", to: "completed" },
  { path: "accept", who: "client", from: "delivered", to: "completed" },
  { path: "request-revision", who: "client", from: "delivered", to: "revision" },
  { path: "decline", who: "expert", from: "in_review", to: "declined_by_expert" },
  { path: "cancel", who: "client", from: "new", to: "cancelled" },
  // The chat read marker answers with the read state, not the order.
  { path: "read", who: "client", from: "in_progress", to: null },
];

/** How a client may leave the body out: [label, content-type or none, raw body or none]. */
const EMPTY: [string, string | undefined, string | undefined][] = [
  ["no body, no content-type", undefined, undefined],
  ["application/json with no bytes", "application/json", ""],
  ["application/json; charset=utf-8 with whitespace", "application/json; charset=utf-8", " \r\n"],
  ["application/json with {}", "application/json", "{}"],
];

function orderIn(status: OrderStatus) {
  const o = makeOrder(t, {
    clientId: client.id,
    expertId: status === "new" ? null : expert.id,
    subjectId,
    status,
    price: 100_00,
  });
  if (status === "awaiting_payment") fundWallet(t, client.id, 100_00);
  return o.id;
}

const url = (path: string, id: number) =>
  path.startsWith("admin:") ? `/api/v1/admin/orders/${id}/${path.slice(6)}` : `/api/v1/orders/${id}/${path}`;
const tokenOf = (who: Who) => ({ client, expert, admin })[who].token;

function send(path: string, id: number, token: string | undefined, type?: string, body?: string) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (type) headers["content-type"] = type;
  return t.app.request(url(path, id), { method: "POST", headers, body });
}

describe("bodiless order actions accept an absent, empty or {} JSON body", () => {
  for (const c of CASES) {
    test(c.path, async () => {
      for (const [label, type, body] of EMPTY) {
        const id = orderIn(c.from);
        const res = await send(c.path, id, tokenOf(c.who), type, body);
        const json = (await res.json()) as { status?: string; error?: unknown };
        expect({ label, status: res.status, error: json.error }).toEqual({
          label,
          status: 200,
          error: undefined,
        });
        if (c.to) expect(json.status).toBe(c.to);
      }
    });
  }

  test("the expert routes with optional bodies do too: apply, and a staff verification", async () => {
    const headers = (token: string) => ({
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
    });
    const applied = await t.app.request("/api/v1/experts/applications", {
      method: "POST",
      headers: headers(stranger.token),
      body: "",
    });
    expect(applied.status).toBe(201);
    const spec = (
      await t.call("POST", "/api/v1/experts/specializations", {
        token: expert.token,
        body: { subject_id: makeSubject(t).id },
      })
    ).body;
    const verified = await t.app.request(`/api/v1/admin/experts/specializations/${spec.id}/verify`, {
      method: "POST",
      headers: headers(admin.token),
      body: "",
    });
    expect(verified.status).toBe(200);
    expect(((await verified.json()) as { is_verified: boolean }).is_verified).toBe(true);
  });

  test("the /api/appointments alias with a trailing slash takes an empty JSON body too", async () => {
    const id = orderIn("new");
    const res = await t.app.request(`/api/appointments/${id}/take/`, {
      method: "POST",
      headers: { authorization: `Bearer ${expert.token}`, "content-type": "application/json" },
      body: "",
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe("in_review");
  });
});

describe("an empty JSON body changes none of the refusals", () => {
  test("no credential 401, a stranger 404, the other party 403; the order is unchanged", async () => {
    const id = orderIn("new");
    const cases: [string | undefined, number, string][] = [
      [undefined, 401, "unauthenticated"],
      [stranger.token, 403, "forbidden"], // a client may not take orders at all
      [client.token, 403, "forbidden"],
    ];
    for (const [token, status, code] of cases) {
      const res = await send("take", id, token, "application/json", "");
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    const other = orderIn("in_progress");
    const res = await send(
      "complete",
      other,
      (await makeExpert(t, [subjectId])).token,
      "application/json",
      "",
    );
    expect(res.status).toBe(404);
    const s = t.ctx.sqlite.query("SELECT status FROM orders WHERE id IN (?, ?) ORDER BY id").all(id, other);
    expect(s).toEqual([{ status: "new" }, { status: "in_progress" }]);
  });

  test("a body that is there is still validated: malformed 400 invalid_json, unknown field 400, wrong type 415", async () => {
    const id = orderIn("new");
    const call = async (type: string, body: string) => {
      const res = await send("take", id, expert.token, type, body);
      return { status: res.status, body: await res.json() };
    };
    expectError(await call("application/json", "{"), 400, "invalid_json");
    expectError(await call("application/json", '{"order_id":1}'), 400, "validation_failed");
    expectError(await call("application/json", "null"), 400, "validation_failed");
    expectError(await call("text/plain", ""), 415, "unsupported_media_type");
    expect(t.ctx.sqlite.query("SELECT status FROM orders WHERE id = ?").get(id)).toEqual({ status: "new" });
  });
});
