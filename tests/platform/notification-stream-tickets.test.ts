import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { sha256Hex } from "../../src/lib/crypto";
import { closeAllStreams, streamHub } from "../../src/modules/platform/notifications/hub";
import { notify } from "../../src/modules/platform/notifications/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { openSse, type SseClient, type SseEvent } from "../helpers/sse";

const STREAM = "/api/v1/notifications/stream";
const TICKET = "/api/v1/notifications/stream-ticket";

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
  bob = await t.user("client");
});

afterEach(async () => {
  for (const s of opened.splice(0)) s.close();
  closeAllStreams();
  await server.stop(true);
});

async function ticketFor(u: U): Promise<string> {
  const r = await t.call("POST", TICKET, { token: u.token });
  expect(r.status).toBe(201);
  return r.body.ticket;
}

const get = (query: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${STREAM}${query}`, { headers }).then(async (r) => ({
    status: r.status,
    body: await r.json(),
  }));

async function streamWith(ticket: string, extra = "") {
  const s = await openSse(`${base}${STREAM}?ticket=${encodeURIComponent(ticket)}${extra}`);
  opened.push(s);
  expect(s.status).toBe(200);
  return s;
}

const send = (userId: number, title: string) =>
  t.ctx.db.transaction((tx) => notify(t.ctx, tx, { userId, type: "system", title, message: "m" }), {
    behavior: "immediate",
  });
const isNote = (e: SseEvent) => e.event === "notification";
const ticketRows = () =>
  t.ctx.sqlite.query("SELECT token_hash, user_id, expires_at, used_at FROM stream_tickets").all() as {
    token_hash: string;
    user_id: number;
    expires_at: number;
    used_at: number | null;
  }[];

describe("POST /notifications/stream-ticket", () => {
  test("201 with a ticket valid 60 s, stored only as its SHA-256", async () => {
    const r = await t.call("POST", TICKET, { token: alice.token });
    expect(r.status).toBe(201);
    expect(r.body.ticket).toMatch(/^st_[\w-]{40,}$/);
    expect(r.body.expires_at).toBe(new Date(t.clock.now() + 60_000).toISOString());
    expect(ticketRows()).toEqual([
      {
        token_hash: sha256Hex(r.body.ticket),
        user_id: alice.id,
        expires_at: t.clock.now() + 60_000,
        used_at: null,
      },
    ]);
    expect(JSON.stringify(ticketRows())).not.toContain(r.body.ticket);
  });

  test("an empty JSON body is fine; unknown fields or bad JSON are 400 and issue nothing", async () => {
    expect((await t.call("POST", TICKET, { token: alice.token, body: {} })).status).toBe(201);
    expectError(
      await t.call("POST", TICKET, { token: alice.token, body: { user_id: bob.id } }),
      400,
      "validation_failed",
    );
    expectError(await t.call("POST", TICKET, { token: alice.token, raw: "{" }), 400, "invalid_json");
    expect(ticketRows().length).toBe(1);
  });

  test("no auth 401; a key without notifications:stream 403", async () => {
    expectError(await t.call("POST", TICKET), 401, "unauthenticated");
    const key = (
      await t.call("POST", "/api/v1/me/api-keys", {
        token: alice.token,
        body: { name: "k", scopes: ["notifications:read"] },
      })
    ).body.key;
    expectError(await t.call("POST", TICKET, { token: key }), 403, "forbidden");
    expect(ticketRows()).toEqual([]);
  });

  test("expired tickets are swept when a new one is issued", async () => {
    await ticketFor(alice);
    t.clock.advance(60_000);
    await ticketFor(bob);
    expect(ticketRows().map((r) => r.user_id)).toEqual([bob.id]);
  });
});

describe("GET /notifications/stream?ticket=", () => {
  test("opens the ticket owner's stream, and only theirs", async () => {
    const s = await streamWith(await ticketFor(bob));
    expect(JSON.parse((await s.next()).data)).toEqual({ unread_count: 0 });
    send(alice.id, "for alice");
    const id = send(bob.id, "for bob");
    const n = await s.next(isNote);
    expect(JSON.parse(n.data)).toMatchObject({ id, title: "for bob" });
    await Bun.sleep(50);
    expect(s.events.filter(isNote).length).toBe(1);
  });

  test("single use: the second connection with the same ticket is 401", async () => {
    const ticket = await ticketFor(alice);
    await streamWith(ticket);
    expectError(await get(`?ticket=${ticket}`), 401, "unauthenticated");
    expect(ticketRows()[0]!.used_at).toBe(t.clock.now());
  });

  test("expires after 60 s (401), valid just before", async () => {
    const late = await ticketFor(alice);
    const onTime = await ticketFor(alice);
    t.clock.advance(59_999);
    await streamWith(onTime);
    t.clock.advance(1);
    expectError(await get(`?ticket=${late}`), 401, "unauthenticated");
  });

  test("a made-up ticket or an access token passed as the ticket is 401", async () => {
    expectError(await get("?ticket=st_nope"), 401, "unauthenticated");
    expectError(await get(`?ticket=${alice.token}`), 401, "unauthenticated");
    expect(streamHub(t.ctx).count()).toBe(0);
  });

  test("a ticket and an Authorization header together are 400, and the ticket is not spent", async () => {
    const ticket = await ticketFor(alice);
    expectError(
      await get(`?ticket=${ticket}`, { authorization: `Bearer ${bob.token}` }),
      400,
      "validation_failed",
    );
    expect(ticketRows()[0]!.used_at).toBeNull();
  });

  test("a request failing validation does not burn the ticket", async () => {
    const ticket = await ticketFor(alice);
    expectError(await get(`?ticket=${ticket}&last_event_id=x`), 400, "validation_failed");
    expectError(await get(`?ticket=${ticket}&page=1`), 400, "validation_failed");
    await streamWith(ticket);
  });

  test("reconnecting: a fresh ticket with ?last_event_id= replays what was missed", async () => {
    const first = send(alice.id, "one");
    const s = await streamWith(await ticketFor(alice));
    await s.next();
    s.close();
    const missed = send(alice.id, "two");
    const again = await streamWith(await ticketFor(alice), `&last_event_id=${first}`);
    expect((await again.next(isNote)).id).toBe(String(missed));
  });

  test("HEAD checks the ticket without spending it or opening a stream", async () => {
    const ticket = await ticketFor(alice);
    const head = await fetch(`${base}${STREAM}?ticket=${ticket}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toStartWith("text/event-stream");
    expect(ticketRows()[0]!.used_at).toBeNull();
    expect(streamHub(t.ctx).count()).toBe(0);
    expect((await fetch(`${base}${STREAM}?ticket=st_nope`, { method: "HEAD" })).status).toBe(401);
    await streamWith(ticket);
  });

  test("a ticket of a user banned since it was issued is refused (403)", async () => {
    const ticket = await ticketFor(alice);
    const admin = await t.user("admin");
    expect(
      (await t.call("POST", `/api/v1/admin/users/${alice.id}/ban`, { token: admin.token, body: {} })).status,
    ).toBe(200);
    expectError(await get(`?ticket=${ticket}`), 403, "forbidden");
  });
});
