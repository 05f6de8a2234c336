import { beforeEach, describe, expect, test } from "bun:test";
import { balanceOf, platformRevenue } from "../../src/modules/ledger/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { fundWallet, makeExpert, makeSubject, wallet } from "../helpers/marketplace";

let t: TestApp;
let subject: { id: number };
let client: Awaited<ReturnType<TestApp["user"]>>;
let expert: Awaited<ReturnType<TestApp["user"]>>;

const future = (t: TestApp, days = 7) => new Date(t.clock.now() + days * 86_400_000).toISOString();

beforeEach(async () => {
  t = makeTestApp();
  subject = makeSubject(t);
  client = await t.user("client");
  expert = await makeExpert(t, [subject.id]);
});

async function newOrder(body: Record<string, unknown> = {}) {
  const res = await t.call("POST", "/api/v1/orders", {
    token: client.token,
    body: { title: "Coursework on algebra", subject_id: subject.id, budget: 500_00, ...body },
  });
  expect(res.status).toBe(201);
  return res.body;
}

const act = (path: string, token: string, body?: unknown) =>
  t.call("POST", `/api/v1/orders/${path}`, { token, body });

/** new -> in_review -> awaiting_payment at `price`. */
async function pricedOrder(price = 1000_00) {
  const o = await newOrder();
  expect((await act(`${o.id}/take`, expert.token)).body.status).toBe("in_review");
  expect((await act(`${o.id}/set-price`, expert.token, { price })).body.status).toBe("awaiting_payment");
  return o;
}

describe("create and read", () => {
  test("a client creates a new order; the expert of its subject is notified", async () => {
    const o = await newOrder({ deadline: future(t), description: "10 pages" });
    expect(o).toMatchObject({
      status: "new",
      client_id: client.id,
      expert_id: null,
      kind: "work",
      currency: "RUB",
    });
    expect(o.sla_due_at).toBe(o.deadline);
    const notes = await t.call("GET", "/api/v1/notifications", { token: expert.token });
    expect(notes.body.results[0]).toMatchObject({ type: "new_order", data: { order_id: o.id } });
    const got = await t.call("GET", `/api/v1/orders/${o.id}`, { token: client.token });
    expect(got.body.id).toBe(o.id);
    // An expert who may take it can read it before taking it.
    expect((await t.call("GET", `/api/v1/orders/${o.id}`, { token: expert.token })).status).toBe(200);
  });

  test("a session needs scheduled_at and duration_minutes", async () => {
    const bad = await t.call("POST", "/api/v1/orders", {
      token: client.token,
      body: { title: "Consultation", subject_id: subject.id, kind: "session" },
    });
    expectError(bad, 400, "validation_failed");
    const ok = await newOrder({ kind: "session", scheduled_at: future(t, 2), duration_minutes: 60 });
    expect(ok).toMatchObject({ kind: "session", duration_minutes: 60 });
    expect(ok.sla_due_at).toBe(ok.scheduled_at);
  });

  test("bad bodies are refused and create nothing", async () => {
    const cases: unknown[] = [
      {},
      { title: "x" },
      { title: "x", subject_id: "1" },
      { title: "", subject_id: subject.id },
      { title: "x", subject_id: subject.id, budget: -1 },
      { title: "x", subject_id: subject.id, budget: 1.5 },
      { title: "x", subject_id: subject.id, extra: true },
      { title: "x", subject_id: 999 },
      { title: "x", subject_id: subject.id, work_type_id: 999 },
      { title: "x", subject_id: subject.id, deadline: "tomorrow" },
      { title: "x", subject_id: subject.id, deadline: new Date(t.clock.now() - 1000).toISOString() },
      { title: "x", subject_id: subject.id, kind: "lesson" },
    ];
    for (const body of cases)
      expectError(
        await t.call("POST", "/api/v1/orders", { token: client.token, body }),
        400,
        "validation_failed",
      );
    expectError(
      await t.call("POST", "/api/v1/orders", { token: client.token, raw: "{" }),
      400,
      "invalid_json",
    );
    expect((await t.call("GET", "/api/v1/orders", { token: client.token })).body.count).toBe(0);
  });

  test("strangers get 404; no token 401", async () => {
    const o = await newOrder();
    const stranger = await t.user("client");
    const otherExpert = await makeExpert(t, []); // no specialization in this subject
    expectError(await t.call("GET", `/api/v1/orders/${o.id}`, { token: stranger.token }), 404, "not_found");
    expectError(
      await t.call("GET", `/api/v1/orders/${o.id}`, { token: otherExpert.token }),
      404,
      "not_found",
    );
    expectError(
      await t.call("GET", `/api/v1/orders/${o.id}/events`, { token: stranger.token }),
      404,
      "not_found",
    );
    expectError(await t.call("GET", `/api/v1/orders/${o.id}`), 401, "unauthenticated");
    expectError(
      await t.call("POST", "/api/v1/orders", { body: { title: "x", subject_id: subject.id } }),
      401,
      "unauthenticated",
    );
    const support = await t.user("support");
    expect((await t.call("GET", `/api/v1/orders/${o.id}`, { token: support.token })).status).toBe(200);
  });

  test("lists: mine, active, new for experts; filters and pagination", async () => {
    const a = await newOrder();
    await newOrder();
    await act(`${a.id}/take`, expert.token);
    const mine = await t.call("GET", "/api/v1/orders?page_size=1", { token: client.token });
    expect(mine.body.count).toBe(2);
    expect(mine.body.results).toHaveLength(1);
    expect(mine.body.next).toContain("page=2");
    expect(
      (await t.call("GET", "/api/v1/orders/my?status=in_review", { token: client.token })).body.count,
    ).toBe(1);
    expect((await t.call("GET", "/api/v1/orders/active", { token: expert.token })).body.results[0].id).toBe(
      a.id,
    );
    expect((await t.call("GET", "/api/v1/orders?role=expert", { token: expert.token })).body.count).toBe(1);
    const fresh = await t.call("GET", "/api/v1/orders/new", { token: expert.token });
    expect(fresh.body.count).toBe(1);
    expectError(await t.call("GET", "/api/v1/orders/new", { token: client.token }), 403, "forbidden");
    expectError(
      await t.call("GET", "/api/v1/orders?status=bogus", { token: client.token }),
      400,
      "validation_failed",
    );
  });
});

