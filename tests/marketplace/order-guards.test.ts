import { beforeEach, describe, expect, test } from "bun:test";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { fundWallet, makeExpert, makeSubject, wallet } from "../helpers/marketplace";

/**
 * Every order action refuses, changing nothing: no credential (401), a stranger (404), the other
 * party (403) and a malformed body (400). One table so a new action is one new row.
 */
let t: TestApp;
let client: Awaited<ReturnType<TestApp["user"]>>;
let expert: Awaited<ReturnType<TestApp["user"]>>;
let stranger: Awaited<ReturnType<TestApp["user"]>>;
let subjectId: number;

beforeEach(async () => {
  t = makeTestApp();
  subjectId = makeSubject(t).id;
  client = await t.user("client");
  expert = await makeExpert(t, [subjectId]);
  stranger = await t.user("client");
});

const act = (path: string, token?: string, body?: unknown) =>
  t.call("POST", `/api/v1/orders/${path}`, { token, body });

/** An order taken by the expert, in `awaiting_payment` at 100.00 and funded. */
async function order() {
  const o = (
    await t.call("POST", "/api/v1/orders", {
      token: client.token,
      body: { title: "x", subject_id: subjectId },
    })
  ).body;
  await act(`${o.id}/take`, expert.token);
  await act(`${o.id}/set-price`, expert.token, { price: 100_00 });
  fundWallet(t, client.id, 100_00);
  return o.id as number;
}

// action, the party allowed, a valid body, a body that is refused
const ACTIONS: [string, "client" | "expert" | "party", unknown, unknown][] = [
  ["set-price", "expert", { price: 1 }, { price: "1" }],
  ["pay", "client", undefined, { extra: 1 }],
  ["mark-paid", "client", { note: "sent" }, { note: "x".repeat(2001) }],
  ["confirm-payment", "expert", undefined, { extra: 1 }],
  ["start", "expert", undefined, { extra: 1 }],
  ["complete", "expert", undefined, { extra: 1 }],
  ["accept", "client", undefined, { extra: 1 }],
  ["request-revision", "client", { reason: "fix" }, { reason: "" }],
  ["decline", "expert", { reason: "busy" }, { reason: 5 }],
  ["cancel", "client", { reason: "no" }, { why: "no" }],
  ["dispute", "party", { reason: "late" }, {}],
];

describe("order actions refuse the wrong caller and bad bodies, changing nothing", () => {
  for (const [action, who, _ok, bad] of ACTIONS) {
    test(action, async () => {
      const id = await order();
      const before = (await t.call("GET", `/api/v1/orders/${id}`, { token: client.token })).body;
      // Either party may dispute, so staff (who see the order) stand for "the wrong part" there.
      const other = who === "client" ? expert : who === "expert" ? client : await t.user("support");
      expectError(await act(`${id}/${action}`, undefined, _ok), 401, "unauthenticated");
      expectError(await act(`${id}/${action}`, stranger.token, _ok), 404, "not_found");
      expectError(await act(`${id}/${action}`, other.token, _ok), 403, "forbidden");
      const own = who === "expert" ? expert : client;
      expectError(await act(`${id}/${action}`, own.token, bad), 400, "validation_failed");
      const after = (await t.call("GET", `/api/v1/orders/${id}`, { token: client.token })).body;
      expect(after).toEqual(before);
      expect(wallet(t, client.id)).toEqual({ available: 100_00, held: 0 });
    });
  }

  test("lists, timeline and proof need a credential", async () => {
    const id = await order();
    for (const path of [
      "/orders",
      "/orders/my",
      "/orders/active",
      "/orders/new",
      `/orders/${id}/events`,
      `/orders/${id}/payment-proof`,
      "/admin/orders",
    ]) {
      expectError(await t.call("GET", `/api/v1${path}`), 401, "unauthenticated");
    }
    expectError(
      await t.call("GET", "/api/v1/orders/new?page=0", { token: expert.token }),
      400,
      "validation_failed",
    );
    expectError(await t.call("POST", `/api/v1/admin/orders/${id}/confirm-payment`), 401, "unauthenticated");
    const support = await t.user("support");
    expectError(
      await t.call("POST", `/api/v1/admin/orders/${id}/confirm-payment`, { token: support.token }),
      403,
      "forbidden",
    );
  });
});

describe("staff and money guards", () => {
  test("an admin confirming through the ordinary route is audited as an admin", async () => {
    const id = await order();
    await act(`${id}/mark-paid`, client.token);
    const admin = await t.user("admin");
    expect((await act(`${id}/confirm-payment`, admin.token)).body.status).toBe("paid");
    const log = await t.call("GET", "/api/v1/admin/audit-log", { token: admin.token });
    expect(log.body.results[0]).toMatchObject({ action: "order.confirm_payment", actor_id: admin.id });
    const tl = await t.call("GET", `/api/v1/orders/${id}/events`, { token: client.token });
    expect(tl.body.results.at(-1).payload.by).toBe("admin");
  });

  test("set-status cannot move an order holding escrow out of the escrow statuses", async () => {
    const id = await order();
    await act(`${id}/pay`, client.token);
    const admin = await t.user("admin");
    for (const status of ["in_review", "awaiting_payment", "new", "completed", "cancelled"]) {
      expectError(
        await t.call("POST", `/api/v1/admin/orders/${id}/set-status`, {
          token: admin.token,
          body: { status, reason: "x" },
        }),
        409,
        "conflict",
      );
    }
    const ok = await t.call("POST", `/api/v1/admin/orders/${id}/set-status`, {
      token: admin.token,
      body: { status: "in_progress", reason: "started offline" },
    });
    expect(ok.body).toMatchObject({ status: "in_progress", escrow_amount: 100_00 });
  });

  test("an admin with an expert profile sees no available orders, as they could not take them", async () => {
    await order();
    const admin = await makeExpert(t, [subjectId]);
    t.ctx.sqlite.query("UPDATE users SET role = 'admin' WHERE id = ?").run(admin.id);
    await t.call("POST", "/api/v1/orders", {
      token: client.token,
      body: { title: "y", subject_id: subjectId },
    });
    const list = await t.call("GET", "/api/v1/experts/dashboard/available-orders", { token: admin.token });
    expect(list.body.count).toBe(0);
    expect(
      (await t.call("GET", "/api/v1/experts/dashboard/available-orders", { token: expert.token })).body.count,
    ).toBe(1);
  });
});
