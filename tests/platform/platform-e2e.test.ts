import { afterAll, describe, expect, test } from "bun:test";
import { closeAllStreams } from "../../src/modules/platform/notifications/hub";
import { makeTestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";
import { makeExpert, makeSubject } from "../helpers/marketplace";
import { openSse } from "../helpers/sse";
import { startWebhookReceiver, verifyAt } from "../helpers/webhook-receiver";

const receiver = startWebhookReceiver();
afterAll(() => {
  closeAllStreams();
  receiver.stop();
});

describe("platform end to end: an order event fires a rule, the client sees it live, a signed webhook arrives", () => {
  test("order.take -> rule -> notification over SSE to the client, and order.take delivered to a webhook", async () => {
    const t = makeTestApp();
    t.ctx.settings.setNow({ webhooks_allow_private_urls: true }, t.clock.now());
    const admin = await t.user("admin");
    const client = await t.user("client");
    const subject = makeSubject(t);
    const expert = await makeExpert(t, [subject.id]);

    const hook = await t.call("POST", "/api/v1/admin/webhooks", {
      token: admin.token,
      body: { url: `${receiver.url}/souk`, event_types: ["order.*"], description: "e2e" },
    });
    expect(hook.status).toBe(201);
    const secret = hook.body.secret as string;
    expect(secret).toStartWith("whsec_");

    const rule = await t.call("POST", "/api/v1/admin/rules", {
      token: admin.token,
      body: {
        name: "Tell the client an expert took the order",
        event_type: "order.take",
        conditions: { all: [{ fact: "subject.status", operator: "eq", value: "in_review" }] },
        actions: [
          {
            type: "create_notification",
            params: { to: "client", title: "An expert is on it", message: "Your order was taken" },
          },
        ],
      },
    });
    expect(rule.status).toBe(201);

    const server = Bun.serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
    try {
      const stream = await openSse(`http://127.0.0.1:${server.port}/api/v1/notifications/stream`, {
        authorization: `Bearer ${client.token}`,
      });
      expect(stream.status).toBe(200);

      const order = await t.call("POST", "/api/v1/orders", {
        token: client.token,
        body: { title: "Thesis review", subject_id: subject.id },
      });
      expect(order.status).toBe(201);
      const taken = await t.call("POST", `/api/v1/orders/${order.body.id}/take`, { token: expert.token });
      expect(taken.status).toBe(200);

      // Live: the rule's notification reaches the client's open stream.
      const live = await stream.next(
        (e) => e.event === "notification" && JSON.parse(e.data).title === "An expert is on it",
        5000,
      );
      expect(JSON.parse(live.data).message).toBe("Your order was taken");
      stream.close();

      // The rule's run is logged against the event and the rule's version.
      const runs = await t.call("GET", `/api/v1/admin/rules/${rule.body.id}/runs`, { token: admin.token });
      expect(runs.body.results[0]).toMatchObject({ matched: true, rule_version: 1 });

      // Signed webhooks: order.created and order.take, each verified as a receiver would.
      await t.ctx.jobs.drain(t.ctx);
      const types = receiver.received.map(
        (r) => (verifyAt(secret, r, t.clock.now()) as { type: string }).type,
      );
      expect(types).toContain("order.created");
      expect(types).toContain("order.take");
      const take = receiver.received.find((r) => JSON.parse(r.body).type === "order.take")!;
      expect(take.headers["webhook-id"]).toStartWith("msg_");
      expect(JSON.parse(take.body).data).toMatchObject({
        subject_type: "order",
        subject_id: String(order.body.id),
      });
    } finally {
      await server.stop(true);
    }
  });

  test("usage recorded on the group-commit hot path reaches rules and webhooks too (single and batch)", async () => {
    receiver.reset();
    const t = makeTestApp();
    t.ctx.settings.setNow({ webhooks_allow_private_urls: true }, t.clock.now());
    const admin = await t.user("admin");
    const u = await t.user("client");
    grantSeconds(t, u.id, 3600);
    const hook = await t.call("POST", "/api/v1/admin/webhooks", {
      token: admin.token,
      body: { url: `${receiver.url}/usage`, event_types: ["usage.*"] },
    });
    const rule = await t.call("POST", "/api/v1/admin/rules", {
      token: admin.token,
      body: {
        name: "Long sessions",
        event_type: "usage.recorded",
        conditions: { fact: "payload.billed_seconds", operator: "gte", value: 600 },
        actions: [
          { type: "create_notification", params: { to: "actor", title: "Long session", message: "10 min+" } },
        ],
      },
    });
    expect(rule.status).toBe(201);
    const rec = (id: string, seconds: number) =>
      t.call("POST", "/api/v1/usage/record", { token: u.token, body: { id, seconds } });
    expect((await rec("short", 30)).status).toBe(201);
    expect((await rec("long", 700)).status).toBe(201);
    const batch = await t.call("POST", "/api/v1/usage/batch", {
      token: u.token,
      body: { events: [{ id: "b1", seconds: 20 }] },
    });
    expect(batch.status).toBe(200);
    const titles = (
      t.ctx.sqlite.query("SELECT title FROM notifications WHERE user_id = ?").all(u.id) as { title: string }[]
    ).map((n) => n.title);
    expect(titles.filter((x) => x === "Long session")).toHaveLength(1);
    await t.ctx.jobs.drain(t.ctx);
    const types = receiver.received.map(
      (r) => (verifyAt(hook.body.secret, r, t.clock.now()) as { type: string }).type,
    );
    expect(types.sort()).toEqual(["usage.batch_recorded", "usage.recorded", "usage.recorded"]);
  });
});
