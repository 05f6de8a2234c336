import { beforeEach, describe, expect, test } from "bun:test";
import { unseal } from "../../src/lib/seal";
import { createEndpoint } from "../../src/modules/platform/webhooks/endpoints";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

let t: TestApp;
let admin: Awaited<ReturnType<TestApp["user"]>>;

// A public address (TEST-NET-3): accepted without DNS; no test here delivers to it.
const PUBLIC = "https://203.0.113.10/hooks/souk";
const BASE = "/api/v1/admin/webhooks";

beforeEach(async () => {
  t = makeTestApp();
  admin = await t.user("admin");
});

const count = (table: string) =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const eventsOf = (type: string) =>
  t.ctx.sqlite.query("SELECT * FROM events WHERE type = ? ORDER BY id").all(type) as {
    actor_id: number | null;
    subject_id: string;
    payload: string;
  }[];
const auditOf = (action: string) =>
  t.ctx.sqlite.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id").all(action) as {
    actor_id: number;
    target_id: string;
    details: string;
  }[];

async function create(body: Record<string, unknown> = {}) {
  const r = await t.call("POST", BASE, {
    token: admin.token,
    body: { url: PUBLIC, event_types: ["order.*"], ...body },
  });
  expect(r.status).toBe(201);
  return r.body;
}

/** A gateway store's callback endpoint: someone else's as far as the admin routes go. */
const storeEndpoint = () =>
  t.ctx.db.transaction(
    (tx) =>
      createEndpoint(t.ctx, tx, { url: PUBLIC, eventTypes: [], owner: { type: "store", id: 3 } }).endpoint,
    { behavior: "immediate" },
  );

