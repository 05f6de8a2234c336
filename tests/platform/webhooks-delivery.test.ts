import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { write } from "../../src/db/write";
import { DUE_IDS_SQL, DUE_IN_SQL, MAX_SENDING } from "../../src/modules/platform/webhooks/deliver";
import { enqueueDelivery } from "../../src/modules/platform/webhooks/deliveries";
import { createEndpoint } from "../../src/modules/platform/webhooks/endpoints";
import { fanOutEvents } from "../../src/modules/platform/webhooks/fanout";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { startWebhookReceiver, verifyAt } from "../helpers/webhook-receiver";

const rx = startWebhookReceiver();
afterAll(() => rx.stop());

const HOUR = 3600_000;
let t: TestApp;
let admin: Awaited<ReturnType<TestApp["user"]>>;

beforeEach(async () => {
  rx.reset();
  t = makeTestApp();
  // The receiver is on loopback: allowed here, refused by default (see the SSRF tests).
  t.ctx.settings.setNow({ webhooks_allow_private_urls: true }, t.clock.now());
  admin = await t.user("admin");
});

type Delivery = {
  id: number;
  endpoint_id: number;
  message_id: string;
  event_id: number | null;
  event_type: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  delivered_at: number | null;
  payload: string;
};

async function endpoint(eventTypes: string[], path = "/hook") {
  const r = await t.call("POST", "/api/v1/admin/webhooks", {
    token: admin.token,
    body: { url: `${rx.url}${path}`, event_types: eventTypes },
  });
  expect(r.status).toBe(201);
  return r.body as { id: number; secret: string; url: string };
}

/** An admin action that emits `package.created`. */
async function createPackage(name = "Starter") {
  const r = await t.call("POST", "/api/v1/admin/packages", {
    token: admin.token,
    body: { name, seconds: 3600, price: 49000, currency: "RUB", validity_days: 30 },
  });
  expect(r.status).toBe(201);
  return r.body as { id: number };
}

/** An admin action that emits `promo_code.created`. */
async function createPromo() {
  const r = await t.call("POST", "/api/v1/admin/promo-codes", {
    token: admin.token,
    body: { code: `P${Math.random().toString(36).slice(2, 8).toUpperCase()}`, percent_off: 10 },
  });
  expect(r.status).toBe(201);
}

const deliveries = () =>
  t.ctx.sqlite.query("SELECT * FROM webhook_deliveries ORDER BY id").all() as Delivery[];
/** The sender's queue: deliveries with a next attempt, and when it is due. */
const queued = () =>
  t.ctx.sqlite
    .query("SELECT id, next_attempt_at FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL ORDER BY id")
    .all() as { id: number; next_attempt_at: number }[];
const drain = () => t.ctx.jobs.drain(t.ctx);
/** The worker's first step alone: events since the cursor become deliveries, nothing is sent. */
const fanOut = () => write(t.ctx, (tx) => fanOutEvents(t.ctx, tx));
const endpointRow = (id: number) =>
  t.ctx.sqlite.query("SELECT * FROM webhook_endpoints WHERE id = ?").get(id) as {
    enabled: number;
    disabled_reason: string | null;
  };

