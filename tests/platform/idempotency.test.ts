import { beforeEach, describe, expect, test } from "bun:test";
import { sha256Hex } from "../../src/lib/crypto";
import { signAccessToken } from "../../src/modules/accounts/tokens";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

const KEYS = "/api/v1/me/api-keys";
const HOUR = 3_600_000;

let t: TestApp;
type U = Awaited<ReturnType<TestApp["user"]>>;
let alice: U;
let bob: U;

beforeEach(async () => {
  t = makeTestApp();
  alice = await t.user("client");
  bob = await t.user("client");
});

const keyRows = (userId?: number) =>
  (
    t.ctx.sqlite
      .query(`SELECT count(*) AS n FROM api_keys ${userId ? "WHERE user_id = ?" : ""}`)
      .get(...(userId ? [userId] : [])) as { n: number }
  ).n;

/** Moves the clock and renews the access token (it lives one hour). */
async function advance(ms: number, ...users: U[]) {
  t.clock.advance(ms);
  for (const u of users) u.token = await signAccessToken(t.ctx.jwtSecret, u.id, u.role, t.clock.now(), 3600);
}

const post = (
  u: U,
  key: string | undefined,
  body: unknown = { name: "bot", scopes: ["balance:read"] },
  path = KEYS,
) =>
  t.call("POST", path, {
    token: u.token,
    body,
    headers: key === undefined ? {} : { "idempotency-key": key },
  });