describe("take", () => {
  test("only an expert with a verified specialization in the subject", async () => {
    const o = await newOrder();
    const unverified = await makeExpert(t, []);
    expectError(await act(`${o.id}/take`, unverified.token), 403, "forbidden");
    expectError(await act(`${o.id}/take`, client.token), 403, "forbidden");
    expectError(await act("999/take", expert.token), 404, "not_found");
    const taken = await act(`${o.id}/take`, expert.token);
    expect(taken.body).toMatchObject({ status: "in_review", expert_id: expert.id });
    const rival = await makeExpert(t, [subject.id]);
    expectError(await act(`${o.id}/take`, rival.token), 409, "already_taken");
    const again = expectError(await act(`${o.id}/take`, expert.token), 409, "invalid_transition");
    expect(again.details).toEqual({ from: "in_review", to: "in_review" });
    const note = await t.call("GET", "/api/v1/notifications?type=order_assigned", { token: client.token });
    expect(note.body.results[0].data).toMatchObject({ order_id: o.id });
  });

  test("an expert made by an admin's role change can take (the profile comes with the role)", async () => {
    const o = await newOrder();
    const admin = await t.user("admin");
    const u = await t.user("client");
    expect(
      (
        await t.call("POST", `/api/v1/admin/users/${u.id}/role`, {
          token: admin.token,
          body: { role: "expert" },
        })
      ).status,
    ).toBe(200);
    t.ctx.sqlite
      .query(
        "INSERT INTO expert_specializations (user_id, subject_id, is_verified, created_at) VALUES (?, ?, 1, 0)",
      )
      .run(u.id, subject.id);
    expect((await act(`${o.id}/take`, u.token)).body.expert_id).toBe(u.id);
  });

  test("a suspended expert cannot take", async () => {
    const o = await newOrder();
    t.ctx.sqlite.query("UPDATE expert_profiles SET is_active = 0 WHERE user_id = ?").run(expert.id);
    expectError(await act(`${o.id}/take`, expert.token), 403, "forbidden");
  });
});