describe("fan-out: an event that matches an endpoint's patterns", () => {
  test("is fanned out and delivered after commit by the worker, signed (standardwebhooks verifies it), with the event as data", async () => {
    const ep = await endpoint(["package.*"]);
    const pkg = await createPackage();
    // Nothing was written or sent in the request: the worker fans the event out after its commit.
    expect(deliveries()).toEqual([]);
    expect(fanOut()).toBe(1);
    const [d] = deliveries();
    expect(d).toMatchObject({
      endpoint_id: ep.id,
      event_type: "package.created",
      status: "pending",
      attempts: 0,
    });
    expect(d!.message_id).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
    expect(queued()).toEqual([{ id: d!.id, next_attempt_at: t.clock.now() }]);
    expect(fanOut()).toBe(0);
    expect(rx.received).toHaveLength(0);

    expect(await drain()).toBe(1);
    expect(rx.received).toHaveLength(1);
    const r = rx.received[0]!;
    expect(r.path).toBe("/hook");
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers["user-agent"]).toBe("souk-webhooks/1");
    expect(r.headers["webhook-id"]).toBe(d!.message_id);
    expect(r.headers["webhook-timestamp"]).toBe(String(Math.floor(t.clock.now() / 1000)));
    expect(r.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    const body = verifyAt(ep.secret, r, t.clock.now()) as Record<string, any>;
    const event = t.ctx.sqlite.query("SELECT * FROM events WHERE type = 'package.created'").get() as any;
    expect(body).toEqual({
      type: "package.created",
      timestamp: new Date(t.clock.now()).toISOString(),
      data: {
        id: event.id,
        type: "package.created",
        actor_id: admin.id,
        subject_type: "package",
        subject_id: String(pkg.id),
        payload: JSON.parse(event.payload),
        created_at: new Date(event.created_at).toISOString(),
      },
    });
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`).verify(r.body, r.headers),
    ).toThrow();

    const [done] = deliveries();
    expect(done).toMatchObject({ status: "succeeded", attempts: 1, last_status_code: 204, last_error: null });
    expect(done!.delivered_at).toBe(t.clock.now());
    expect(done!.last_duration_ms).toBeGreaterThanOrEqual(0);

    const list = await t.call("GET", `/api/v1/admin/webhooks/${ep.id}/deliveries`, { token: admin.token });
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(1);
    expect(list.body.results[0]).toMatchObject({
      id: d!.id,
      message_id: d!.message_id,
      event_id: event.id,
      event_type: "package.created",
      status: "succeeded",
      attempts: 1,
      last_status_code: 204,
      delivered_at: new Date(t.clock.now()).toISOString(),
    });
  });

  test("an event no endpoint wants writes nothing, not even the cursor; the next wanted one moves it past both", async () => {
    await endpoint(["package.*"]);
    const cursor = () =>
      (t.ctx.sqlite.query("SELECT last_event_id FROM webhook_fanout").get() as { last_event_id: number })
        .last_event_id;
    const stored = cursor();
    await createPromo();
    expect(await drain()).toBe(0);
    expect(deliveries()).toEqual([]);
    expect(cursor()).toBe(stored);
    await createPackage();
    expect(await drain()).toBe(1);
    const last = t.ctx.sqlite.query("SELECT max(id) AS id FROM events").get() as { id: number };
    expect(cursor()).toBe(last.id);
    expect(deliveries().map((d) => d.event_type)).toEqual(["package.created"]);
    expect(rx.received).toHaveLength(1);
  });

  test("exact, prefix and * patterns; one delivery per endpoint even when several of its patterns match", async () => {
    const both = await endpoint(["package.created", "package.*"]);
    const all = await endpoint(["*"]);
    const exact = await endpoint(["package.updated"]);
    const promo = await endpoint(["promo_code.*"]);
    await createPackage();
    fanOut();
    expect(deliveries().map((d) => d.endpoint_id)).toEqual([both.id, all.id]);
    await createPromo();
    fanOut();
    expect(deliveries().map((d) => d.endpoint_id)).toEqual([both.id, all.id, all.id, promo.id]);
    expect(deliveries().some((d) => d.endpoint_id === exact.id)).toBe(false);
    await drain();
    expect(rx.received).toHaveLength(4);
    // One message id per (endpoint, event).
    expect(new Set(deliveries().map((d) => d.message_id)).size).toBe(4);
  });

  test("disabled and deleted endpoints get nothing; the index follows every endpoint write", async () => {
    const ep = await endpoint(["package.*"]);
    await t.call("PATCH", `/api/v1/admin/webhooks/${ep.id}`, {
      token: admin.token,
      body: { enabled: false },
    });
    await createPackage("a");
    fanOut();
    expect(deliveries()).toHaveLength(0);
    await t.call("PATCH", `/api/v1/admin/webhooks/${ep.id}`, { token: admin.token, body: { enabled: true } });
    await createPackage("b");
    fanOut();
    expect(deliveries()).toHaveLength(1);
    await t.call("PATCH", `/api/v1/admin/webhooks/${ep.id}`, {
      token: admin.token,
      body: { event_types: ["promo_code.created"] },
    });
    await createPackage("c");
    fanOut();
    expect(deliveries()).toHaveLength(1);
    await createPromo();
    fanOut();
    expect(deliveries()).toHaveLength(2);
    expect((await t.call("DELETE", `/api/v1/admin/webhooks/${ep.id}`, { token: admin.token })).status).toBe(
      204,
    );
    await createPromo();
    fanOut();
    expect(deliveries()).toHaveLength(2);
  });

  test("an event is matched against the subscriptions it was committed under, not later ones", async () => {
    const ep = await endpoint(["promo_code.*"]);
    // Committed while only promo codes were wanted, not yet fanned out when the patterns change.
    await createPackage("before");
    const r = await t.call("PATCH", `/api/v1/admin/webhooks/${ep.id}`, {
      token: admin.token,
      body: { event_types: ["package.*"] },
    });
    expect(r.status).toBe(200);
    // An endpoint created after an event does not get it either.
    await createPackage("also before");
    const late = await endpoint(["package.*"]);
    expect(await drain()).toBe(1);
    await createPackage("after");
    expect(await drain()).toBe(2);
    const names = deliveries().map((d) => [d.endpoint_id, JSON.parse(d.payload).payload.name]);
    expect(names).toEqual([
      [ep.id, "also before"],
      [ep.id, "after"],
      [late.id, "after"],
    ]);
  });

  test("the engine's own events are never delivered, even to a * endpoint", async () => {
    const all = await endpoint(["*"]);
    const other = await endpoint(["package.*"]);
    await t.call("PATCH", `/api/v1/admin/webhooks/${other.id}`, {
      token: admin.token,
      body: { description: "x" },
    });
    await t.call("POST", `/api/v1/admin/webhooks/${other.id}/rotate-secret`, { token: admin.token });
    await t.call("DELETE", `/api/v1/admin/webhooks/${other.id}`, { token: admin.token });
    expect(await drain()).toBe(0);
    expect(deliveries()).toEqual([]);
    expect(all.id).toBeGreaterThan(0);
  });

  test("an event whose fan-out fails is logged and skipped; the caller's change and later events are not affected", async () => {
    await endpoint(["package.*"]);
    t.ctx.sqlite.exec(
      "CREATE TRIGGER boom BEFORE INSERT ON webhook_deliveries BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    );
    const logged: string[] = [];
    const error = t.ctx.logger.error.bind(t.ctx.logger);
    t.ctx.logger.error = ((obj: unknown, msg?: string) => {
      logged.push(msg ?? "");
      return error(obj as never, msg as never);
    }) as typeof t.ctx.logger.error;
    const pkg = await createPackage();
    expect(t.ctx.sqlite.query("SELECT id FROM packages WHERE id = ?").get(pkg.id)).toEqual({ id: pkg.id });
    expect(await drain()).toBe(0);
    expect(deliveries()).toEqual([]);
    expect(logged).toContain("webhook fan-out failed; the event is not delivered");
    t.ctx.sqlite.exec("DROP TRIGGER boom");
    await createPackage("next");
    expect(await drain()).toBe(1);
    expect(deliveries().map((d) => d.event_type)).toEqual(["package.created"]);
    expect(rx.received).toHaveLength(1);
  });
});

describe("retries", () => {
  test("a 500 is retried on the backoff schedule with the same webhook-id until it succeeds", async () => {
    const ep = await endpoint(["package.*"]);
    await createPackage();
    rx.answer({ status: 500, body: "upstream down" }, { status: 503 });
    await drain();
    let [d] = deliveries();
    expect(d).toMatchObject({ status: "pending", attempts: 1, last_status_code: 500 });
    expect(d!.last_error).toBe("HTTP 500: upstream down");
    const next = queued();
    expect(next).toHaveLength(1);
    // webhook_retry_base_delay_seconds (5400) * RETRY_BACKOFF_FACTOR (2) ^ 0
    expect(next[0]!.next_attempt_at).toBe(t.clock.now() + 1.5 * HOUR);
    expect(await drain()).toBe(0);

    t.clock.advance(1.5 * HOUR);
    await drain();
    [d] = deliveries();
    expect(d).toMatchObject({ status: "pending", attempts: 2, last_status_code: 503 });
    expect(queued()[0]!.next_attempt_at).toBe(t.clock.now() + 3 * HOUR);

    t.clock.advance(3 * HOUR);
    await drain();
    [d] = deliveries();
    expect(d).toMatchObject({ status: "succeeded", attempts: 3, last_status_code: 204, last_error: null });
    expect(queued()).toEqual([]);

    expect(rx.received).toHaveLength(3);
    expect(new Set(rx.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([d!.message_id]));
    // Same bytes each time; a fresh timestamp and signature per attempt.
    expect(new Set(rx.received.map((r) => r.body)).size).toBe(1);
    expect(new Set(rx.received.map((r) => r.headers["webhook-timestamp"])).size).toBe(3);
    const last = rx.received[2]!;
    expect(verifyAt(ep.secret, last, t.clock.now())).toMatchObject({ type: "package.created" });
  });

  test("after webhook_max_attempts failures (5 over ~22.5 h by default) the delivery fails and nothing is queued", async () => {
    await endpoint(["package.*"]);
    await createPackage();
    fanOut();
    const start = t.clock.now();
    const at: number[] = [];
    for (let i = 0; i < 5; i++) {
      rx.answer({ status: 500 });
      const due = queued()[0]!.next_attempt_at;
      t.clock.set(due);
      at.push((due - start) / HOUR);
      await drain();
    }
    expect(at).toEqual([0, 1.5, 4.5, 10.5, 22.5]);
    expect(deliveries()[0]).toMatchObject({ status: "failed", attempts: 5, last_status_code: 500 });
    expect(queued()).toEqual([]);
    t.clock.advance(48 * HOUR);
    expect(await drain()).toBe(0);
    expect(rx.received).toHaveLength(5);
  });

  test("the schedule follows the settings", async () => {
    t.ctx.settings.setNow(
      { webhook_max_attempts: 2, webhook_retry_base_delay_seconds: 60, RETRY_BACKOFF_FACTOR: 3 },
      t.clock.now(),
    );
    await endpoint(["package.*"]);
    await createPackage();
    rx.answer({ status: 502 }, { status: 502 });
    await drain();
    expect(queued()[0]!.next_attempt_at).toBe(t.clock.now() + 60_000);
    t.clock.advance(60_000);
    await drain();
    expect(deliveries()[0]).toMatchObject({ status: "failed", attempts: 2 });
    expect(queued()).toEqual([]);
  });

  test("410 Gone disables the endpoint with a reason and an event; nothing retries or is delivered to it", async () => {
    const ep = await endpoint(["package.*"]);
    const all = await endpoint(["*"]);
    await createPackage();
    rx.answer({ status: 410 });
    await drain();
    const mine = deliveries().filter((d) => d.endpoint_id === ep.id);
    expect(mine[0]).toMatchObject({ status: "failed", attempts: 1, last_status_code: 410 });
    expect(endpointRow(ep.id).enabled).toBe(0);
    expect(endpointRow(ep.id).disabled_reason).toContain("410 Gone");
    const ev = t.ctx.sqlite.query("SELECT * FROM events WHERE type = 'webhook_endpoint.disabled'").all() as {
      subject_id: string;
      actor_id: number | null;
    }[];
    expect(ev).toEqual([expect.objectContaining({ subject_id: String(ep.id), actor_id: null })]);
    expect(queued()).toEqual([]);
    // The engine's event is not delivered to the * endpoint: only its package.created delivery exists.
    expect(
      deliveries()
        .filter((d) => d.endpoint_id === all.id)
        .map((d) => d.event_type),
    ).toEqual(["package.created"]);

    const got = await t.call("GET", `/api/v1/admin/webhooks/${ep.id}`, { token: admin.token });
    expect(got.body).toMatchObject({ enabled: false, disabled_reason: expect.stringContaining("410 Gone") });
    await createPackage("again");
    fanOut();
    expect(deliveries().filter((d) => d.endpoint_id === ep.id)).toHaveLength(1);

    // Turning it back on clears the reason and deliveries resume.
    const on = await t.call("PATCH", `/api/v1/admin/webhooks/${ep.id}`, {
      token: admin.token,
      body: { enabled: true },
    });
    expect(on.body).toMatchObject({ enabled: true, disabled_reason: null });
    await createPackage("third");
    fanOut();
    expect(deliveries().filter((d) => d.endpoint_id === ep.id)).toHaveLength(2);
  });

  test("a receiver that does not answer within webhook_timeout_seconds is a failed attempt, retried", async () => {
    t.ctx.settings.setNow({ webhook_timeout_seconds: 1 }, t.clock.now());
    await endpoint(["package.*"]);
    await createPackage();
    rx.answer({ delayMs: 2500 });
    await drain();
    const [d] = deliveries();
    expect(d).toMatchObject({
      status: "pending",
      attempts: 1,
      last_status_code: null,
      last_error: "no answer within 1 s",
    });
    expect(d!.last_duration_ms).toBeGreaterThanOrEqual(900);
    expect(d!.last_duration_ms).toBeLessThan(2400);
    expect(queued()).toHaveLength(1);
  });

  test("a redirect is not followed: it is a failed attempt", async () => {
    await endpoint(["package.*"]);
    await createPackage();
    rx.answer({ status: 302 });
    await drain();
    expect(deliveries()[0]).toMatchObject({
      status: "pending",
      last_status_code: 302,
      last_error: "HTTP 302 (redirects are not followed)",
    });
    expect(rx.received).toHaveLength(1);
  });

  test("an unreachable receiver is a failed attempt, retried", async () => {
    const dead = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const url = `http://127.0.0.1:${dead.port}/gone`;
    dead.stop(true);
    const r = await t.call("POST", "/api/v1/admin/webhooks", {
      token: admin.token,
      body: { url, event_types: ["package.*"] },
    });
    expect(r.status).toBe(201);
    await createPackage();
    await drain();
    expect(deliveries()[0]).toMatchObject({ status: "pending", attempts: 1, last_status_code: null });
    expect(deliveries()[0]!.last_error).toStartWith("request failed:");
  });

  test("a queued delivery to an endpoint deleted meanwhile fails without a request", async () => {
    const ep = await endpoint(["package.*"]);
    await createPackage();
    await t.call("DELETE", `/api/v1/admin/webhooks/${ep.id}`, { token: admin.token });
    await drain();
    expect(deliveries()[0]).toMatchObject({
      status: "failed",
      attempts: 0,
      last_error: "the endpoint was deleted",
    });
    expect(rx.received).toEqual([]);
  });
});

