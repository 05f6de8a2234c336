import { beforeEach, describe, expect, test } from "bun:test";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { fundWallet, makeExpert, makeSubject, wallet } from "../helpers/marketplace";

const DAY = 86_400_000;
let t: TestApp;
let client: Awaited<ReturnType<TestApp["user"]>>;
let expert: Awaited<ReturnType<TestApp["user"]>>;
let admin: Awaited<ReturnType<TestApp["user"]>>;
let subjectId: number;

beforeEach(async () => {
  t = makeTestApp();
  subjectId = makeSubject(t).id;
  client = await t.user("client");
  expert = await makeExpert(t, [subjectId]);
  admin = await t.user("admin");
});

const act = (path: string, token: string, body?: unknown) =>
  t.call("POST", `/api/v1/orders/${path}`, { token, body });
const runAction = (name: string) =>
  t.call("POST", "/api/v1/admin/system/run-action", { token: admin.token, body: { action: name } });

async function delivered(price = 500_00) {
  fundWallet(t, client.id, price);
  const o = (
    await t.call("POST", "/api/v1/orders", {
      token: client.token,
      body: { title: "Essay", subject_id: subjectId },
    })
  ).body;
  await act(`${o.id}/take`, expert.token);
  await act(`${o.id}/set-price`, expert.token, { price });
  await act(`${o.id}/pay`, client.token);
  await act(`${o.id}/start`, expert.token);
  await act(`${o.id}/complete`, expert.token);
  return o;
}

describe("auto-accept", () => {
  test("a delivery left alone for auto_accept_days accepts itself and releases escrow", async () => {
    const o = await delivered();
    t.clock.advance(3 * DAY - 1000);
    const early = await runAction("orders-auto-accept");
    expect(early.status).toBe(200);
    expect((await t.call("GET", `/api/v1/orders/${o.id}`, { token: client.token })).body.status).toBe(
      "delivered",
    );
    t.clock.advance(1000);
    await runAction("orders-auto-accept");
    const after = await t.call("GET", `/api/v1/orders/${o.id}`, { token: client.token });
    expect(after.body).toMatchObject({ status: "completed", escrow_amount: 0 });
    expect(wallet(t, expert.id).available).toBe(450_00);
    const tl = await t.call("GET", `/api/v1/orders/${o.id}/events`, { token: client.token });
    expect(tl.body.results.at(-1)).toMatchObject({ type: "order.auto_accept", actor_id: null });
    // Both parties hear about it; running again changes nothing.
    expect(
      (await t.call("GET", "/api/v1/notifications?type=order_completed", { token: client.token })).body.count,
    ).toBe(1);
    await runAction("orders-auto-accept");
    expect(wallet(t, expert.id).available).toBe(450_00);
  });

  test("the setting moves the cut-off", async () => {
    t.ctx.settings.setNow({ auto_accept_days: 7 }, t.clock.now());
    const o = await delivered();
    t.clock.advance(3 * DAY);
    await runAction("orders-auto-accept");
    expect((await t.call("GET", `/api/v1/orders/${o.id}`, { token: client.token })).body.status).toBe(
      "delivered",
    );
    t.clock.advance(4 * DAY);
    await runAction("orders-auto-accept");
    expect((await t.call("GET", `/api/v1/orders/${o.id}`, { token: client.token })).body.status).toBe(
      "completed",
    );
  });

  test("an order the client disputed in time is left alone", async () => {
    const o = await delivered();
    await act(`${o.id}/dispute`, client.token, { reason: "not what I asked" });
    t.clock.advance(10 * DAY);
    await runAction("orders-auto-accept");
    expect((await t.call("GET", `/api/v1/orders/${o.id}`, { token: client.token })).body.status).toBe(
      "disputed",
    );
    expect(wallet(t, client.id).held).toBe(500_00);
  });
});

describe("SLA", () => {
  test("a passed deadline before delivery is recorded once and notified to both parties", async () => {
    const deadline = new Date(t.clock.now() + 2 * DAY).toISOString();
    const o = (
      await t.call("POST", "/api/v1/orders", {
        token: client.token,
        body: { title: "Essay", subject_id: subjectId, deadline },
      })
    ).body;
    await act(`${o.id}/take`, expert.token);
    t.clock.advance(2 * DAY - 1);
    await runAction("orders-sla-breach");
    expect(
      (await t.call("GET", `/api/v1/orders/${o.id}`, { token: client.token })).body.sla_breached_at,
    ).toBeNull();
    t.clock.advance(1);
    await runAction("orders-sla-breach");
    await runAction("orders-sla-breach");
    const after = (await t.call("GET", `/api/v1/orders/${o.id}`, { token: client.token })).body;
    expect(after.sla_breached_at).toBe(new Date(t.clock.now()).toISOString());
    const tl = await t.call("GET", `/api/v1/orders/${o.id}/events`, { token: client.token });
    expect(tl.body.results.filter((e: any) => e.type === "order.sla_breached")).toHaveLength(1);
    for (const u of [client, expert]) {
      expect(
        (await t.call("GET", "/api/v1/notifications?type=order_sla_breached", { token: u.token })).body.count,
      ).toBe(1);
    }
    expect(
      (await t.call("GET", "/api/v1/admin/orders?sla_breached=true", { token: admin.token })).body.count,
    ).toBe(1);
  });

  test("a session started on time does not breach while it runs; one not started by its time does", async () => {
    const at = t.clock.now() + DAY;
    const session = async () => {
      fundWallet(t, client.id, 300_00);
      const o = (
        await t.call("POST", "/api/v1/orders", {
          token: client.token,
          body: {
            title: "Consultation",
            subject_id: subjectId,
            kind: "session",
            scheduled_at: new Date(at).toISOString(),
            duration_minutes: 60,
          },
        })
      ).body;
      await act(`${o.id}/take`, expert.token);
      await act(`${o.id}/set-price`, expert.token, { price: 300_00 });
      await act(`${o.id}/pay`, client.token);
      return o.id as number;
    };
    const started = await session();
    const missed = await session();
    t.clock.advance(DAY - 60_000);
    expect((await act(`${started}/start`, expert.token)).status).toBe(200);
    // Twenty minutes into the hour: the one that started is on time, the other is late.
    t.clock.advance(21 * 60_000);
    await runAction("orders-sla-breach");
    const breached = async (id: number) =>
      (await t.call("GET", `/api/v1/orders/${id}`, { token: client.token })).body.sla_breached_at;
    expect(await breached(started)).toBeNull();
    expect(await breached(missed)).toBe(new Date(t.clock.now()).toISOString());
  });

  test("delivered or finished orders do not breach", async () => {
    const deadline = new Date(t.clock.now() + DAY).toISOString();
    const o = (
      await t.call("POST", "/api/v1/orders", {
        token: client.token,
        body: { title: "x", subject_id: subjectId, deadline },
      })
    ).body;
    await act(`${o.id}/cancel`, client.token);
    t.clock.advance(2 * DAY);
    const r = await runAction("orders-sla-breach");
    expect(r.status).toBe(200);
    expect(
      (await t.call("GET", `/api/v1/orders/${o.id}`, { token: client.token })).body.sla_breached_at,
    ).toBeNull();
  });

  test("run-action is admin only and knows the marketplace schedules", async () => {
    expectError(
      await t.call("POST", "/api/v1/admin/system/run-action", {
        token: client.token,
        body: { action: "orders-sla-breach" },
      }),
      403,
      "forbidden",
    );
    const status = await t.call("GET", "/api/v1/admin/system/status", { token: admin.token });
    expect(JSON.stringify(status.body)).toContain("orders-auto-accept");
  });
});
