import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import type { Tx } from "../../src/db/client";
import { groupCommit } from "../../src/db/group-commit";
import { closeAllStreams, streamHub } from "../../src/modules/platform/notifications/hub";
import { type NotifyInput, notify } from "../../src/modules/platform/notifications/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { openSse, type SseClient, type SseEvent, settlesWithin } from "../helpers/sse";

const STREAM = "/api/v1/notifications/stream";

let t: TestApp;
let server: Server<undefined>;
let base: string;
type U = Awaited<ReturnType<TestApp["user"]>>;
let alice: U;
let bob: U;
const opened: SseClient[] = [];

beforeEach(async () => {
  t = makeTestApp();
  server = Bun.serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
  base = `http://127.0.0.1:${server.port}`;
  alice = await t.user("client");
  bob = await t.user("expert");
});

afterEach(async () => {
  for (const s of opened.splice(0)) s.close();
  closeAllStreams();
  await server.stop(true);
});

/** Opens a stream as `token` (header) or with a query string, and waits for its first frame. */
async function stream(o: { token?: string; query?: string; headers?: Record<string, string> } = {}) {
  const headers = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const s = await openSse(`${base}${STREAM}${o.query ?? ""}`, headers);
  opened.push(s);
  expect(s.status).toBe(200);
  expect(s.headers.get("content-type")).toStartWith("text/event-stream");
  return s;
}

const rawGet = (query = "", headers: Record<string, string> = {}) =>
  fetch(`${base}${STREAM}${query}`, { headers }).then(async (r) => ({
    status: r.status,
    body: await r.json(),
  }));

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function send(userId: number, title = "hello", extra: Partial<NotifyInput> = {}): number {
  return t.ctx.db.transaction(
    (tx) => notify(t.ctx, tx, { userId, type: "system", title, message: `${title}!`, ...extra }),
    { behavior: "immediate" },
  );
}

const isNote = (e: SseEvent) => e.event === "notification";
const isCount = (e: SseEvent) => e.event === "unread_count";
const json = (e: SseEvent) => JSON.parse(e.data);
const notes = (s: SseClient) => s.events.filter(isNote).map((e) => json(e).id as number);
/** Lets the publisher's microtask and the socket deliver. */
const settle = () => Bun.sleep(60);

