import { describe, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { storeAvailable, storeHeld } from "../../src/modules/gateway/money";
import { ensureOwnedEndpoint } from "../../src/modules/platform/webhooks/endpoints";
import { secretFor } from "../../src/modules/platform/webhooks/secrets";
import { signWebhook } from "../../src/modules/platform/webhooks/send";
import { expectError, makeTestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

const t = makeTestApp();
const fx = gatewayFixtures(t);
// A public address (TEST-NET-3): accepted without DNS; nothing is delivered to it here.
const PUBLIC = "https://203.0.113.10/souk/callbacks";
const BASE = "/api/v1/merchant/stores";

const count = (sql: string, ...args: (string | number)[]) =>
  (t.ctx.sqlite.query(sql).get(...args) as { n: number }).n;
const eventsOf = (type: string, subjectId: number) =>
  t.ctx.sqlite
    .query("SELECT actor_id, payload FROM events WHERE type = ? AND subject_id = ? ORDER BY id")
    .all(type, String(subjectId)) as { actor_id: number; payload: string }[];
const auditOf = (action: string, targetId: number) =>
  t.ctx.sqlite
    .query(
      "SELECT actor_id, ip, request_id, details FROM audit_log WHERE action = ? AND target_id = ? ORDER BY id",
    )
    .all(action, String(targetId)) as { actor_id: number; ip: string; request_id: string; details: string }[];
const storeRow = (id: number) =>
  t.ctx.sqlite.query("SELECT * FROM gateway_stores WHERE id = ?").get(id) as Record<string, unknown>;
const setPrivateUrls = (on: boolean) =>
  t.ctx.settings.setNow({ webhooks_allow_private_urls: on }, t.clock.now());

async function newStore(token: string, body: Record<string, unknown> = {}) {
  const r = await t.call("POST", BASE, { token, body: { name: "Book shop", ...body } });
  expect(r.status).toBe(201);
  return r.body;
}

describe("POST /merchant/stores", () => {
  test("creates a store with commissions at 0; the whsec_ secret is in this answer only and sealed at rest", async () => {
    const m = await t.user("merchant");
    const r = await t.call("POST", BASE, {
      token: m.token,
      body: { name: "  Book shop ", callback_url: PUBLIC },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      merchant_id: m.id,
      name: "Book shop",
      callback_url: PUBLIC,
      pay_in_bps: 0,
      pay_out_bps: 0,
      active: true,
      created_at: "2026-11-22T10:00:00.000Z",
    });
    expect(r.body.callback_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const row = storeRow(r.body.id);
    expect(String(row.callback_secret_sealed)).not.toContain(r.body.callback_secret.slice(6));
    const ev = eventsOf("gateway.store.created", r.body.id);
    expect(ev).toHaveLength(1);
    expect(ev[0]!.actor_id).toBe(m.id);
    expect(JSON.stringify(ev)).not.toContain("whsec_");
    // Never shown again.
    const again = await t.call("GET", `${BASE}/${r.body.id}`, { token: m.token });
    expect(again.body.callback_secret).toBeUndefined();
    const list = await t.call("GET", BASE, { token: m.token });
    expect(JSON.stringify(list.body)).not.toContain("whsec_");
  });

  test("a callback url on loopback or a private network is 400 unless private urls are allowed; http needs that too", async () => {
    const m = await t.user("merchant");
    const before = count("SELECT count(*) AS n FROM gateway_stores");
    for (const url of [
      "https://127.0.0.1/cb",
      "https://10.1.2.3/cb",
      "https://localhost/cb",
      "https://169.254.169.254/latest",
      "http://203.0.113.10/cb",
      "ftp://203.0.113.10/cb",
      "not a url",
    ]) {
      const e = expectError(
        await t.call("POST", BASE, { token: m.token, body: { name: "S", callback_url: url } }),
        400,
        "validation_failed",
      );
      expect(e.details.issues[0].path).toBe("json.callback_url");
    }
    expect(count("SELECT count(*) AS n FROM gateway_stores")).toBe(before);
    setPrivateUrls(true);
    try {
      const ok = await newStore(m.token, { callback_url: "http://127.0.0.1:9/cb" });
      expect(ok.callback_url).toBe("http://127.0.0.1:9/cb");
    } finally {
      setPrivateUrls(false);
    }
  });

  test("bad bodies are 400 and write nothing", async () => {
    const m = await t.user("merchant");
    const before = count("SELECT count(*) AS n FROM gateway_stores");
    for (const body of [
      {},
      { name: "" },
      { name: "   " },
      { name: "x".repeat(201) },
      { name: "S", pay_in_bps: 0 },
    ]) {
      expectError(await t.call("POST", BASE, { token: m.token, body }), 400, "validation_failed");
    }
    expectError(await t.call("POST", BASE, { token: m.token, raw: "{" }), 400, "invalid_json");
    expect(count("SELECT count(*) AS n FROM gateway_stores")).toBe(before);
  });

  test("merchants only (or their key with the gateway scope)", async () => {
    expectError(await t.call("POST", BASE, { body: { name: "S" } }), 401, "unauthenticated");
    for (const role of ["client", "trader", "teamlead", "support", "expert"] as const) {
      const u = await t.user(role);
      expectError(await t.call("POST", BASE, { token: u.token, body: { name: "S" } }), 403, "forbidden");
    }
    const m = await t.user("merchant");
    const key = async (scopes: string[]) =>
      (await t.call("POST", "/api/v1/me/api-keys", { token: m.token, body: { name: "k", scopes } })).body
        .key as string;
    const gw = await key(["gateway:merchant:*"]);
    const made = await t.call("POST", BASE, { token: gw, body: { name: "By key" } });
    expect(made.status).toBe(201);
    expect(made.body.merchant_id).toBe(m.id);
    const narrow = await key(["gateway:merchant:orders"]);
    expectError(await t.call("POST", BASE, { token: narrow, body: { name: "S" } }), 403, "forbidden");
  });
});

describe("GET /merchant/stores and /merchant/stores/{id}", () => {
  test("a merchant lists and reads only their own stores, newest first, paginated", async () => {
    const m = await t.user("merchant");
    const other = await t.user("merchant");
    const a = await newStore(m.token, { name: "A" });
    const b = await newStore(m.token, { name: "B" });
    const theirs = await newStore(other.token, { name: "Theirs" });
    const r = await t.call("GET", `${BASE}?page_size=1`, { token: m.token });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(2);
    expect(r.body.results.map((s: { id: number }) => s.id)).toEqual([b.id]);
    expect(r.body.next).toBe("/api/v1/merchant/stores?page_size=1&page=2");
    const one = await t.call("GET", `${BASE}/${a.id}`, { token: m.token });
    expect(one.body).toMatchObject({ id: a.id, name: "A", merchant_id: m.id });
    expectError(await t.call("GET", `${BASE}/${theirs.id}`, { token: m.token }), 404, "not_found");
    expectError(await t.call("GET", `${BASE}/999999`, { token: m.token }), 404, "not_found");
    expectError(await t.call("GET", `${BASE}?bogus=1`, { token: m.token }), 400, "validation_failed");
    expectError(await t.call("GET", BASE), 401, "unauthenticated");
    const trader = await t.user("trader");
    expectError(await t.call("GET", `${BASE}/${a.id}`, { token: trader.token }), 403, "forbidden");
  });
});

describe("PATCH /merchant/stores/{id}", () => {
  test("renames and changes or removes the callback url, with an event of the changes", async () => {
    const m = await t.user("merchant");
    const s = await newStore(m.token, { name: "Old" });
    t.clock.advance(1000);
    const r = await t.call("PATCH", `${BASE}/${s.id}`, {
      token: m.token,
      body: { name: "New", callback_url: PUBLIC },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: "New",
      callback_url: PUBLIC,
      updated_at: "2026-11-22T10:00:01.000Z",
    });
    const cleared = await t.call("PATCH", `${BASE}/${s.id}`, {
      token: m.token,
      body: { callback_url: null },
    });
    expect(cleared.body.callback_url).toBeNull();
    const ev = eventsOf("gateway.store.updated", s.id);
    expect(ev).toHaveLength(2);
    expect(JSON.parse(ev[0]!.payload).changes).toEqual({
      name: { from: "Old", to: "New" },
      callback_url: { from: null, to: PUBLIC },
    });
    // No change, no event.
    await t.call("PATCH", `${BASE}/${s.id}`, { token: m.token, body: { name: "New" } });
    expect(eventsOf("gateway.store.updated", s.id)).toHaveLength(2);
  });

  test("a private callback url is 400; commissions are not the merchant's; empty bodies are refused", async () => {
    const m = await t.user("merchant");
    const s = await newStore(m.token, { name: "Keep" });
    for (const body of [
      { callback_url: "https://192.168.1.1/cb" },
      { pay_in_bps: 0 },
      { active: false },
      {},
    ]) {
      expectError(
        await t.call("PATCH", `${BASE}/${s.id}`, { token: m.token, body }),
        400,
        "validation_failed",
      );
    }
    expect(storeRow(s.id)).toMatchObject({ name: "Keep", callback_url: null, active: 1 });
  });

  test("another merchant's store is 404, whatever the body", async () => {
    const m = await t.user("merchant");
    const other = await t.user("merchant");
    const s = await newStore(m.token, { name: "Mine" });
    for (const body of [{ name: "Taken" }, { callback_url: "https://127.0.0.1/x" }]) {
      expectError(await t.call("PATCH", `${BASE}/${s.id}`, { token: other.token, body }), 404, "not_found");
    }
    expect(storeRow(s.id).name).toBe("Mine");
    const client = await t.user("client");
    expectError(
      await t.call("PATCH", `${BASE}/${s.id}`, { token: client.token, body: { name: "x" } }),
      403,
      "forbidden",
    );
  });
});

describe("POST /merchant/stores/{id}/rotate-secret", () => {
  test("a new secret, shown once; the store's callback endpoints sign with it from now on", async () => {
    const m = await t.user("merchant");
    const s = await newStore(m.token, { callback_url: PUBLIC });
    // The endpoint the first callback would create, with the store's secret of that time.
    const endpointId = t.ctx.db.transaction(
      (tx) =>
        ensureOwnedEndpoint(
          t.ctx,
          tx,
          { type: "store", id: s.id },
          PUBLIC,
          String(storeRow(s.id).callback_secret_sealed),
          ["gateway.order.*"],
        ),
      { behavior: "immediate" },
    );
    const r = await t.call("POST", `${BASE}/${s.id}/rotate-secret`, { token: m.token });
    expect(r.status).toBe(200);
    expect(r.body.callback_secret).toMatch(/^whsec_/);
    expect(r.body.callback_secret).not.toBe(s.callback_secret);
    const sealed = String(storeRow(s.id).callback_secret_sealed);
    const endpoint = t.ctx.sqlite
      .query("SELECT secret_sealed FROM webhook_endpoints WHERE id = ?")
      .get(endpointId) as {
      secret_sealed: string;
    };
    expect(endpoint.secret_sealed).toBe(sealed);
    // What the engine signs verifies with the new secret only.
    const id = "msg_1";
    // Signed now (wall clock): the verifier checks the timestamp against its own clock.
    const at = new Date();
    const payload = JSON.stringify({ type: "gateway.order.assigned" });
    const secret = secretFor(t.ctx.jwtSecret, endpoint.secret_sealed);
    const signature = signWebhook(secret, id, Math.floor(at.getTime() / 1000), payload);
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": signature,
    };
    expect(() => new Webhook(r.body.callback_secret).verify(payload, headers)).not.toThrow();
    expect(() => new Webhook(s.callback_secret).verify(payload, headers)).toThrow();
    expect(eventsOf("gateway.store.secret_rotated", s.id)).toHaveLength(1);
    expect(JSON.stringify(eventsOf("gateway.store.secret_rotated", s.id))).not.toContain("whsec_");
  });

  test("another merchant's store is 404; a body with fields is 400; others are 403", async () => {
    const m = await t.user("merchant");
    const other = await t.user("merchant");
    const s = await newStore(m.token);
    const sealed = storeRow(s.id).callback_secret_sealed;
    expectError(
      await t.call("POST", `${BASE}/${s.id}/rotate-secret`, { token: other.token }),
      404,
      "not_found",
    );
    expectError(
      await t.call("POST", `${BASE}/${s.id}/rotate-secret`, { token: m.token, body: { secret: "x" } }),
      400,
      "validation_failed",
    );
    const support = await t.user("support");
    expectError(
      await t.call("POST", `${BASE}/${s.id}/rotate-secret`, { token: support.token }),
      403,
      "forbidden",
    );
    expect(storeRow(s.id).callback_secret_sealed).toBe(sealed);
  });
});

describe("GET /merchant/stores/{id}/balance", () => {
  test("available and held USDT micro-units of the merchant's own store", async () => {
    const { store, merchant } = await fx.store();
    fx.credit(storeAvailable(store.id), 12_500_000);
    fx.credit(storeHeld(store.id), 1_000_000);
    const r = await t.call("GET", `${BASE}/${store.id}/balance`, { token: merchant.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ available: 12_500_000, held: 1_000_000, currency: "USDT" });
    const { store: empty } = await fx.store({ merchant });
    const z = await t.call("GET", `${BASE}/${empty.id}/balance`, { token: merchant.token });
    expect(z.body).toEqual({ available: 0, held: 0, currency: "USDT" });
    const other = await t.user("merchant");
    expectError(await t.call("GET", `${BASE}/${store.id}/balance`, { token: other.token }), 404, "not_found");
    const trader = await t.user("trader");
    expectError(
      await t.call("GET", `${BASE}/${store.id}/balance`, { token: trader.token }),
      403,
      "forbidden",
    );
    expectError(await t.call("GET", `${BASE}/${store.id}/balance`), 401, "unauthenticated");
  });
});

describe("admin: /admin/gateway/stores", () => {
  test("PATCH sets commissions and active, audited with before and after and an event", async () => {
    const admin = await t.user("admin");
    const { store } = await fx.store({ payInBps: 300, payOutBps: 200 });
    const r = await t.call("PATCH", `/api/v1/admin/gateway/stores/${store.id}`, {
      token: admin.token,
      body: { pay_in_bps: 10_000, pay_out_bps: 0, active: false },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: store.id,
      pay_in_bps: 10_000,
      pay_out_bps: 0,
      active: false,
      balance: { available: 0, held: 0, currency: "USDT" },
    });
    const audits = auditOf("gateway.store.updated", store.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]!.actor_id).toBe(admin.id);
    expect(audits[0]!.request_id).toBe(r.headers.get("x-request-id")!);
    expect(JSON.parse(audits[0]!.details)).toMatchObject({
      before: { pay_in_bps: 300, pay_out_bps: 200, active: true },
      after: { pay_in_bps: 10_000, pay_out_bps: 0, active: false },
    });
    expect(eventsOf("gateway.store.updated", store.id)).toHaveLength(1);
    // The same values again: audited, no event.
    await t.call("PATCH", `/api/v1/admin/gateway/stores/${store.id}`, {
      token: admin.token,
      body: { active: false },
    });
    expect(auditOf("gateway.store.updated", store.id)).toHaveLength(2);
    expect(eventsOf("gateway.store.updated", store.id)).toHaveLength(1);
  });

  test("PATCH refuses out-of-range commissions, unknown fields and empty bodies; 404 for no store; admins only", async () => {
    const admin = await t.user("admin");
    const { store, merchant } = await fx.store({ payInBps: 300 });
    const path = `/api/v1/admin/gateway/stores/${store.id}`;
    for (const body of [
      { pay_in_bps: 10_001 },
      { pay_out_bps: -1 },
      { pay_in_bps: 1.5 },
      { name: "x" },
      {},
      { active: "no" },
    ]) {
      expectError(await t.call("PATCH", path, { token: admin.token, body }), 400, "validation_failed");
    }
    expectError(
      await t.call("PATCH", "/api/v1/admin/gateway/stores/999999", {
        token: admin.token,
        body: { active: false },
      }),
      404,
      "not_found",
    );
    for (const u of [merchant, await t.user("support"), await t.user("teamlead")]) {
      expectError(await t.call("PATCH", path, { token: u.token, body: { pay_in_bps: 0 } }), 403, "forbidden");
    }
    expectError(await t.call("PATCH", path, { body: { pay_in_bps: 0 } }), 401, "unauthenticated");
    expect(storeRow(store.id).pay_in_bps).toBe(300);
    expect(auditOf("gateway.store.updated", store.id)).toHaveLength(0);
  });

  test("GET lists every store with its balance, newest first; filters merchant_id and active", async () => {
    const admin = await t.user("admin");
    const { store: a, merchant } = await fx.store();
    const { store: b } = await fx.store({ merchant });
    fx.credit(storeAvailable(b.id), 7_000_000);
    await t.call("PATCH", `/api/v1/admin/gateway/stores/${a.id}`, {
      token: admin.token,
      body: { active: false },
    });
    const r = await t.call("GET", `/api/v1/admin/gateway/stores?merchant_id=${merchant.id}`, {
      token: admin.token,
    });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(2);
    expect(r.body.results.map((s: { id: number }) => s.id)).toEqual([b.id, a.id]);
    expect(r.body.results[0].balance).toEqual({ available: 7_000_000, held: 0, currency: "USDT" });
    const inactive = await t.call(
      "GET",
      `/api/v1/admin/gateway/stores?merchant_id=${merchant.id}&active=false`,
      {
        token: admin.token,
      },
    );
    expect(inactive.body.results.map((s: { id: number }) => s.id)).toEqual([a.id]);
    const all = await t.call("GET", "/api/v1/admin/gateway/stores?page_size=100", { token: admin.token });
    expect(all.body.count).toBeGreaterThanOrEqual(2);
    expectError(
      await t.call("GET", "/api/v1/admin/gateway/stores?active=yes", { token: admin.token }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("GET", "/api/v1/admin/gateway/stores", { token: merchant.token }),
      403,
      "forbidden",
    );
  });
});
