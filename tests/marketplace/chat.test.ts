import { beforeEach, describe, expect, test } from "bun:test";
import type { OrderStatus } from "../../src/db/schema";
import { MINUTE } from "../../src/lib/time";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { makeExpert, makeOrder, makeSubject } from "../helpers/marketplace";

type U = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let client: U;
let expert: U;
let stranger: U;
let support: U;
let admin: U;
let subjectId: number;
let orderId: number;

const count = (table: string, where = "1") =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
const orderEvents = (id: number) =>
  t.ctx.sqlite
    .query("SELECT * FROM events WHERE subject_type = 'order' AND subject_id = ? ORDER BY id")
    .all(String(id)) as any[];
/** Rows that any chat write touches: a refused request must leave them all as they were. */
const snapshot = () => ({
  messages: t.ctx.sqlite.query("SELECT * FROM order_messages ORDER BY id").all(),
  reads: t.ctx.sqlite.query("SELECT * FROM order_reads ORDER BY order_id, user_id").all(),
  events: count("events"),
  notifications: count("notifications"),
});

const v1 = (path: string) => `/api/v1${path}`;
const post = (path: string, body: unknown, token: string) => t.call("POST", v1(path), { token, body });
const get = (path: string, token?: string) => t.call("GET", v1(path), { token });
const del = (path: string, token?: string) => t.call("DELETE", v1(path), { token });

function order(status: OrderStatus = "in_progress", extra: Record<string, unknown> = {}) {
  return makeOrder(t, { clientId: client.id, expertId: expert.id, subjectId, status, ...extra }).id;
}

async function send(body: string, token = client.token, id = orderId) {
  const r = await post(`/orders/${id}/messages`, { body }, token);
  expect(r.status).toBe(201);
  return r.body;
}

beforeEach(async () => {
  t = makeTestApp();
  client = await t.user("client");
  stranger = await t.user("client");
  support = await t.user("support");
  admin = await t.user("admin");
  subjectId = makeSubject(t).id;
  expert = await makeExpert(t, [subjectId]);
  orderId = order();
});