describe("wallet escrow route", () => {
  test("full lifecycle releases price minus commission; timeline records every step", async () => {
    fundWallet(t, client.id, 2000_00);
    const o = await pricedOrder(1000_00);
    const paid = await act(`${o.id}/pay`, client.token);
    expect(paid.body).toMatchObject({ status: "paid", payment_method: "wallet", escrow_amount: 1000_00 });
    expect(wallet(t, client.id)).toEqual({ available: 1000_00, held: 1000_00 });
    expect((await act(`${o.id}/start`, expert.token)).body.status).toBe("in_progress");
    expect((await act(`${o.id}/complete`, expert.token)).body.status).toBe("delivered");
    expect((await act(`${o.id}/request-revision`, client.token, { reason: "fix page 3" })).body.status).toBe(
      "revision",
    );
    expect((await act(`${o.id}/start`, expert.token)).body.status).toBe("in_progress");
    expect((await act(`${o.id}/complete`, expert.token)).body.status).toBe("delivered");
    const done = await act(`${o.id}/accept`, client.token);
    expect(done.body).toMatchObject({ status: "completed", escrow_amount: 0 });
    expect(wallet(t, client.id)).toEqual({ available: 1000_00, held: 0 });
    expect(wallet(t, expert.id).available).toBe(900_00);
    expect(balanceOf(t.ctx.db, platformRevenue("RUB"))).toBe(100_00);
    const tl = await t.call("GET", `/api/v1/orders/${o.id}/events`, { token: expert.token });
    expect(tl.body.results.map((e: any) => e.type)).toEqual([
      "order.created",
      "order.take",
      "order.set_price",
      "order.pay",
      "order.start",
      "order.complete",
      "order.request_revision",
      "order.start",
      "order.complete",
      "order.accept",
    ]);
    expect(tl.body.results.at(-1).payload).toMatchObject({
      from: "delivered",
      to: "completed",
      payout: 900_00,
      commission: 100_00,
    });
  });

  test("the commission follows the setting", async () => {
    t.ctx.settings.setNow({ order_commission_percent: 15 }, t.clock.now());
    fundWallet(t, client.id, 333_33);
    const o = await pricedOrder(333_33);
    await act(`${o.id}/pay`, client.token);
    await act(`${o.id}/start`, expert.token);
    await act(`${o.id}/complete`, expert.token);
    await act(`${o.id}/accept`, client.token);
    expect(balanceOf(t.ctx.db, platformRevenue("RUB"))).toBe(5000); // round(33333 * 0.15) = 5000
    expect(wallet(t, expert.id).available).toBe(333_33 - 5000);
  });

  test("402 without funds changes nothing; a second pay is invalid_transition", async () => {
    fundWallet(t, client.id, 999_99);
    const o = await pricedOrder(1000_00);
    const err = expectError(await act(`${o.id}/pay`, client.token), 402, "insufficient_funds");
    expect(err.details).toMatchObject({ available: 999_99, required: 1000_00 });
    expect((await t.call("GET", `/api/v1/orders/${o.id}`, { token: client.token })).body.status).toBe(
      "awaiting_payment",
    );
    expect(wallet(t, client.id)).toEqual({ available: 999_99, held: 0 });
    fundWallet(t, client.id, 1);
    expect((await act(`${o.id}/pay`, client.token)).status).toBe(200);
    expectError(await act(`${o.id}/pay`, client.token), 409, "invalid_transition");
    expect(wallet(t, client.id)).toEqual({ available: 0, held: 1000_00 });
  });

  test("only the right party acts: expert cannot pay or accept, client cannot start", async () => {
    fundWallet(t, client.id, 1000_00);
    const o = await pricedOrder(1000_00);
    expectError(await act(`${o.id}/pay`, expert.token), 403, "forbidden");
    expectError(await act(`${o.id}/set-price`, client.token, { price: 1 }), 403, "forbidden");
    await act(`${o.id}/pay`, client.token);
    expectError(await act(`${o.id}/start`, client.token), 403, "forbidden");
    const stranger = await t.user("client");
    expectError(await act(`${o.id}/start`, stranger.token), 404, "not_found");
    await act(`${o.id}/start`, expert.token);
    await act(`${o.id}/complete`, expert.token);
    expectError(await act(`${o.id}/accept`, expert.token), 403, "forbidden");
    expectError(await act(`${o.id}/accept`, stranger.token), 404, "not_found");
  });

  test("transitions from the wrong state are 409 with from/to", async () => {
    const o = await newOrder();
    const e1 = expectError(await act(`${o.id}/start`, client.token), 403, "forbidden");
    expect(e1).toBeTruthy();
    await act(`${o.id}/take`, expert.token);
    const e2 = expectError(await act(`${o.id}/start`, expert.token), 409, "invalid_transition");
    expect(e2.details).toEqual({ from: "in_review", to: "in_progress" });
    expectError(await act(`${o.id}/complete`, expert.token), 409, "invalid_transition");
    expectError(await act(`${o.id}/accept`, client.token), 409, "invalid_transition");
    expectError(await act(`${o.id}/dispute`, client.token, { reason: "slow" }), 409, "invalid_transition");
  });

  test("set-price validates the body", async () => {
    const o = await newOrder();
    await act(`${o.id}/take`, expert.token);
    for (const body of [
      {},
      { price: 0 },
      { price: -5 },
      { price: 1.5 },
      { price: "100" },
      { price: 1, x: 1 },
    ]) {
      expectError(await act(`${o.id}/set-price`, expert.token, body), 400, "validation_failed");
    }
    expect((await t.call("GET", `/api/v1/orders/${o.id}`, { token: client.token })).body.status).toBe(
      "in_review",
    );
  });
});

