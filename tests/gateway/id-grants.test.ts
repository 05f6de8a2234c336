import { beforeAll, describe, expect, test } from "bun:test";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";
import { insertOrder } from "./lifecycle-helpers";

/**
 * `{id}` grants guard: a permission such as `stores:{id}:read` is checked against the path's id,
 * so a user granted one id is let in on that id and refused (403) on any other.
 */
let t: TestApp;
let f: ReturnType<typeof gatewayFixtures>;
type User = Awaited<ReturnType<TestApp["user"]>>;
let admin: User;
let support: User;
let s1: { id: number };
let s2: { id: number };
let merchant: User;

/** A staff user (arbitrator: none of these by role) holding only `grants`. */
const granted = (...grants: string[]) => t.user("arbitrator", { grantedPermissions: grants });

beforeAll(async () => {
  t = makeTestApp();
  f = gatewayFixtures(t);
  f.rate("RUB", 9550);
  admin = await t.user("admin");
  support = await t.user("support");
  const a = await f.store();
  s1 = a.store;
  merchant = a.merchant as User;
  s2 = (await f.store()).store;
});

describe("GET /admin/gateway/stores/{id} with stores:{id}:read", () => {
  const read = (token: string, id: number | string) =>
    t.call("GET", `/api/v1/admin/gateway/stores/${id}`, { token });

  test("support and admin read any store with its balance", async () => {
    for (const who of [support, admin]) {
      const r = await read(who.token, s1.id);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id: s1.id, balance: { available: 0, held: 0, currency: "USDT" } });
      expect(r.body.callback_secret).toBeUndefined();
      expect((await read(who.token, s2.id)).status).toBe(200);
    }
  });

  test("a grant for one store opens that store only", async () => {
    const one = await granted(`stores:${s1.id}:read`);
    expect((await read(one.token, s1.id)).status).toBe(200);
    const e = expectError(await read(one.token, s2.id), 403, "forbidden");
    expect(e.message).toContain(`stores:${s2.id}:read`);
    // Not the list, nor a store that does not exist, nor an id that is not one.
    expectError(await t.call("GET", "/api/v1/admin/gateway/stores", { token: one.token }), 403, "forbidden");
    expectError(await read(one.token, 999_999), 403, "forbidden");
    expectError(await read(one.token, `0${s1.id}`), 403, "forbidden");
    // `{id}` in a grant covers every store; the list still needs gateway:admin:stores.
    const every = await granted("stores:{id}:read");
    expect((await read(every.token, s2.id)).status).toBe(200);
    expectError(await read(every.token, 999_999), 404, "not_found");
    expectError(await read(every.token, "abc"), 400, "validation_failed");
  });

  test("the store's merchant, traders and clients are refused; no auth 401", async () => {
    expectError(await read(merchant.token, s1.id), 403, "forbidden");
    for (const role of ["client", "trader", "teamlead", "arbitrator"] as const) {
      expectError(await read((await t.user(role)).token, s1.id), 403, "forbidden");
    }
    expectError(await t.call("GET", `/api/v1/admin/gateway/stores/${s1.id}`), 401, "unauthenticated");
  });
});

describe("gateway orders with gateway_orders:{id}:read / :review", () => {
  test("a grant for one order reads it as staff do (with its selection log), and its callbacks; another is 403", async () => {
    const o1 = insertOrder(t, { store: s1 as never, status: "retrying" });
    const o2 = insertOrder(t, { store: s1 as never, status: "retrying" });
    const one = await granted(`gateway_orders:${o1.id}:read`);
    const r = await t.call("GET", `/api/v1/gateway/orders/${o1.id}`, { token: one.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: o1.id, selection_log: [] });
    expect((await t.call("GET", `/api/v1/gateway/payin/status/${o1.id}`, { token: one.token })).status).toBe(
      200,
    );
    expect(
      (await t.call("GET", `/api/v1/gateway/orders/${o1.id}/callbacks`, { token: one.token })).status,
    ).toBe(200);
    // The wrong direction's path hides it as it does for everyone.
    expectError(
      await t.call("GET", `/api/v1/gateway/payout/status/${o1.id}`, { token: one.token }),
      404,
      "not_found",
    );
    for (const path of [
      `/gateway/orders/${o2.id}`,
      `/gateway/payin/status/${o2.id}`,
      `/gateway/orders/${o2.id}/callbacks`,
    ]) {
      expectError(await t.call("GET", `/api/v1${path}`, { token: one.token }), 403, "forbidden");
    }
    // A read grant is not a review grant, nor the support list.
    expectError(
      await t.call("POST", `/api/v1/support/gateway/orders/${o1.id}/review`, {
        token: one.token,
        body: { decision: "deny" },
      }),
      403,
      "forbidden",
    );
    expectError(
      await t.call("GET", "/api/v1/support/gateway/orders", { token: one.token }),
      403,
      "forbidden",
    );
    // Support still reads both; the merchant still sees its own orders (merchant view).
    expect(
      (await t.call("GET", `/api/v1/gateway/orders/${o2.id}`, { token: support.token })).body.selection_log,
    ).toEqual([]);
    const m = await t.call("GET", `/api/v1/gateway/orders/${o2.id}`, { token: merchant.token });
    expect(m.status).toBe(200);
    expect(m.body.selection_log).toBeUndefined();
  });

  test("a grant to review one order decides that order only", async () => {
    const o1 = insertOrder(t, { store: s1 as never, status: "review" });
    const o2 = insertOrder(t, { store: s1 as never, status: "review" });
    const one = await granted(`gateway_orders:${o1.id}:review`);
    const review = (id: number) =>
      t.call("POST", `/api/v1/support/gateway/orders/${id}/review`, {
        token: one.token,
        body: { decision: "deny" },
      });
    expectError(await review(o2.id), 403, "forbidden");
    const r = await review(o1.id);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("failed");
  });
});