describe("POST /orders/{id}/messages", () => {
  test("the client posts; 201 with the message, an order event and a notice to the expert", async () => {
    const r = await post(
      `/orders/${orderId}/messages`,
      { body: "  Hello, when can you start?  " },
      client.token,
    );
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(Number),
      order_id: orderId,
      sender_id: client.id,
      body: "Hello, when can you start?",
      is_deleted: false,
      deleted_at: null,
      deleted_by: null,
      created_at: "2026-11-22T10:00:00.000Z",
    });
    const ev = orderEvents(orderId);
    expect(ev).toHaveLength(1);
    expect(ev[0].type).toBe("order.message_sent");
    expect(ev[0].actor_id).toBe(client.id);
    expect(JSON.parse(ev[0].payload)).toEqual({ message_id: r.body.id, sender_role: "client" });
    const notes = t.ctx.sqlite.query("SELECT * FROM notifications WHERE user_id = ?").all(expert.id) as any[];
    expect(notes).toHaveLength(1);
    expect(notes[0].type).toBe("message_received");
    expect(JSON.parse(notes[0].data)).toEqual({ order_id: orderId, message_id: r.body.id });
    expect(count("notifications", `user_id = ${client.id}`)).toBe(0);
  });

  test("the expert posts through the seed-001 alias; the client is notified", async () => {
    const r = await t.call("POST", `/api/appointments/${orderId}/messages/`, {
      token: expert.token,
      body: { body: "Tomorrow" },
    });
    expect(r.status).toBe(201);
    expect(r.body.sender_id).toBe(expert.id);
    expect(count("notifications", `user_id = ${client.id} AND type = 'message_received'`)).toBe(1);
    const r2 = await t.call("POST", `/api/v1/appointments/${orderId}/messages`, {
      token: client.token,
      body: { body: "ok" },
    });
    expect(r2.status).toBe(201);
  });

  test("4000 characters are accepted (after trimming), 4001 are not", async () => {
    const ok = await post(`/orders/${orderId}/messages`, { body: ` ${"x".repeat(4000)}\n` }, client.token);
    expect(ok.status).toBe(201);
    expect(ok.body.body).toHaveLength(4000);
    const before = snapshot();
    expectError(
      await post(`/orders/${orderId}/messages`, { body: "x".repeat(4001) }, client.token),
      400,
      "validation_failed",
    );
    expect(snapshot()).toEqual(before);
  });

  test.each([
    ["an empty object", {}],
    ["an empty body", { body: "" }],
    ["only whitespace", { body: " \n\t " }],
    ["a number", { body: 42 }],
    ["null", { body: null }],
    ["an unknown field", { body: "hi", sender_id: 1 }],
    ["an array", ["hi"]],
  ])("400 validation_failed for %s, nothing written", async (_, body) => {
    await send("first");
    const before = snapshot();
    const e = expectError(
      await post(`/orders/${orderId}/messages`, body, client.token),
      400,
      "validation_failed",
    );
    expect(e.details.issues.length).toBeGreaterThan(0);
    expect(snapshot()).toEqual(before);
  });

  test("malformed JSON and a missing body are refused", async () => {
    const before = snapshot();
    const r = await t.call("POST", v1(`/orders/${orderId}/messages`), { token: client.token, raw: "{body:" });
    expect(r.status).toBe(400);
    const r2 = await t.call("POST", v1(`/orders/${orderId}/messages`), { token: client.token });
    expect(r2.status).toBe(400);
    expect(snapshot()).toEqual(before);
  });

  test("409 conflict while no expert is assigned", async () => {
    const id = makeOrder(t, { clientId: client.id, subjectId, status: "new" }).id;
    const before = snapshot();
    const e = expectError(
      await post(`/orders/${id}/messages`, { body: "hi" }, client.token),
      409,
      "conflict",
    );
    expect(e.details).toEqual({ status: "new" });
    expect(snapshot()).toEqual(before);
  });

  test.each(["cancelled", "declined_by_expert"] as const)(
    "the chat of a %s order is read-only (409)",
    async (status) => {
      const id = order(status);
      const e = expectError(
        await post(`/orders/${id}/messages`, { body: "hi" }, expert.token),
        409,
        "conflict",
      );
      expect(e.details).toEqual({ status });
      expect(count("order_messages")).toBe(0);
      expect((await get(`/orders/${id}/messages`, client.token)).status).toBe(200);
    },
  );

  test.each([
    "in_review",
    "awaiting_payment",
    "paid",
    "delivered",
    "revision",
    "disputed",
    "completed",
  ] as const)("the chat is open in status %s", async (status) => {
    await send("hello", client.token, order(status));
  });

  test("security: no token 401, a stranger 404, staff 403, a missing order 404", async () => {
    const before = snapshot();
    expectError(
      await t.call("POST", v1(`/orders/${orderId}/messages`), { body: { body: "x" } }),
      401,
      "unauthenticated",
    );
    expectError(await post(`/orders/${orderId}/messages`, { body: "x" }, stranger.token), 404, "not_found");
    expectError(await post(`/orders/${orderId}/messages`, { body: "x" }, support.token), 403, "forbidden");
    expectError(await post(`/orders/${orderId}/messages`, { body: "x" }, admin.token), 403, "forbidden");
    expectError(await post("/orders/99999/messages", { body: "x" }, client.token), 404, "not_found");
    expect(snapshot()).toEqual(before);
  });

  test("an API key without messages:write is refused 403", async () => {
    const k = await post("/me/api-keys", { name: "ro", scopes: ["messages:read"] }, client.token);
    expect(k.status).toBe(201);
    const before = snapshot();
    expectError(await post(`/orders/${orderId}/messages`, { body: "x" }, k.body.key), 403, "forbidden");
    expect(snapshot()).toEqual(before);
    expect((await get(`/orders/${orderId}/messages`, k.body.key)).status).toBe(200);
  });
});