describe("slow receivers", () => {
  test("a receiver that takes long to answer holds back neither other receivers' deliveries nor other jobs", async () => {
    await endpoint(["package.*"], "/slow");
    await endpoint(["promo_code.*"], "/fast");
    rx.answer({ delayMs: 1500 }); // the first request (to /slow) is answered 1.5 s late
    let probed = false;
    t.ctx.jobs.register("probe", async () => {
      probed = true;
    });
    const status = (path: string) =>
      (
        t.ctx.sqlite
          .query(
            "SELECT d.status FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE e.url LIKE ?",
          )
          .get(`%${path}`) as { status: string }
      ).status;
    const until = async (cond: () => boolean) => {
      const end = Date.now() + 5000;
      while (!cond() && Date.now() < end) await Bun.sleep(5);
      expect(cond()).toBe(true);
    };
    t.ctx.jobs.start(t.ctx);
    try {
      await createPackage();
      await until(() => rx.received.length === 1); // /slow has the request and sits on it
      await createPromo();
      t.ctx.db.transaction((tx) => t.ctx.jobs.enqueue(t.ctx, tx, { type: "probe", payload: {} }));
      await until(() => rx.received.length === 2 && probed);
      await until(() => status("/fast") === "succeeded");
      // All that while, the slow request was still out.
      expect(rx.received.map((r) => r.path)).toEqual(["/slow", "/fast"]);
      expect(status("/slow")).toBe("pending");
    } finally {
      await t.ctx.jobs.stop(); // waits for the request still out
    }
    expect(status("/slow")).toBe("succeeded");
  });

  test(`at most ${MAX_SENDING} requests are out at once; the rest go as room frees up`, async () => {
    let out = 0;
    let most = 0;
    const app = makeTestApp(
      {},
      {
        fetch: (async (_url: string) => {
          most = Math.max(most, ++out);
          await Bun.sleep(30);
          out--;
          return new Response(null, { status: 204 });
        }) as typeof fetch,
      },
    );
    app.ctx.settings.setNow({ webhooks_allow_private_urls: true }, app.clock.now());
    const n = MAX_SENDING + 40;
    write(app.ctx, (tx) => {
      const { endpoint: ep } = createEndpoint(app.ctx, tx, {
        url: "http://receiver.test/hook",
        eventTypes: [],
      });
      for (let i = 0; i < n; i++) enqueueDelivery(app.ctx, tx, ep.id, { type: "store.ping", payload: { i } });
    });
    expect(await app.ctx.jobs.drain(app.ctx)).toBe(n);
    expect(most).toBe(MAX_SENDING);
    const done = app.ctx.sqlite
      .query("SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'succeeded'")
      .get() as { n: number };
    expect(done.n).toBe(n);
  });
});