describe("GET /notifications/stream: live delivery", () => {
  test("starts with the unread count, then each committed notification (list shape, id:) and the new count", async () => {
    send(alice.id, "before");
    const s = await stream({ token: alice.token });
    expect(json(await s.next())).toEqual({ unread_count: 1 });
    const id = send(alice.id, "Order #1 taken", { type: "order_assigned", data: { order_id: 1 } });
    const n = await s.next(isNote);
    expect(n.id).toBe(String(id));
    const listed = (await t.call("GET", "/api/v1/notifications", { token: alice.token })).body.results[0];
    expect(json(n)).toEqual(listed);
    expect(json(n)).toMatchObject({ id, type: "order_assigned", data: { order_id: 1 }, is_read: false });
    expect(json(await s.next())).toEqual({ unread_count: 2 });
  });

  test("only the caller's notifications reach the caller's streams; every stream of the user gets them", async () => {
    const a1 = await stream({ token: alice.token });
    const a2 = await stream({ token: alice.token });
    const b = await stream({ token: bob.token });
    expect(streamHub(t.ctx).count(alice.id)).toBe(2);
    send(bob.id, "for bob");
    const id = send(alice.id, "for alice");
    for (const s of [a1, a2]) expect(json(await s.next(isNote))).toMatchObject({ id, title: "for alice" });
    expect(json(await b.next(isNote)).title).toBe("for bob");
    await settle();
    expect(a1.events.filter(isNote).map((e) => json(e).title)).toEqual(["for alice"]);
    expect(b.events.filter(isNote).map((e) => json(e).title)).toEqual(["for bob"]);
  });

  test("a notification of a transaction that rolls back is never sent", async () => {
    const s = await stream({ token: alice.token });
    await s.next(isCount);
    expect(() =>
      t.ctx.db.transaction((tx) => {
        notify(t.ctx, tx, { userId: alice.id, type: "system", title: "ghost", message: "x" });
        throw new Error("boom");
      }),
    ).toThrow("boom");
    const id = send(alice.id, "real");
    expect(json(await s.next(isNote))).toMatchObject({ id, title: "real" });
    await settle();
    expect(s.events.filter(isNote).map((e) => json(e).title)).toEqual(["real"]);
  });

  test("nothing is published while the writing transaction is still open; it goes out after COMMIT", async () => {
    const s = await stream({ token: alice.token });
    await s.next(isCount);
    // A transaction held open across turns of the event loop: the publisher must not read its rows.
    t.ctx.sqlite.exec("BEGIN IMMEDIATE");
    const id = notify(t.ctx, t.ctx.db as unknown as Tx, {
      userId: alice.id,
      type: "system",
      title: "pending",
      message: "x",
    });
    await settle();
    expect(notes(s)).toEqual([]);
    t.ctx.sqlite.exec("COMMIT");
    expect(json(await s.next(isNote)).id).toBe(id);
  });

  test("a transaction held open and rolled back publishes nothing", async () => {
    const s = await stream({ token: alice.token });
    await s.next(isCount);
    t.ctx.sqlite.exec("BEGIN IMMEDIATE");
    notify(t.ctx, t.ctx.db as unknown as Tx, { userId: alice.id, type: "system", title: "no", message: "x" });
    await settle();
    t.ctx.sqlite.exec("ROLLBACK");
    await settle();
    expect(notes(s)).toEqual([]);
    const id = send(alice.id, "yes");
    expect(json(await s.next(isNote)).id).toBe(id);
  });

  test("group commit: a record's notification goes out after the group's COMMIT; a refused record's never", async () => {
    const s = await stream({ token: alice.token });
    await s.next(isCount);
    const gc = groupCommit(t.ctx.sqlite);
    const tx = t.ctx.db as unknown as Tx;
    const kept = gc.run(() =>
      notify(t.ctx, tx, { userId: alice.id, type: "low_balance", title: "kept", message: "x" }),
    );
    const refused = gc.run(() => {
      notify(t.ctx, tx, { userId: alice.id, type: "low_balance", title: "refused", message: "x" });
      throw new Error("refused");
    });
    const keptId = await kept;
    await expect(refused).rejects.toThrow("refused");
    expect(json(await s.next(isNote))).toMatchObject({ id: keptId, title: "kept" });
    await settle();
    expect(s.events.filter(isNote).map((e) => json(e).title)).toEqual(["kept"]);
  });

  test("unread_count follows reads: one read, then read-all", async () => {
    const n1 = send(alice.id, "one");
    send(alice.id, "two");
    const s = await stream({ token: alice.token });
    expect(json(await s.next(isCount))).toEqual({ unread_count: 2 });
    expect((await t.call("POST", `/api/v1/notifications/${n1}/read`, { token: alice.token })).status).toBe(
      200,
    );
    expect(json(await s.next(isCount))).toEqual({ unread_count: 1 });
    expect((await t.call("POST", "/api/v1/notifications/read-all", { token: alice.token })).status).toBe(200);
    expect(json(await s.next(isCount))).toEqual({ unread_count: 0 });
  });

  test("a heartbeat comment goes to every stream from one shared timer", async () => {
    streamHub(t.ctx).heartbeatMs = 40;
    const a = await stream({ token: alice.token });
    const b = await stream({ token: bob.token });
    expect(await a.next((e) => e.event === "comment")).toEqual({ event: "comment", data: "ping" });
    expect(await b.next((e) => e.event === "comment")).toEqual({ event: "comment", data: "ping" });
  });

  test("a client that disconnects is dropped from the publisher", async () => {
    const s = await stream({ token: alice.token });
    await s.next(isCount);
    expect(streamHub(t.ctx).count()).toBe(1);
    s.close();
    for (let i = 0; i < 50 && streamHub(t.ctx).count() > 0; i++) await Bun.sleep(20);
    expect(streamHub(t.ctx).count()).toBe(0);
    // A notification for a user with no stream costs no query and reaches no one.
    send(alice.id, "nobody listens");
    await settle();
  });
});