describe("POST /admin/webhooks", () => {
  test("creates an endpoint; the whsec_ secret is in this answer only, sealed in the database; audited with an event", async () => {
    const r = await t.call("POST", BASE, {
      token: admin.token,
      body: { url: PUBLIC, event_types: ["order.*", "purchase.succeeded"], description: "CRM" },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      url: PUBLIC,
      event_types: ["order.*", "purchase.succeeded"],
      description: "CRM",
      enabled: true,
      disabled_reason: null,
      created_by: admin.id,
    });
    const secret = r.body.secret as string;
    // Standard Webhooks: whsec_ + base64 of the key (32 random bytes here).
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);

    const got = await t.call("GET", `${BASE}/${r.body.id}`, { token: admin.token });
    expect(got.status).toBe(200);
    expect(got.body.secret).toBeUndefined();
    const list = await t.call("GET", BASE, { token: admin.token });
    expect(list.body.results[0].secret).toBeUndefined();
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(6));

    // Not readable in the database: no column holds it, the sealed value opens only with the server secret.
    const row = t.ctx.sqlite.query("SELECT * FROM webhook_endpoints").get() as Record<string, unknown>;
    const dump = JSON.stringify(row);
    expect(dump).not.toContain(secret.slice(6));
    expect(dump).not.toContain(secret.slice(6, 20));
    expect(unseal(t.ctx.jwtSecret, "webhook-secret", String(row.secret_sealed))).toBe(secret);
    expect(() =>
      unseal("another-server-secret-0123456789abcdef", "webhook-secret", String(row.secret_sealed)),
    ).toThrow();
    // Nor in the event or the audit row.
    expect(JSON.stringify(eventsOf("webhook_endpoint.created"))).not.toContain(secret.slice(6));
    expect(JSON.stringify(auditOf("webhook_endpoint.created"))).not.toContain(secret.slice(6));

    expect(eventsOf("webhook_endpoint.created")).toEqual([
      expect.objectContaining({ actor_id: admin.id, subject_id: String(r.body.id) }),
    ]);
    expect(auditOf("webhook_endpoint.created")).toEqual([
      expect.objectContaining({ actor_id: admin.id, target_id: String(r.body.id) }),
    ]);
  });

  test("each endpoint gets its own secret; enabled: false is kept", async () => {
    const a = await create();
    const b = await create({ enabled: false });
    expect(a.secret).not.toBe(b.secret);
    expect(b.enabled).toBe(false);
  });

  test("event types are checked against the declared list: 400 with the path, nothing written", async () => {
    const cases: [unknown, string][] = [
      [["order.*", "ordr.created"], "json.event_types.1"],
      [["nothing.*"], "json.event_types.0"],
      [["order.created", "order.created"], "json.event_types.1"],
      // The engine's own events are never delivered: subscribing to them alone is refused.
      [["webhook_endpoint.*"], "json.event_types.0"],
      [["webhook.test"], "json.event_types.0"],
      [[], "json.event_types"],
      [[""], "json.event_types.0"],
      [["x".repeat(101)], "json.event_types.0"],
      [Array.from({ length: 51 }, () => "*"), "json.event_types"],
      ["order.*", "json.event_types"],
    ];
    for (const [eventTypes, path] of cases) {
      const e = expectError(
        await t.call("POST", BASE, { token: admin.token, body: { url: PUBLIC, event_types: eventTypes } }),
        400,
        "validation_failed",
      );
      expect(e.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    expect(count("webhook_endpoints")).toBe(0);
    expect(count("audit_log")).toBe(0);
    // Valid: exact, prefix, everything.
    await create({ event_types: ["order.created", "grant.*", "*"] });
  });

  test("bad bodies: malformed JSON, unknown fields, wrong types, missing fields, oversize; nothing written", async () => {
    expectError(await t.call("POST", BASE, { token: admin.token, raw: "{" }), 400, "invalid_json");
    const bad: unknown[] = [
      { url: PUBLIC, event_types: ["*"], secret: "whsec_mine" },
      { url: PUBLIC, event_types: ["*"], owner_type: "store" },
      { url: 5, event_types: ["*"] },
      { url: PUBLIC, event_types: ["*"], enabled: "yes" },
      { url: PUBLIC, event_types: ["*"], description: "d".repeat(501) },
      { url: `https://example.com/${"a".repeat(2048)}`, event_types: ["*"] },
      { event_types: ["*"] },
      { url: PUBLIC },
      [],
      null,
    ];
    for (const body of bad) {
      expectError(await t.call("POST", BASE, { token: admin.token, body }), 400, "validation_failed");
    }
    expect(count("webhook_endpoints")).toBe(0);
  });

  test("no auth 401; a client, an expert and support without the grant 403; webhooks:write may create", async () => {
    const body = { url: PUBLIC, event_types: ["*"] };
    expectError(await t.call("POST", BASE, { body }), 401, "unauthenticated");
    for (const role of ["client", "expert", "support", "merchant"] as const) {
      const u = await t.user(role);
      expectError(await t.call("POST", BASE, { token: u.token, body }), 403, "forbidden");
      expectError(await t.call("GET", BASE, { token: u.token }), 403, "forbidden");
    }
    const reader = await t.user("support", { grantedPermissions: ["webhooks:read"] });
    expectError(await t.call("POST", BASE, { token: reader.token, body }), 403, "forbidden");
    expect((await t.call("GET", BASE, { token: reader.token })).status).toBe(200);
    const writer = await t.user("support", { grantedPermissions: ["webhooks:write"] });
    expect((await t.call("POST", BASE, { token: writer.token, body })).status).toBe(201);
    expect(count("webhook_endpoints")).toBe(1);
  });
});