describe("picking due deliveries while requests are out", () => {
  const plan = (sql: string, ...args: unknown[]) =>
    (t.ctx.sqlite.query(`EXPLAIN QUERY PLAN ${sql}`).all(...(args as [])) as { detail: string }[])
      .map((r) => r.detail)
      .join("; ");

  test("the ids come from the due index alone, and only the picked rows are read whole", () => {
    expect(plan(DUE_IDS_SQL, 0, 1)).toContain("USING COVERING INDEX webhook_deliveries_due_idx");
    const picked = plan(DUE_IN_SQL, "[1]");
    expect(picked).toContain("SEARCH d USING INTEGER PRIMARY KEY (rowid=?)");
    expect(picked).not.toContain("SCAN d");
  });
});

describe("SSRF guard at delivery", () => {
  test("an endpoint saved while private urls were allowed is refused at delivery once they are not: failed, no retry, logged", async () => {
    const ep = await endpoint(["package.*"]);
    t.ctx.settings.setNow({ webhooks_allow_private_urls: false }, t.clock.now());
    const warnings: unknown[] = [];
    const warn = t.ctx.logger.warn.bind(t.ctx.logger);
    t.ctx.logger.warn = ((obj: unknown, msg?: string) => {
      warnings.push({ obj, msg });
      return warn(obj as never, msg as never);
    }) as typeof t.ctx.logger.warn;
    await createPackage();
    await drain();
    const [d] = deliveries();
    expect(d).toMatchObject({ status: "failed", attempts: 1, last_status_code: null });
    expect(d!.last_error).toBe("refused: the url must be https");
    expect(rx.received).toEqual([]);
    expect(queued()).toEqual([]);
    expect(warnings).toContainEqual({
      obj: expect.objectContaining({ delivery_id: d!.id, endpoint_id: ep.id }),
      msg: "webhook delivery refused: the url is not allowed",
    });
  });

  test("an https url to a loopback address is refused at delivery by its address", async () => {
    // Saved while allowed; its address is loopback, so it is refused once private urls are not.
    const r = await t.call("POST", "/api/v1/admin/webhooks", {
      token: admin.token,
      body: { url: "https://127.0.0.1:1/hook", event_types: ["package.*"] },
    });
    expect(r.status).toBe(201);
    t.ctx.settings.setNow({ webhooks_allow_private_urls: false }, t.clock.now());
    await createPackage();
    await drain();
    expect(deliveries()[0]!.last_error).toBe(
      "refused: the url resolves to a loopback, private or link-local address (127.0.0.1)",
    );
    expect(deliveries()[0]!.status).toBe("failed");
  });
});