describe("Last-Event-ID replay", () => {
  test("the header replays what was missed, oldest first, then goes live", async () => {
    const n1 = send(alice.id, "one");
    const n2 = send(alice.id, "two");
    const n3 = send(alice.id, "three");
    send(bob.id, "not alice's");
    const s = await stream({ token: alice.token, headers: { "last-event-id": String(n1) } });
    expect((await s.next()).id).toBe(String(n2));
    expect((await s.next()).id).toBe(String(n3));
    expect(json(await s.next())).toEqual({ unread_count: 3 });
    const n4 = send(alice.id, "four");
    expect(json(await s.next(isNote)).id).toBe(n4);
    await settle();
    expect(notes(s)).toEqual([n2, n3, n4]);
  });

  test("?last_event_id= does the same (a new EventSource with a ticket); the larger of both wins", async () => {
    const n1 = send(alice.id, "one");
    const n2 = send(alice.id, "two");
    const n3 = send(alice.id, "three");
    const q = await stream({ token: alice.token, query: `?last_event_id=${n1}` });
    await q.next(isCount);
    expect(notes(q)).toEqual([n2, n3]);
    const both = await stream({
      token: alice.token,
      query: `?last_event_id=${n1}`,
      headers: { "last-event-id": String(n2) },
    });
    await both.next(isCount);
    expect(notes(both)).toEqual([n3]);
  });

  test("more missed than the cap: resync first, then the newest 100, oldest first", async () => {
    const first = send(alice.id, "first");
    const ids: number[] = [];
    for (let i = 0; i < 105; i++) ids.push(send(alice.id, `n${i}`));
    const s = await stream({ token: alice.token, headers: { "last-event-id": String(first) } });
    expect(json(await s.next())).toEqual({ reason: "replay_truncated", replayed: 100 });
    await s.next(isCount);
    expect(notes(s)).toEqual(ids.slice(5));
  });

  test("a malformed Last-Event-ID is 400 and opens nothing", async () => {
    expectError(
      await rawGet("", { ...bearer(alice.token), "last-event-id": "abc" }),
      400,
      "validation_failed",
    );
    expectError(await rawGet("?last_event_id=-1", bearer(alice.token)), 400, "validation_failed");
    expect(streamHub(t.ctx).count()).toBe(0);
  });
});

describe("stream auth", () => {
  test("no credentials: 401", async () => {
    expectError(await rawGet(), 401, "unauthenticated");
    expectError(await rawGet("", { authorization: "Bearer nonsense" }), 401, "unauthenticated");
  });

  test("an access token or key in the URL is refused (400), even with a valid header", async () => {
    for (const name of ["token", "access_token", "api_key"]) {
      const e = expectError(await rawGet(`?${name}=${alice.token}`), 400, "validation_failed");
      expect(e.details.issues[0].path).toBe(`query.${name}`);
      expectError(await rawGet(`?${name}=${alice.token}`, bearer(alice.token)), 400, "validation_failed");
    }
    expect(streamHub(t.ctx).count()).toBe(0);
  });

  test("HEAD answers the headers and opens no stream; without credentials it is 401", async () => {
    const head = await fetch(`${base}${STREAM}`, { method: "HEAD", headers: bearer(alice.token) });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toStartWith("text/event-stream");
    await settle();
    expect(streamHub(t.ctx).count()).toBe(0);
    expect((await fetch(`${base}${STREAM}`, { method: "HEAD" })).status).toBe(401);
  });

  test("unknown query parameters are 400", async () => {
    expectError(await rawGet("?page=1", bearer(alice.token)), 400, "validation_failed");
  });

  test("an API key needs the notifications:stream scope", async () => {
    const mk = async (scopes: string[]) =>
      (await t.call("POST", "/api/v1/me/api-keys", { token: alice.token, body: { name: "k", scopes } })).body
        .key as string;
    const readOnly = await mk(["notifications:read"]);
    expectError(await rawGet("", bearer(readOnly)), 403, "forbidden");
    const streaming = await mk(["notifications:stream"]);
    const s = await stream({ token: streaming });
    expect(json(await s.next(isCount))).toEqual({ unread_count: 0 });
  });

  test("a bot acting as a user can neither stream nor get a ticket", async () => {
    const partner = await t.user("partner");
    const key = (
      await t.call("POST", "/api/v1/me/api-keys", {
        token: partner.token,
        body: { name: "bot", scopes: ["bot:act_as", "notifications:stream"] },
      })
    ).body.key as string;
    await t.user("client", { telegramId: 4242 });
    const asUser = { ...bearer(key), "x-act-as-telegram-id": "4242" };
    expectError(await rawGet("", asUser), 403, "forbidden");
    expectError(
      await t.call("POST", "/api/v1/notifications/stream-ticket", {
        token: key,
        headers: { "x-act-as-telegram-id": "4242" },
      }),
      403,
      "forbidden",
    );
    expect(streamHub(t.ctx).count()).toBe(0);
  });

  test("a banned user cannot open a stream", async () => {
    const admin = await t.user("admin");
    await t.call("POST", `/api/v1/admin/users/${alice.id}/ban`, { token: admin.token, body: {} });
    expectError(await rawGet("", bearer(alice.token)), 403, "forbidden");
  });
});