describe("SSRF guard when an endpoint is saved", () => {
  const REFUSED: [string, string][] = [
    ["https://127.0.0.1/hook", "loopback"],
    ["https://127.8.9.10/hook", "loopback"],
    ["https://0x7f.1/hook", "loopback, written in hex"],
    ["https://2130706433/hook", "loopback, as one number"],
    ["https://localhost/hook", "localhost"],
    ["https://LOCALHOST./hook", "localhost with a trailing dot"],
    ["https://api.localhost/hook", "a .localhost name"],
    ["https://[::1]/hook", "IPv6 loopback"],
    ["https://[::ffff:127.0.0.1]/hook", "IPv4-mapped loopback"],
    ["https://[::ffff:10.0.0.1]/hook", "IPv4-mapped private"],
    ["https://[64:ff9b::a9fe:a9fe]/hook", "NAT64 of the metadata address"],
    ["https://10.1.2.3/hook", "RFC 1918 10/8"],
    ["https://172.16.0.1/hook", "RFC 1918 172.16/12"],
    ["https://172.31.255.254/hook", "RFC 1918 172.16/12, top"],
    ["https://192.168.1.1/hook", "RFC 1918 192.168/16"],
    ["https://100.64.0.1/hook", "CGNAT"],
    ["https://169.254.169.254/latest/meta-data", "link-local (cloud metadata)"],
    ["https://[fe80::1]/hook", "IPv6 link-local"],
    ["https://[fd12:3456::1]/hook", "IPv6 unique local"],
    ["https://0.0.0.0/hook", "unspecified"],
    ["https://[::]/hook", "IPv6 unspecified"],
    ["https://224.0.0.1/hook", "multicast"],
    ["https://[ff02::1]/hook", "IPv6 multicast"],
    ["https://255.255.255.255/hook", "broadcast"],
  ];
  for (const [url, what] of REFUSED) {
    test(`refuses ${what}: ${url}`, async () => {
      const e = expectError(
        await t.call("POST", BASE, { token: admin.token, body: { url, event_types: ["*"] } }),
        400,
        "validation_failed",
      );
      expect(e.details.issues).toEqual([
        {
          path: "json.url",
          message: expect.stringContaining("resolves to a loopback, private or link-local address"),
        },
      ]);
      expect(count("webhook_endpoints")).toBe(0);
    });
  }

  test("only https (unless private urls are allowed), only http(s), no credentials in the url", async () => {
    const cases: [string, string][] = [
      ["http://203.0.113.10/hook", "must be https"],
      ["ftp://203.0.113.10/hook", "only http and https urls"],
      ["file:///etc/passwd", "only http and https urls"],
      ["https://user:pass@203.0.113.10/hook", "credentials in the url are not allowed"],
      ["not a url", "not a valid absolute url"],
      ["/relative/path", "not a valid absolute url"],
    ];
    for (const [url, message] of cases) {
      const e = expectError(
        await t.call("POST", BASE, { token: admin.token, body: { url, event_types: ["*"] } }),
        400,
        "validation_failed",
      );
      expect(e.details.issues).toEqual([{ path: "json.url", message }]);
    }
    expect(count("webhook_endpoints")).toBe(0);
  });

  test("public addresses pass: IPv4 and IPv6 literals", async () => {
    await create({ url: "https://203.0.113.10:8443/x?y=1" });
    await create({ url: "https://[2001:db8::1]/x" });
    expect(count("webhook_endpoints")).toBe(2);
  });

  test("webhooks_allow_private_urls lets loopback and http through", async () => {
    t.ctx.settings.setNow({ webhooks_allow_private_urls: true }, t.clock.now());
    await create({ url: "http://127.0.0.1:9/hook" });
    await create({ url: "http://localhost:9/hook" });
    // Still only http(s) and no credentials.
    expectError(
      await t.call("POST", BASE, {
        token: admin.token,
        body: { url: "ftp://127.0.0.1/", event_types: ["*"] },
      }),
      400,
      "validation_failed",
    );
  });

  test("PATCH checks a new url the same way and leaves the endpoint as it was", async () => {
    const ep = await create();
    const e = expectError(
      await t.call("PATCH", `${BASE}/${ep.id}`, {
        token: admin.token,
        body: { url: "https://10.0.0.5/x", enabled: false },
      }),
      400,
      "validation_failed",
    );
    expect(e.details.issues[0].path).toBe("json.url");
    const got = await t.call("GET", `${BASE}/${ep.id}`, { token: admin.token });
    expect(got.body).toMatchObject({ url: PUBLIC, enabled: true });
    expect(eventsOf("webhook_endpoint.updated")).toEqual([]);
  });
});