describe("redeliver, test ping, rotate-secret", () => {
  test("redeliver sends a finished delivery again with the same webhook-id; audited with an event", async () => {
    const ep = await endpoint(["package.*"]);
    await createPackage();
    await drain();
    const [d] = deliveries();
    const r = await t.call("POST", `/api/v1/admin/webhooks/deliveries/${d!.id}/redeliver`, {
      token: admin.token,
    });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ id: d!.id, status: "pending", message_id: d!.message_id, attempts: 1 });
    // Still pending: a second redeliver is refused.
    expectError(
      await t.call("POST", `/api/v1/admin/webhooks/deliveries/${d!.id}/redeliver`, { token: admin.token }),
      409,
      "conflict",
    );
    await drain();
    expect(rx.received).toHaveLength(2);
    expect(rx.received[1]!.headers["webhook-id"]).toBe(d!.message_id);
    expect(rx.received[1]!.body).toBe(rx.received[0]!.body);
    verifyAt(ep.secret, rx.received[1]!, t.clock.now());
    expect(deliveries()[0]).toMatchObject({ status: "succeeded", attempts: 2 });
    const audit = t.ctx.sqlite
      .query("SELECT actor_id, target_id FROM audit_log WHERE action = 'webhook_delivery.redelivered'")
      .all();
    expect(audit).toEqual([{ actor_id: admin.id, target_id: String(d!.id) }]);
    expect(
      t.ctx.sqlite
        .query("SELECT count(*) AS n FROM events WHERE type = 'webhook_delivery.redelivered'")
        .get(),
    ).toEqual({ n: 1 });
  });

  test("a failed delivery gets a fresh round of attempts on redelivery", async () => {
    t.ctx.settings.setNow({ webhook_max_attempts: 1 }, t.clock.now());
    await endpoint(["package.*"]);
    await createPackage();
    rx.answer({ status: 500 });
    await drain();
    const [d] = deliveries();
    expect(d).toMatchObject({ status: "failed", attempts: 1 });
    expect(
      (await t.call("POST", `/api/v1/admin/webhooks/deliveries/${d!.id}/redeliver`, { token: admin.token }))
        .status,
    ).toBe(202);
    await drain();
    expect(deliveries()[0]).toMatchObject({ status: "succeeded", attempts: 2, last_status_code: 204 });
  });

  test("redeliver: unknown, disabled endpoint, someone else's, wrong role, no auth", async () => {
    const ep = await endpoint(["package.*"]);
    await createPackage();
    await drain();
    const [d] = deliveries();
    const path = `/api/v1/admin/webhooks/deliveries/${d!.id}/redeliver`;
    expectError(
      await t.call("POST", "/api/v1/admin/webhooks/deliveries/999/redeliver", { token: admin.token }),
      404,
      "not_found",
    );
    expectError(await t.call("POST", path), 401, "unauthenticated");
    const client = await t.user("client");
    expectError(await t.call("POST", path, { token: client.token }), 403, "forbidden");
    const reader = await t.user("support", { grantedPermissions: ["webhooks:read"] });
    expectError(await t.call("POST", path, { token: reader.token }), 403, "forbidden");
    expectError(await t.call("POST", path, { token: admin.token, body: { x: 1 } }), 400, "validation_failed");
    await t.call("PATCH", `/api/v1/admin/webhooks/${ep.id}`, {
      token: admin.token,
      body: { enabled: false },
    });
    expectError(await t.call("POST", path, { token: admin.token }), 409, "conflict");
    await t.call("DELETE", `/api/v1/admin/webhooks/${ep.id}`, { token: admin.token });
    expectError(await t.call("POST", path, { token: admin.token }), 404, "not_found");

    // A store's callback delivery is not the admins' to redeliver here.
    const owned = t.ctx.db.transaction(
      (tx) => {
        const { endpoint: e } = createEndpoint(t.ctx, tx, {
          url: `${rx.url}/store`,
          eventTypes: [],
          owner: { type: "store", id: 7 },
        });
        return enqueueDelivery(t.ctx, tx, e.id, {
          type: "gateway.order.completed",
          payload: { order_id: 1 },
        });
      },
      { behavior: "immediate" },
    );
    await drain();
    expectError(
      await t.call("POST", `/api/v1/admin/webhooks/deliveries/${owned!.id}/redeliver`, {
        token: admin.token,
      }),
      404,
      "not_found",
    );
    expect(deliveries().filter((x) => x.status === "pending")).toEqual([]);
  });

  test("test ping: a webhook.test message to this endpoint only, signed and verifiable", async () => {
    const ep = await endpoint(["package.*"]);
    const all = await endpoint(["*"]);
    const r = await t.call("POST", `/api/v1/admin/webhooks/${ep.id}/test`, { token: admin.token });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({
      endpoint_id: ep.id,
      event_type: "webhook.test",
      status: "pending",
      attempts: 0,
    });
    expect(deliveries().map((d) => d.endpoint_id)).toEqual([ep.id]);
    await drain();
    expect(rx.received).toHaveLength(1);
    const body = verifyAt(ep.secret, rx.received[0]!, t.clock.now()) as any;
    expect(body).toMatchObject({
      type: "webhook.test",
      data: {
        type: "webhook.test",
        actor_id: admin.id,
        subject_type: "webhook_endpoint",
        subject_id: String(ep.id),
      },
    });
    expect(deliveries()[0]).toMatchObject({ status: "succeeded" });
    expect(
      t.ctx.sqlite
        .query("SELECT count(*) AS n FROM audit_log WHERE action = 'webhook_endpoint.tested'")
        .get(),
    ).toEqual({ n: 1 });
    expect(all.id).toBeGreaterThan(ep.id);

    await t.call("PATCH", `/api/v1/admin/webhooks/${ep.id}`, {
      token: admin.token,
      body: { enabled: false },
    });
    expectError(
      await t.call("POST", `/api/v1/admin/webhooks/${ep.id}/test`, { token: admin.token }),
      409,
      "conflict",
    );
    expectError(
      await t.call("POST", "/api/v1/admin/webhooks/999/test", { token: admin.token }),
      404,
      "not_found",
    );
    expectError(
      await t.call("POST", `/api/v1/admin/webhooks/${all.id}/test`, {
        token: admin.token,
        body: { event: "x" },
      }),
      400,
      "validation_failed",
    );
    const store = t.ctx.db.transaction(
      (tx) =>
        createEndpoint(t.ctx, tx, { url: `${rx.url}/store`, eventTypes: [], owner: { type: "store", id: 1 } })
          .endpoint,
      { behavior: "immediate" },
    );
    expectError(
      await t.call("POST", `/api/v1/admin/webhooks/${store.id}/test`, { token: admin.token }),
      404,
      "not_found",
    );
    expect(deliveries()).toHaveLength(1);
    const client = await t.user("client");
    expectError(
      await t.call("POST", `/api/v1/admin/webhooks/${all.id}/test`, { token: client.token }),
      403,
      "forbidden",
    );
    expectError(await t.call("POST", `/api/v1/admin/webhooks/${all.id}/test`), 401, "unauthenticated");
  });

  test("rotate-secret: the new secret is shown once; the old one no longer verifies what is sent", async () => {
    const ep = await endpoint(["package.*"]);
    const r = await t.call("POST", `/api/v1/admin/webhooks/${ep.id}/rotate-secret`, { token: admin.token });
    expect(r.status).toBe(200);
    const fresh = r.body.secret as string;
    expect(fresh).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(fresh).not.toBe(ep.secret);
    expect(
      (await t.call("GET", `/api/v1/admin/webhooks/${ep.id}`, { token: admin.token })).body.secret,
    ).toBeUndefined();
    await createPackage();
    await drain();
    const got = rx.received[0]!;
    expect(verifyAt(fresh, got, t.clock.now())).toMatchObject({ type: "package.created" });
    expect(() => verifyAt(ep.secret, got, t.clock.now())).toThrow("No matching signature found");
    expect(
      t.ctx.sqlite.query("SELECT payload FROM events WHERE type = 'webhook_endpoint.updated'").all(),
    ).toEqual([{ payload: JSON.stringify({ secret_rotated: true }) }]);
  });
});