describe("GET /orders/{id}/messages", () => {
  test("oldest first, paginated, with the caller's unread count; also under /api/appointments", async () => {
    const a = await send("one");
    t.clock.advance(MINUTE);
    const b = await send("two", expert.token);
    t.clock.advance(MINUTE);
    const c = await send("three");

    const r = await t.call("GET", `/api/appointments/${orderId}/messages/?page_size=2`, {
      token: client.token,
    });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(3);
    expect(r.body.results.map((m: any) => m.id)).toEqual([a.id, b.id]);
    expect(r.body.previous).toBeNull();
    expect(r.body.next).toBe(`/api/appointments/${orderId}/messages/?page_size=2&page=2`);
    expect(r.body.unread_count).toBe(1);

    const p2 = await get(`/orders/${orderId}/messages?page=2&page_size=2`, expert.token);
    expect(p2.body.results).toEqual([c]);
    expect(p2.body.next).toBeNull();
    expect(p2.body.unread_count).toBe(2);
  });

  test("after_id polls for newer messages only", async () => {
    const a = await send("one");
    const b = await send("two", expert.token);
    const c = await send("three");
    const r = await get(`/orders/${orderId}/messages?after_id=${a.id}`, expert.token);
    expect(r.body.count).toBe(2);
    expect(r.body.results.map((m: any) => m.id)).toEqual([b.id, c.id]);
    const none = await get(`/orders/${orderId}/messages?after_id=${c.id}`, expert.token);
    expect(none.body).toEqual({ count: 0, next: null, previous: null, unread_count: 2, results: [] });
  });

  test("a deleted message keeps its place but shows no body", async () => {
    const a = await send("secret");
    t.clock.advance(MINUTE);
    expect((await del(`/messages/${a.id}`, client.token)).status).toBe(200);
    const r = await get(`/orders/${orderId}/messages`, expert.token);
    expect(r.body.results).toEqual([
      {
        ...a,
        body: null,
        is_deleted: true,
        deleted_at: "2026-11-22T10:01:00.000Z",
        deleted_by: client.id,
      },
    ]);
    expect(r.body.unread_count).toBe(0);
    // The text is kept for moderation, never shown.
    expect(count("order_messages", "body = 'secret'")).toBe(1);
  });

  test("staff with orders:read_any see the chat (unread_count 0); strangers 404; no token 401", async () => {
    await send("one");
    for (const s of [support, admin]) {
      const r = await get(`/orders/${orderId}/messages`, s.token);
      expect(r.status).toBe(200);
      expect(r.body.count).toBe(1);
      expect(r.body.unread_count).toBe(0);
    }
    expectError(await get(`/orders/${orderId}/messages`, stranger.token), 404, "not_found");
    expectError(await get(`/orders/${orderId}/messages`), 401, "unauthenticated");
    expectError(await get("/orders/424242/messages", client.token), 404, "not_found");
  });

  test("bad query parameters are 400", async () => {
    for (const q of ["page=0", "page_size=101", "after_id=-1", "after_id=abc"]) {
      expectError(await get(`/orders/${orderId}/messages?${q}`, client.token), 400, "validation_failed");
    }
    expectError(await get("/orders/abc/messages", client.token), 400, "validation_failed");
  });
});