describe("GET /admin/webhooks and /admin/webhooks/{id}", () => {
  test("lists the admins' endpoints newest first, filtered by enabled; someone else's are not there", async () => {
    const a = await create();
    const b = await create({ enabled: false });
    storeEndpoint();
    const all = await t.call("GET", BASE, { token: admin.token });
    expect(all.status).toBe(200);
    expect(all.body.count).toBe(2);
    expect(all.body.results.map((e: { id: number }) => e.id)).toEqual([b.id, a.id]);
    const off = await t.call("GET", `${BASE}?enabled=false`, { token: admin.token });
    expect(off.body.results.map((e: { id: number }) => e.id)).toEqual([b.id]);
    const page = await t.call("GET", `${BASE}?page_size=1&page=2`, { token: admin.token });
    expect(page.body).toMatchObject({ count: 2, next: null, results: [{ id: a.id }] });
    expectError(
      await t.call("GET", `${BASE}?enabled=maybe`, { token: admin.token }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("GET", `${BASE}?owner_type=store`, { token: admin.token }),
      400,
      "validation_failed",
    );
    expectError(await t.call("GET", BASE), 401, "unauthenticated");
  });

  test("GET one: 404 for unknown, deleted and someone else's; 400 for a bad id; 403 and 401", async () => {
    const ep = await create();
    const store = storeEndpoint();
    expectError(await t.call("GET", `${BASE}/999`, { token: admin.token }), 404, "not_found");
    expectError(await t.call("GET", `${BASE}/${store.id}`, { token: admin.token }), 404, "not_found");
    expectError(await t.call("GET", `${BASE}/abc`, { token: admin.token }), 400, "validation_failed");
    const client = await t.user("client");
    expectError(await t.call("GET", `${BASE}/${ep.id}`, { token: client.token }), 403, "forbidden");
    expectError(await t.call("GET", `${BASE}/${ep.id}`), 401, "unauthenticated");
    await t.call("DELETE", `${BASE}/${ep.id}`, { token: admin.token });
    expectError(await t.call("GET", `${BASE}/${ep.id}`, { token: admin.token }), 404, "not_found");
  });
});

describe("PATCH /admin/webhooks/{id}", () => {
  test("changes fields, emits webhook_endpoint.updated with before/after, audited; a no-op is audited only", async () => {
    const ep = await create();
    const r = await t.call("PATCH", `${BASE}/${ep.id}`, {
      token: admin.token,
      body: { event_types: ["grant.*"], description: "minutes", url: "https://203.0.113.11/new" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      event_types: ["grant.*"],
      description: "minutes",
      url: "https://203.0.113.11/new",
    });
    expect(r.body.secret).toBeUndefined();
    const [ev] = eventsOf("webhook_endpoint.updated");
    expect(JSON.parse(ev!.payload).changes).toEqual({
      url: { from: PUBLIC, to: "https://203.0.113.11/new" },
      description: { from: "", to: "minutes" },
      event_types: { from: ["order.*"], to: ["grant.*"] },
    });
    await t.call("PATCH", `${BASE}/${ep.id}`, { token: admin.token, body: { description: "minutes" } });
    expect(eventsOf("webhook_endpoint.updated")).toHaveLength(1);
    expect(auditOf("webhook_endpoint.updated")).toHaveLength(2);
  });

  test("bad bodies, unknown event types, 404s, roles; nothing changes", async () => {
    const ep = await create();
    const store = storeEndpoint();
    const path = `${BASE}/${ep.id}`;
    expectError(await t.call("PATCH", path, { token: admin.token, body: {} }), 400, "validation_failed");
    expectError(await t.call("PATCH", path, { token: admin.token, raw: "{nope" }), 400, "invalid_json");
    expectError(
      await t.call("PATCH", path, { token: admin.token, body: { secret: "x" } }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("PATCH", path, { token: admin.token, body: { enabled: 1 } }),
      400,
      "validation_failed",
    );
    const e = expectError(
      await t.call("PATCH", path, { token: admin.token, body: { event_types: ["order.*", "bogus.thing"] } }),
      400,
      "validation_failed",
    );
    expect(e.details.issues[0].path).toBe("json.event_types.1");
    expectError(
      await t.call("PATCH", `${BASE}/999`, { token: admin.token, body: { enabled: false } }),
      404,
      "not_found",
    );
    expectError(
      await t.call("PATCH", `${BASE}/${store.id}`, { token: admin.token, body: { enabled: false } }),
      404,
      "not_found",
    );
    const client = await t.user("client");
    expectError(
      await t.call("PATCH", path, { token: client.token, body: { enabled: false } }),
      403,
      "forbidden",
    );
    const reader = await t.user("support", { grantedPermissions: ["webhooks:read"] });
    expectError(
      await t.call("PATCH", path, { token: reader.token, body: { enabled: false } }),
      403,
      "forbidden",
    );
    expectError(await t.call("PATCH", path, { body: { enabled: false } }), 401, "unauthenticated");
    const got = await t.call("GET", path, { token: admin.token });
    expect(got.body).toMatchObject({ enabled: true, event_types: ["order.*"] });
    expect(eventsOf("webhook_endpoint.updated")).toEqual([]);
    const storeRow = t.ctx.sqlite.query("SELECT enabled FROM webhook_endpoints WHERE id = ?").get(store.id);
    expect(storeRow).toEqual({ enabled: 1 });
  });
});

describe("DELETE /admin/webhooks/{id}", () => {
  test("204, gone from the list and the routes, the row kept for the delivery log; audited with an event", async () => {
    const ep = await create();
    const r = await t.call("DELETE", `${BASE}/${ep.id}`, { token: admin.token });
    expect(r.status).toBe(204);
    expect((await t.call("GET", BASE, { token: admin.token })).body.count).toBe(0);
    expectError(await t.call("DELETE", `${BASE}/${ep.id}`, { token: admin.token }), 404, "not_found");
    expectError(
      await t.call("POST", `${BASE}/${ep.id}/rotate-secret`, { token: admin.token }),
      404,
      "not_found",
    );
    expect(count("webhook_endpoints")).toBe(1);
    expect(eventsOf("webhook_endpoint.deleted")).toEqual([
      expect.objectContaining({ subject_id: String(ep.id) }),
    ]);
    expect(auditOf("webhook_endpoint.deleted")).toHaveLength(1);
  });

  test("404 for unknown and someone else's; 403 and 401", async () => {
    const ep = await create();
    const store = storeEndpoint();
    expectError(await t.call("DELETE", `${BASE}/999`, { token: admin.token }), 404, "not_found");
    expectError(await t.call("DELETE", `${BASE}/${store.id}`, { token: admin.token }), 404, "not_found");
    const client = await t.user("client");
    expectError(await t.call("DELETE", `${BASE}/${ep.id}`, { token: client.token }), 403, "forbidden");
    expectError(await t.call("DELETE", `${BASE}/${ep.id}`), 401, "unauthenticated");
    expect((await t.call("GET", `${BASE}/${ep.id}`, { token: admin.token })).status).toBe(200);
    expect(t.ctx.sqlite.query("SELECT deleted_at FROM webhook_endpoints WHERE id = ?").get(store.id)).toEqual(
      { deleted_at: null },
    );
  });
});

describe("POST /admin/webhooks/{id}/rotate-secret", () => {
  test("a new secret shown once, sealed; audited; 404, 403, 401, bad body", async () => {
    const ep = await create();
    const r = await t.call("POST", `${BASE}/${ep.id}/rotate-secret`, { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body.secret).toMatch(/^whsec_/);
    expect(r.body.secret).not.toBe(ep.secret);
    const row = t.ctx.sqlite.query("SELECT secret_sealed FROM webhook_endpoints WHERE id = ?").get(ep.id) as {
      secret_sealed: string;
    };
    expect(unseal(t.ctx.jwtSecret, "webhook-secret", row.secret_sealed)).toBe(r.body.secret);
    expect(auditOf("webhook_endpoint.secret_rotated")).toHaveLength(1);
    expect(JSON.stringify(auditOf("webhook_endpoint.secret_rotated"))).not.toContain(r.body.secret.slice(6));

    const store = storeEndpoint();
    expectError(
      await t.call("POST", `${BASE}/${store.id}/rotate-secret`, { token: admin.token }),
      404,
      "not_found",
    );
    expectError(
      await t.call("POST", `${BASE}/${ep.id}/rotate-secret`, { token: admin.token, body: { secret: "x" } }),
      400,
      "validation_failed",
    );
    const client = await t.user("client");
    expectError(
      await t.call("POST", `${BASE}/${ep.id}/rotate-secret`, { token: client.token }),
      403,
      "forbidden",
    );
    expectError(await t.call("POST", `${BASE}/${ep.id}/rotate-secret`), 401, "unauthenticated");
    expect(auditOf("webhook_endpoint.secret_rotated")).toHaveLength(1);
  });
});

describe("declared event types", () => {
  test("the engine's types are listed by GET /admin/event-types", async () => {
    const r = await t.call("GET", "/api/v1/admin/event-types", { token: admin.token });
    const mine = r.body.results
      .filter((x: { module: string }) => x.module === "webhooks")
      .map((x: { type: string }) => x.type);
    expect(mine.sort()).toEqual([
      "webhook.test",
      "webhook_delivery.redelivered",
      "webhook_endpoint.created",
      "webhook_endpoint.deleted",
      "webhook_endpoint.disabled",
      "webhook_endpoint.updated",
    ]);
  });
});