describe("requisites:{id}:moderate", () => {
  test("a grant for one requisite moderates that one; another is 403; support moderates any", async () => {
    const tr = await f.trader();
    const r1 = f.requisite(tr.trader.id, { status: "pending" });
    const r2 = f.requisite(tr.trader.id, { status: "pending" });
    const one = await granted(`requisites:${r1.id}:moderate`);
    const moderate = (token: string, id: number) =>
      t.call("POST", `/api/v1/admin/gateway/requisites/${id}/status`, {
        token,
        body: { status: "approved" },
      });
    expect((await moderate(one.token, r1.id)).status).toBe(200);
    expectError(await moderate(one.token, r2.id), 403, "forbidden");
    expect((await moderate(support.token, r2.id)).status).toBe(200);
  });
});

describe("admin user routes: users:{id}:read, users:{id}:ban, users:{id}:role", () => {
  test("a grant for one user opens that user only; the flat permission every user", async () => {
    const a = await t.user();
    const b = await t.user();
    const one = await granted(`users:${a.id}:read`, `users:${a.id}:ban`, `users:${a.id}:role`);
    expect((await t.call("GET", `/api/v1/admin/users/${a.id}`, { token: one.token })).status).toBe(200);
    expectError(await t.call("GET", `/api/v1/admin/users/${b.id}`, { token: one.token }), 403, "forbidden");
    expectError(await t.call("GET", "/api/v1/admin/users", { token: one.token }), 403, "forbidden");
    expectError(
      await t.call("POST", `/api/v1/admin/users/${b.id}/ban`, { token: one.token }),
      403,
      "forbidden",
    );
    expectError(
      await t.call("POST", `/api/v1/admin/users/${b.id}/unban`, { token: one.token }),
      403,
      "forbidden",
    );
    expectError(
      await t.call("POST", `/api/v1/admin/users/${b.id}/role`, {
        token: one.token,
        body: { role: "expert" },
      }),
      403,
      "forbidden",
    );
    expect(
      (await t.call("POST", `/api/v1/admin/users/${a.id}/ban`, { token: one.token })).body.is_banned,
    ).toBe(true);
    expect(
      (await t.call("POST", `/api/v1/admin/users/${a.id}/unban`, { token: one.token })).body.is_banned,
    ).toBe(false);
    const role = await t.call("POST", `/api/v1/admin/users/${a.id}/role`, {
      token: one.token,
      body: { role: "expert" },
    });
    expect(role.status).toBe(200);
    // Support reads every user by its role's users:read, and still cannot ban.
    expect((await t.call("GET", `/api/v1/admin/users/${b.id}`, { token: support.token })).status).toBe(200);
    expectError(
      await t.call("POST", `/api/v1/admin/users/${b.id}/ban`, { token: support.token }),
      403,
      "forbidden",
    );
  });

  test("an API key's scope for one user narrows its owner's powers to that user", async () => {
    const a = await t.user();
    const b = await t.user();
    const k = await t.call("POST", "/api/v1/me/api-keys", {
      token: admin.token,
      body: { name: "one user", scopes: [`users:${a.id}:read`] },
    });
    expect(k.status).toBe(201);
    expect((await t.call("GET", `/api/v1/admin/users/${a.id}`, { token: k.body.key })).status).toBe(200);
    expectError(await t.call("GET", `/api/v1/admin/users/${b.id}`, { token: k.body.key }), 403, "forbidden");
  });
});