describe("the engine for other modules (the gateway's callbacks)", () => {
  test("an owned endpoint is not subscribed by pattern; enqueueDelivery delivers to it, once per event id", async () => {
    const { endpoint: store, secret } = t.ctx.db.transaction(
      (tx) =>
        createEndpoint(t.ctx, tx, {
          url: `${rx.url}/store`,
          eventTypes: ["*"],
          owner: { type: "store", id: 7 },
        }),
      { behavior: "immediate" },
    );
    await createPackage();
    expect(deliveries()).toEqual([]);
    const [a, b] = t.ctx.db.transaction(
      (tx) => [
        enqueueDelivery(t.ctx, tx, store.id, {
          type: "gateway.order.completed",
          payload: { order_id: 9 },
          eventId: 1,
        }),
        enqueueDelivery(t.ctx, tx, store.id, {
          type: "gateway.order.completed",
          payload: { order_id: 9 },
          eventId: 1,
        }),
      ],
      { behavior: "immediate" },
    );
    expect(a).toEqual(b);
    await drain();
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0]!.path).toBe("/store");
    expect(verifyAt(secret, rx.received[0]!, t.clock.now())).toEqual({
      type: "gateway.order.completed",
      timestamp: new Date(t.clock.now()).toISOString(),
      data: { order_id: 9 },
    });
    // Not the admins': absent from their list and 404 on their routes.
    const list = await t.call("GET", "/api/v1/admin/webhooks", { token: admin.token });
    expect(list.body.count).toBe(0);
    expectError(
      await t.call("GET", `/api/v1/admin/webhooks/${store.id}/deliveries`, { token: admin.token }),
      404,
      "not_found",
    );

    // A disabled endpoint gets nothing.
    t.ctx.sqlite.query("UPDATE webhook_endpoints SET enabled = 0 WHERE id = ?").run(store.id);
    const none = t.ctx.db.transaction(
      (tx) => enqueueDelivery(t.ctx, tx, store.id, { type: "gateway.order.completed", payload: {} }),
      { behavior: "immediate" },
    );
    expect(none).toBeNull();
  });
});

