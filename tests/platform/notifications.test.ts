import { beforeEach, describe, expect, test } from "bun:test";
import {
  type NotificationType,
  type NotifyInput,
  notify,
} from "../../src/modules/platform/notifications/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

const LIST = "/api/v1/notifications";

let t: TestApp;
type U = Awaited<ReturnType<TestApp["user"]>>;
let alice: U;
let bob: U;

beforeEach(async () => {
  t = makeTestApp();
  alice = await t.user("client");
  bob = await t.user("expert");
});

/** Creates notifications the way services do: inside a write transaction. */
function send(userId: number, type: NotificationType, title: string, extra: Partial<NotifyInput> = {}) {
  t.clock.advance(1000);
  return t.ctx.db.transaction(
    (tx) => notify(t.ctx, tx, { userId, type, title, message: `${title}!`, ...extra }),
    {
      behavior: "immediate",
    },
  );
}

describe("notify()", () => {
  test("writes an unread notification with data and the clock's time", async () => {
    const id = send(alice.id, "order_assigned", "Order #1 taken", { data: { order_id: 1 } });
    const r = await t.call("GET", LIST, { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([
      {
        id,
        type: "order_assigned",
        title: "Order #1 taken",
        message: "Order #1 taken!",
        data: { order_id: 1 },
        is_read: false,
        created_at: new Date(t.clock.now()).toISOString(),
      },
    ]);
  });

  test("a notification made in a transaction that rolls back does not exist", async () => {
    expect(() =>
      t.ctx.db.transaction((tx) => {
        notify(t.ctx, tx, { userId: alice.id, type: "system", title: "x", message: "y" });
        throw new Error("boom");
      }),
    ).toThrow("boom");
    const r = await t.call("GET", LIST, { token: alice.token });
    expect(r.body).toMatchObject({ count: 0, unread_count: 0, results: [] });
  });
});

describe("GET /notifications", () => {
  test("lists only the caller's notifications, newest first, with the unread count", async () => {
    const a1 = send(alice.id, "new_order", "one");
    const a2 = send(alice.id, "system", "two");
    send(bob.id, "system", "bob's");
    const a3 = send(alice.id, "low_balance", "three");
    const r = await t.call("GET", LIST, { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(3);
    expect(r.body.unread_count).toBe(3);
    expect(r.body.results.map((n: { id: number }) => n.id)).toEqual([a3, a2, a1]);
    expect(r.body.next).toBeNull();
    expect(r.body.previous).toBeNull();
    const b = await t.call("GET", LIST, { token: bob.token });
    expect(b.body.results.map((n: { title: string }) => n.title)).toEqual(["bob's"]);
  });

  test("notifications created at the same instant come out newest id first", async () => {
    const ids = t.ctx.db.transaction((tx) =>
      [1, 2, 3].map((i) =>
        notify(t.ctx, tx, { userId: alice.id, type: "system", title: `${i}`, message: "m" }),
      ),
    );
    const r = await t.call("GET", LIST, { token: alice.token });
    expect(r.body.results.map((n: { id: number }) => n.id)).toEqual([...ids].reverse());
  });

  test("unread_only, type filter and their combination; unread_count ignores the filters", async () => {
    const a1 = send(alice.id, "system", "s1");
    const a2 = send(alice.id, "system", "s2");
    const a3 = send(alice.id, "low_balance", "l1");
    await t.call("POST", `${LIST}/${a1}/read`, { token: alice.token });

    const cases: [string, number[]][] = [
      ["", [a3, a2, a1]],
      ["?unread_only=true", [a3, a2]],
      ["?unread_only=1", [a3, a2]],
      ["?unread_only=false", [a3, a2, a1]],
      ["?unread_only=0", [a3, a2, a1]],
      ["?type=system", [a2, a1]],
      ["?type=low_balance", [a3]],
      ["?type=order_completed", []],
      ["?type=system&unread_only=true", [a2]],
    ];
    for (const [q, ids] of cases) {
      const r = await t.call("GET", `${LIST}${q}`, { token: alice.token });
      expect(r.status, q).toBe(200);
      expect(
        r.body.results.map((n: { id: number }) => n.id),
        q,
      ).toEqual(ids);
      expect(r.body.count, q).toBe(ids.length);
      expect(r.body.unread_count, q).toBe(2);
    }
  });

  test("paginates with page and page_size and keeps the filters in the links", async () => {
    const ids = Array.from({ length: 5 }, (_, i) => send(alice.id, "system", `n${i}`));
    send(alice.id, "new_order", "other type");
    const p1 = await t.call("GET", `${LIST}?type=system&page_size=2`, { token: alice.token });
    expect(p1.body.count).toBe(5);
    expect(p1.body.unread_count).toBe(6);
    expect(p1.body.results.map((n: { id: number }) => n.id)).toEqual([ids[4], ids[3]]);
    expect(p1.body.previous).toBeNull();
    expect(p1.body.next).toBe("/api/v1/notifications?type=system&page_size=2&page=2");
    const p3 = await t.call("GET", `${LIST}?type=system&page_size=2&page=3`, { token: alice.token });
    expect(p3.body.results.map((n: { id: number }) => n.id)).toEqual([ids[0]]);
    expect(p3.body.next).toBeNull();
    expect(p3.body.previous).toBe("/api/v1/notifications?type=system&page_size=2&page=2");
    const far = await t.call("GET", `${LIST}?page=99`, { token: alice.token });
    expect(far.body).toMatchObject({ count: 6, results: [] });
  });

  test.each([
    ["type=not_a_type"],
    ["type="],
    ["unread_only=yes"],
    ["page=0"],
    ["page_size=1000"],
    ["page=x"],
  ])("?%s is 400 validation_failed", async (q) => {
    expectError(await t.call("GET", `${LIST}?${q}`, { token: alice.token }), 400, "validation_failed");
  });

  test("no auth is 401, a bad token is 401", async () => {
    expectError(await t.call("GET", LIST), 401, "unauthenticated");
    expectError(await t.call("GET", LIST, { token: "not.a.jwt" }), 401, "unauthenticated");
  });

  test("answers under /api and with a trailing slash", async () => {
    send(alice.id, "system", "x");
    for (const p of ["/api/notifications", "/api/notifications/", "/api/v1/notifications/"]) {
      const r = await t.call("GET", p, { token: alice.token });
      expect(r.status, p).toBe(200);
      expect(r.body.count, p).toBe(1);
    }
  });
});

describe("POST /notifications/{id}/read", () => {
  test("marks one read: 200 {success, message}; the unread count drops; again is still 200", async () => {
    const a1 = send(alice.id, "system", "a");
    send(alice.id, "system", "b");
    const r = await t.call("POST", `${LIST}/${a1}/read`, { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true, message: expect.any(String) });
    const row = t.ctx.sqlite.query("SELECT is_read, read_at FROM notifications WHERE id = ?").get(a1);
    expect(row).toEqual({ is_read: 1, read_at: t.clock.now() });
    const list = await t.call("GET", LIST, { token: alice.token });
    expect(list.body.unread_count).toBe(1);
    expect(list.body.results.find((n: { id: number }) => n.id === a1).is_read).toBe(true);
    expect((await t.call("POST", `${LIST}/${a1}/read`, { token: alice.token })).status).toBe(200);
  });

  test("someone else's notification is 404 and stays unread", async () => {
    const b1 = send(bob.id, "system", "bob's");
    expectError(await t.call("POST", `${LIST}/${b1}/read`, { token: alice.token }), 404, "not_found");
    const row = t.ctx.sqlite.query("SELECT is_read FROM notifications WHERE id = ?").get(b1);
    expect(row).toEqual({ is_read: 0 });
  });

  test("a missing id is 404; a malformed id is 400", async () => {
    expectError(await t.call("POST", `${LIST}/9999/read`, { token: alice.token }), 404, "not_found");
    for (const id of ["abc", "0", "-1", "1.5"]) {
      expectError(
        await t.call("POST", `${LIST}/${id}/read`, { token: alice.token }),
        400,
        "validation_failed",
      );
    }
  });

  test("no auth is 401", async () => {
    const a1 = send(alice.id, "system", "a");
    expectError(await t.call("POST", `${LIST}/${a1}/read`), 401, "unauthenticated");
  });
});

describe("POST /notifications/read-all", () => {
  test("marks only the caller's unread notifications and reports how many", async () => {
    const a1 = send(alice.id, "system", "a");
    send(alice.id, "system", "b");
    send(alice.id, "new_order", "c");
    const b1 = send(bob.id, "system", "bob's");
    await t.call("POST", `${LIST}/${a1}/read`, { token: alice.token });
    const r = await t.call("POST", `${LIST}/read-all`, { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true, updated: 2 });
    const list = await t.call("GET", LIST, { token: alice.token });
    expect(list.body.unread_count).toBe(0);
    expect(list.body.results.every((n: { is_read: boolean }) => n.is_read)).toBe(true);
    expect(t.ctx.sqlite.query("SELECT is_read FROM notifications WHERE id = ?").get(b1)).toEqual({
      is_read: 0,
    });
    const again = await t.call("POST", `${LIST}/read-all`, { token: alice.token });
    expect(again.body).toEqual({ success: true, updated: 0 });
  });

  test("no auth is 401 and changes nothing", async () => {
    send(alice.id, "system", "a");
    expectError(await t.call("POST", `${LIST}/read-all`), 401, "unauthenticated");
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM notifications WHERE is_read = 0").get()).toEqual({
      n: 1,
    });
  });

  test("an API key without the notifications scope is 403", async () => {
    const k = await t.call("POST", "/api/v1/me/api-keys", {
      token: alice.token,
      body: { name: "balance only", scopes: ["balance:read"] },
    });
    expect(k.status).toBe(201);
    const key = k.body.key as string;
    expectError(await t.call("POST", `${LIST}/read-all`, { token: key }), 403, "forbidden");
    expectError(await t.call("GET", LIST, { token: key }), 403, "forbidden");
  });
});