describe("cancel, decline, disputes", () => {
  test("the client cancels before payment; the expert declines", async () => {
    const a = await newOrder();
    expect((await act(`${a.id}/cancel`, client.token, { reason: "changed my mind" })).body).toMatchObject({
      status: "cancelled",
      status_reason: "changed my mind",
    });
    expectError(await act(`${a.id}/cancel`, client.token), 409, "invalid_transition");
    const b = await pricedOrder();
    expectError(await act(`${b.id}/decline`, client.token), 403, "forbidden");
    expect((await act(`${b.id}/decline`, expert.token)).body.status).toBe("declined_by_expert");
  });

  test("cancel after payment is refused: paid orders go through a dispute", async () => {
    fundWallet(t, client.id, 1000_00);
    const o = await pricedOrder(1000_00);
    await act(`${o.id}/pay`, client.token);
    expectError(await act(`${o.id}/cancel`, client.token), 409, "invalid_transition");
  });

  async function disputed(price = 1000_00) {
    fundWallet(t, client.id, price);
    const o = await pricedOrder(price);
    await act(`${o.id}/pay`, client.token);
    await act(`${o.id}/start`, expert.token);
    const d = await act(`${o.id}/dispute`, expert.token, { reason: "client unresponsive" });
    expect(d.body.status).toBe("disputed");
    return o;
  }

  test("refund returns the escrow to the client and cancels", async () => {
    const o = await disputed();
    const arb = await t.user("arbitrator");
    const r = await act(`${o.id}/resolve`, arb.token, { outcome: "refund", note: "no work delivered" });
    expect(r.body).toMatchObject({ status: "cancelled", escrow_amount: 0 });
    expect(wallet(t, client.id)).toEqual({ available: 1000_00, held: 0 });
    expect(wallet(t, expert.id).available).toBe(0);
  });

  test("split pays the client part back and releases the rest minus commission", async () => {
    const o = await disputed();
    const admin = await t.user("admin");
    const r = await act(`${o.id}/resolve`, admin.token, { outcome: "split", client_amount: 400_00 });
    expect(r.body.status).toBe("completed");
    expect(wallet(t, client.id)).toEqual({ available: 400_00, held: 0 });
    expect(wallet(t, expert.id).available).toBe(540_00);
    expect(balanceOf(t.ctx.db, platformRevenue("RUB"))).toBe(60_00);
    const audit = await t.call("GET", "/api/v1/admin/audit-log", { token: admin.token });
    expect(audit.body.results.some((a: any) => a.action === "order.resolve")).toBe(true);
  });

  test("release pays the expert; bad resolutions change nothing", async () => {
    const o = await disputed();
    const arb = await t.user("arbitrator");
    expectError(await act(`${o.id}/resolve`, arb.token, { outcome: "split" }), 400, "validation_failed");
    expectError(
      await act(`${o.id}/resolve`, arb.token, { outcome: "split", client_amount: 1000_00 }),
      400,
      "validation_failed",
    );
    expectError(await act(`${o.id}/resolve`, arb.token, { outcome: "maybe" }), 400, "validation_failed");
    expectError(await act(`${o.id}/resolve`, client.token, { outcome: "refund" }), 403, "forbidden");
    expectError(await act(`${o.id}/resolve`, expert.token, { outcome: "release" }), 403, "forbidden");
    expect(wallet(t, client.id)).toEqual({ available: 0, held: 1000_00 });
    const r = await act(`${o.id}/resolve`, arb.token, { outcome: "release" });
    expect(r.body.status).toBe("completed");
    expect(wallet(t, expert.id).available).toBe(900_00);
    expectError(await act(`${o.id}/resolve`, arb.token, { outcome: "release" }), 409, "invalid_transition");
  });

  test("a dispute needs a reason", async () => {
    fundWallet(t, client.id, 10_00);
    const o = await pricedOrder(10_00);
    await act(`${o.id}/pay`, client.token);
    expectError(await act(`${o.id}/dispute`, client.token, {}), 400, "validation_failed");
    expectError(await act(`${o.id}/dispute`, client.token), 400, "validation_failed");
    const n = await act(`${o.id}/dispute`, client.token, { reason: "wrong topic" });
    expect(n.body.status).toBe("disputed");
    const notes = await t.call("GET", "/api/v1/notifications?type=dispute_opened", { token: expert.token });
    expect(notes.body.count).toBe(1);
  });
});