describe("streams end on ban and on shutdown", () => {
  test("a ban ends the banned user's streams, after its transaction; others stay open", async () => {
    const admin = await t.user("admin");
    const a = await stream({ token: alice.token });
    const b = await stream({ token: bob.token });
    await a.next(isCount);
    const r = await t.call("POST", `/api/v1/admin/users/${alice.id}/ban`, {
      token: admin.token,
      body: { reason: "spam" },
    });
    expect(r.status).toBe(200);
    expect(await settlesWithin(a.ended, 1000)).toBe(true);
    expect(streamHub(t.ctx).count(alice.id)).toBe(0);
    expect(await settlesWithin(b.ended, 100)).toBe(false);
    const id = send(bob.id, "still here");
    expect(json(await b.next(isNote)).id).toBe(id);
  });

  test("a ban whose transaction rolls back leaves the stream open", async () => {
    const { emit } = await import("../../src/modules/platform/events/service");
    const a = await stream({ token: alice.token });
    await a.next(isCount);
    expect(() =>
      t.ctx.db.transaction((tx) => {
        t.ctx.sqlite.query("UPDATE users SET is_banned = 1 WHERE id = ?").run(alice.id);
        emit(tx, t.clock.now(), { type: "user.banned", subjectType: "user", subjectId: alice.id });
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect(await settlesWithin(a.ended, 200)).toBe(false);
    const id = send(alice.id, "still streaming");
    expect(json(await a.next(isNote)).id).toBe(id);
  });

  test("revoking an API key ends the streams opened with it, not the user's other streams", async () => {
    const made = await t.call("POST", "/api/v1/me/api-keys", {
      token: alice.token,
      body: { name: "feed", scopes: ["notifications:stream"] },
    });
    const byKey = await stream({ token: made.body.key });
    const byToken = await stream({ token: alice.token });
    await byKey.next(isCount);
    await byToken.next(isCount);
    const r = await t.call("DELETE", `/api/v1/me/api-keys/${made.body.id}`, { token: alice.token });
    expect(r.status).toBeLessThan(300);
    expect(await settlesWithin(byKey.ended, 1000)).toBe(true);
    expect(await settlesWithin(byToken.ended, 100)).toBe(false);
    expect(streamHub(t.ctx).count(alice.id)).toBe(1);
  });

  test("closeAllStreams ends every stream and reports how many", async () => {
    const a = await stream({ token: alice.token });
    const b = await stream({ token: bob.token });
    await a.next(isCount);
    await b.next(isCount);
    expect(closeAllStreams()).toBe(2);
    expect(await settlesWithin(Promise.all([a.ended, b.ended]), 1000)).toBe(true);
    expect(streamHub(t.ctx).count()).toBe(0);
  });
});