describe("GET /admin/webhooks/{id}/deliveries", () => {
  test("paginated newest first, filtered by status; 404, 403, 401, bad query", async () => {
    const ep = await endpoint(["package.*"]);
    for (let i = 0; i < 3; i++) await createPackage(`p${i}`);
    rx.answer({ status: 500 });
    await drain();
    const path = `/api/v1/admin/webhooks/${ep.id}/deliveries`;
    const p1 = await t.call("GET", `${path}?page_size=2`, { token: admin.token });
    expect(p1.body.count).toBe(3);
    expect(p1.body.results.map((d: Delivery) => d.id)).toEqual([3, 2]);
    expect(p1.body.next).toContain("page=2");
    const pending = await t.call("GET", `${path}?status=pending`, { token: admin.token });
    expect(pending.body.results).toEqual([
      expect.objectContaining({ id: 1, attempts: 1, last_status_code: 500 }),
    ]);
    const reader = await t.user("support", { grantedPermissions: ["webhooks:read"] });
    expect((await t.call("GET", path, { token: reader.token })).status).toBe(200);
    expectError(await t.call("GET", `${path}?status=lost`, { token: admin.token }), 400, "validation_failed");
    expectError(await t.call("GET", `${path}?bogus=1`, { token: admin.token }), 400, "validation_failed");
    expectError(
      await t.call("GET", "/api/v1/admin/webhooks/999/deliveries", { token: admin.token }),
      404,
      "not_found",
    );
    const client = await t.user("client");
    expectError(await t.call("GET", path, { token: client.token }), 403, "forbidden");
    const support = await t.user("support");
    expectError(await t.call("GET", path, { token: support.token }), 403, "forbidden");
    expectError(await t.call("GET", path), 401, "unauthenticated");
  });
});