describe("DELETE /messages/{id}", () => {
  test("the sender soft-deletes: 200, deleted_by, an order event; twice is 409", async () => {
    const m = await send("oops", expert.token);
    const notesBefore = count("notifications");
    t.clock.advance(MINUTE);
    const r = await t.call("DELETE", `/api/messages/${m.id}/`, { token: expert.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      ...m,
      body: null,
      is_deleted: true,
      deleted_at: "2026-11-22T10:01:00.000Z",
      deleted_by: expert.id,
    });
    const ev = orderEvents(orderId).map((e) => [e.type, e.actor_id, JSON.parse(e.payload)]);
    expect(ev).toEqual([
      ["order.message_sent", expert.id, { message_id: m.id, sender_role: "expert" }],
      ["order.message_deleted", expert.id, { message_id: m.id }],
    ]);
    expect(count("notifications")).toBe(notesBefore);

    const before = snapshot();
    t.clock.advance(MINUTE);
    const e = expectError(await del(`/messages/${m.id}`, expert.token), 409, "conflict");
    expect(e.details).toEqual({ deleted_at: "2026-11-22T10:01:00.000Z" });
    expect(snapshot()).toEqual(before);
  });

  test("only the sender: the other party, staff and strangers get 404; no token 401", async () => {
    const m = await send("mine");
    const before = snapshot();
    for (const u of [expert, support, admin, stranger]) {
      expectError(await del(`/messages/${m.id}`, u.token), 404, "not_found");
    }
    expectError(await del(`/messages/${m.id}`), 401, "unauthenticated");
    expectError(await del("/messages/31337", client.token), 404, "not_found");
    expectError(await del("/messages/zero", client.token), 400, "validation_failed");
    expect(snapshot()).toEqual(before);
  });

  test("a message can still be deleted after the order was cancelled", async () => {
    const m = await send("bye");
    t.ctx.sqlite.query("UPDATE orders SET status = 'cancelled' WHERE id = ?").run(orderId);
    expect((await del(`/messages/${m.id}`, client.token)).status).toBe(200);
  });
});

describe("POST /orders/{id}/read and unread counts", () => {
  test("with no body the marker moves to the latest message; own and deleted messages never count", async () => {
    const own = await send("from the client");
    const e1 = await send("e1", expert.token);
    const e2 = await send("e2", expert.token);
    const e3 = await send("e3", expert.token);
    expect((await del(`/messages/${e3.id}`, expert.token)).status).toBe(200);
    expect((await get(`/orders/${orderId}/messages`, client.token)).body.unread_count).toBe(2);
    expect((await get(`/orders/${orderId}/messages`, expert.token)).body.unread_count).toBe(1);

    const r = await t.call("POST", `/api/appointments/${orderId}/read/`, { token: client.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ order_id: orderId, last_read_message_id: e3.id, unread_count: 0 });
    expect((await get(`/orders/${orderId}/messages`, client.token)).body.unread_count).toBe(0);
    // The expert's marker is their own.
    expect((await get(`/orders/${orderId}/messages`, expert.token)).body.unread_count).toBe(1);
    expect([own.id, e1.id, e2.id].every((id) => id < e3.id)).toBe(true);
  });

  test("message_id sets the marker there; it never moves back; an event only when it moves", async () => {
    const e1 = await send("e1", expert.token);
    const e2 = await send("e2", expert.token);
    const e3 = await send("e3", expert.token);
    const r = await post(`/orders/${orderId}/read`, { message_id: e2.id }, client.token);
    expect(r.body).toEqual({ order_id: orderId, last_read_message_id: e2.id, unread_count: 1 });
    const reads = () => orderEvents(orderId).filter((e) => e.type === "order.messages_read");
    expect(reads()).toHaveLength(1);
    expect(JSON.parse(reads()[0].payload)).toEqual({ last_read_message_id: e2.id, previous_message_id: 0 });

    const before = snapshot();
    const back = await post(`/orders/${orderId}/read`, { message_id: e1.id }, client.token);
    expect(back.status).toBe(200);
    expect(back.body).toEqual({ order_id: orderId, last_read_message_id: e2.id, unread_count: 1 });
    const same = await post(`/orders/${orderId}/read`, { message_id: e2.id }, client.token);
    expect(same.body.last_read_message_id).toBe(e2.id);
    expect(snapshot()).toEqual(before);

    const fwd = await post(`/orders/${orderId}/read`, {}, client.token);
    expect(fwd.body).toEqual({ order_id: orderId, last_read_message_id: e3.id, unread_count: 0 });
    expect(reads()).toHaveLength(2);
  });

  test("an empty chat: marker 0, nothing written", async () => {
    const before = snapshot();
    const r = await post(`/orders/${orderId}/read`, {}, expert.token);
    expect(r.body).toEqual({ order_id: orderId, last_read_message_id: 0, unread_count: 0 });
    expect(snapshot()).toEqual(before);
  });

  test("bad bodies: a message of another order, unknown fields, wrong types -> 400, nothing written", async () => {
    const other = order();
    const m = await send("elsewhere", expert.token, other);
    await send("here", expert.token);
    const before = snapshot();
    for (const body of [
      { message_id: m.id },
      { message_id: 999999 },
      { message_id: 0 },
      { message_id: "1" },
      { foo: 1 },
    ]) {
      expectError(await post(`/orders/${orderId}/read`, body, client.token), 400, "validation_failed");
    }
    const bad = await t.call("POST", v1(`/orders/${orderId}/read`), { token: client.token, raw: "{" });
    expect(bad.status).toBe(400);
    expect(snapshot()).toEqual(before);
  });

  test("security: no token 401, stranger 404, staff 403", async () => {
    await send("x", expert.token);
    const before = snapshot();
    expectError(await t.call("POST", v1(`/orders/${orderId}/read`)), 401, "unauthenticated");
    expectError(await post(`/orders/${orderId}/read`, {}, stranger.token), 404, "not_found");
    expectError(await post(`/orders/${orderId}/read`, {}, support.token), 403, "forbidden");
    expect(snapshot()).toEqual(before);
  });
});