describe("Idempotency-Key on POST", () => {
  test("a replay returns the first status and body with Idempotent-Replayed: true and runs the handler once", async () => {
    const first = await post(alice, "k-1");
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const second = await post(alice, "k-1");
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.headers.get("content-type")).toContain("application/json");
    expect(second.headers.get("x-request-id")).toBeTruthy();
    expect(second.body).toEqual(first.body);
    // The secret is shown once: the replay is the same key, not a new one.
    expect(second.body.key).toBe(first.body.key);
    expect(keyRows(alice.id)).toBe(1);
    const third = await post(alice, "k-1");
    expect(third.headers.get("idempotent-replayed")).toBe("true");
    expect(keyRows(alice.id)).toBe(1);
  });

  test("without the header every POST runs", async () => {
    await post(alice, undefined);
    await post(alice, undefined);
    expect(keyRows(alice.id)).toBe(2);
  });

  test("the same key with another body is 409 idempotency_conflict and runs nothing", async () => {
    await post(alice, "k-2");
    const e = expectError(
      await post(alice, "k-2", { name: "other", scopes: ["balance:read"] }),
      409,
      "idempotency_conflict",
    );
    expect(e.message).toContain("different");
    expect(keyRows(alice.id)).toBe(1);
    // The original is still replayable.
    expect((await post(alice, "k-2")).headers.get("idempotent-replayed")).toBe("true");
  });

  test("the same key on another path is 409 idempotency_conflict", async () => {
    await post(alice, "k-3");
    expectError(
      await t.call("POST", "/api/v1/notifications/read-all", {
        token: alice.token,
        headers: { "idempotency-key": "k-3" },
      }),
      409,
      "idempotency_conflict",
    );
  });

  test("different callers use the same key independently and never see each other's response", async () => {
    const a = await post(alice, "shared");
    const b = await post(bob, "shared");
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(b.body.key).not.toBe(a.body.key);
    expect(keyRows(alice.id)).toBe(1);
    expect(keyRows(bob.id)).toBe(1);
    // An API key is a caller of its own, separate from its owner's access token.
    const viaKey = await t.call("POST", "/api/v1/notifications/read-all", {
      token: a.body.key,
      headers: { "idempotency-key": "shared" },
    });
    expect(viaKey.status).not.toBe(409);
  });

  test("a key is kept 24 h: replayed just before, reusable after", async () => {
    const first = await post(alice, "k-day");
    await advance(24 * HOUR - 1, alice);
    const replay = await post(alice, "k-day");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.key).toBe(first.body.key);
    expect(keyRows(alice.id)).toBe(1);
    await advance(2, alice);
    const fresh = await post(alice, "k-day");
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get("idempotent-replayed")).toBeNull();
    expect(fresh.body.key).not.toBe(first.body.key);
    expect(keyRows(alice.id)).toBe(2);
    // Expired: even another body is accepted under the old key.
    await advance(24 * HOUR + 1, alice);
    expect((await post(alice, "k-day", { name: "new", scopes: ["balance:read"] })).status).toBe(201);
  });

  test("a 5xx is not stored: the retry runs the handler again", async () => {
    let runs = 0;
    t.app.post("/api/v1/__test/flaky", (c) => {
      runs++;
      if (runs === 1) throw new Error("database went away");
      return c.json({ run: runs }, 201);
    });
    const headers = { "idempotency-key": "k-5xx" };
    const r1 = await t.call("POST", "/api/v1/__test/flaky", { token: alice.token, body: { x: 1 }, headers });
    expectError(r1, 500, "internal");
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM idempotency_keys").get()).toEqual({ n: 0 });
    const r2 = await t.call("POST", "/api/v1/__test/flaky", { token: alice.token, body: { x: 1 }, headers });
    expect(r2.status).toBe(201);
    expect(r2.body).toEqual({ run: 2 });
    const r3 = await t.call("POST", "/api/v1/__test/flaky", { token: alice.token, body: { x: 1 }, headers });
    expect(r3.headers.get("idempotent-replayed")).toBe("true");
    expect(r3.body).toEqual({ run: 2 });
    expect(runs).toBe(2);
  });

  test("a second request while the first still runs is 409; afterwards it replays", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let runs = 0;
    t.app.post("/api/v1/__test/slow", async (c) => {
      runs++;
      await gate;
      return c.json({ ok: true }, 201);
    });
    const opts = { token: alice.token, body: { a: 1 }, headers: { "idempotency-key": "k-slow" } };
    const first = t.call("POST", "/api/v1/__test/slow", opts);
    await Bun.sleep(5);
    const e = expectError(await t.call("POST", "/api/v1/__test/slow", opts), 409, "idempotency_conflict");
    expect(e.message).toContain("still running");
    release();
    expect((await first).status).toBe(201);
    const replay = await t.call("POST", "/api/v1/__test/slow", opts);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(runs).toBe(1);
  });

  test("a claim of a process that is gone is free at once; a live process's claim is still running", async () => {
    const claim = (key: string, owner: string) =>
      t.ctx.sqlite
        .query(
          "INSERT INTO idempotency_keys (caller, key, method, path, request_hash, owner, created_at) VALUES (?, ?, 'POST', ?, 'whatever', ?, ?)",
        )
        .run(`user:${alice.id}`, sha256Hex(`user:${alice.id}\n${key}`), KEYS, owner, t.clock.now());
    const gone = Bun.spawnSync(["true"]).pid; // exited, so its pid is free
    claim("k-dead", `${gone}:0123456789ab`);
    expect((await post(alice, "k-dead")).status).toBe(201);
    // A restart that got the same pid (pid 1 in a container) is another incarnation.
    claim("k-restarted", `${process.pid}:0123456789ab`);
    expect((await post(alice, "k-restarted")).status).toBe(201);
    // Another live process sharing the database still owns its claim.
    claim("k-live", `${process.ppid}:0123456789ab`);
    expectError(await post(alice, "k-live"), 409, "idempotency_conflict");
    expect(keyRows(alice.id)).toBe(2);
  });

  test("a refused request (401) keeps no key; 4xx answers of the handler are replayed", async () => {
    const noAuth = await t.call("POST", KEYS, {
      body: { name: "x", scopes: ["balance:read"] },
      headers: { "idempotency-key": "k-401" },
    });
    expectError(noAuth, 401, "unauthenticated");
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM idempotency_keys").get()).toEqual({ n: 0 });

    const bad = { name: "", scopes: [] };
    const r1 = await post(alice, "k-400", bad);
    expectError(r1, 400, "validation_failed");
    const r2 = await post(alice, "k-400", bad);
    expectError(r2, 400, "validation_failed");
    expect(r2.headers.get("idempotent-replayed")).toBe("true");
  });

  test("a 204 is replayed as 204 with no body", async () => {
    t.app.post("/api/v1/__test/empty", (c) => c.body(null, 204));
    const opts = { token: alice.token, body: { x: 1 }, headers: { "idempotency-key": "k-204" } };
    expect((await t.call("POST", "/api/v1/__test/empty", opts)).status).toBe(204);
    const again = await t.call("POST", "/api/v1/__test/empty", opts);
    expect(again.status).toBe(204);
    expect(again.body).toBeNull();
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  test("GET ignores the header", async () => {
    const r = await t.call("GET", KEYS, { token: alice.token, headers: { "idempotency-key": "k-get" } });
    expect(r.status).toBe(200);
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM idempotency_keys").get()).toEqual({ n: 0 });
  });

  test.each([
    ["over 255 characters", "k".repeat(256)],
    ["empty", ""],
    ["a space inside", "a b"],
    ["non-ASCII", "cl\u00e9"],
    ["a control character", "a\tb"],
  ])("a key that is %s is 400 validation_failed and nothing runs", async (_n, key) => {
    const r = await post(alice, key);
    const e = expectError(r, 400, "validation_failed");
    expect(e.details.issues[0].path).toBe("header.idempotency-key");
    expect(keyRows()).toBe(0);
  });

  test("a 255-character key is accepted", async () => {
    expect((await post(alice, "k".repeat(255))).status).toBe(201);
  });
});