describe("GET /messages/unread", () => {
  test("per order and in total, for the caller only", async () => {
    const o2 = order("completed");
    const o3 = order("paid");
    const strangersOrder = makeOrder(t, {
      clientId: stranger.id,
      expertId: expert.id,
      subjectId,
      status: "paid",
    }).id;
    await send("a", expert.token);
    await send("b", expert.token);
    await send("c", expert.token, o2);
    const gone = await send("d", expert.token, o3);
    await del(`/messages/${gone.id}`, expert.token);
    await send("e", expert.token, strangersOrder);
    await send("mine", client.token, o3);

    const r = await t.call("GET", "/api/messages/unread/", { token: client.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      total: 3,
      orders: [
        { order_id: orderId, unread_count: 2 },
        { order_id: o2, unread_count: 1 },
      ],
    });
    await post(`/orders/${orderId}/read`, {}, client.token);
    expect((await get("/messages/unread", client.token)).body).toEqual({
      total: 1,
      orders: [{ order_id: o2, unread_count: 1 }],
    });
    expect((await get("/messages/unread", expert.token)).body).toEqual({
      total: 1,
      orders: [{ order_id: o3, unread_count: 1 }],
    });
    expect((await get("/messages/unread", stranger.token)).body).toEqual({
      total: 1,
      orders: [{ order_id: strangersOrder, unread_count: 1 }],
    });
    // Staff are in no chat.
    expect((await get("/messages/unread", support.token)).body).toEqual({ total: 0, orders: [] });
    expectError(await get("/messages/unread"), 401, "unauthenticated");
  });
});

describe("the order timeline", () => {
  test("sent, deleted and read show up in GET /api/appointments/{id}/events/ in order", async () => {
    const m = await send("hi", expert.token);
    await del(`/messages/${m.id}`, expert.token);
    await post(`/orders/${orderId}/read`, {}, client.token);
    const r = await t.call("GET", `/api/appointments/${orderId}/events/`, { token: client.token });
    expect(r.status).toBe(200);
    const mine = r.body.results.filter((e: any) => e.type.startsWith("order.message"));
    expect(mine.map((e: any) => [e.type, e.actor_id])).toEqual([
      ["order.message_sent", expert.id],
      ["order.message_deleted", expert.id],
      ["order.messages_read", client.id],
    ]);
    expect(mine[0].payload).toEqual({ message_id: m.id, sender_role: "expert" });
  });
});
