import { describe, expect, test } from "bun:test";
import { PAGE_SIZE } from "../../src/modules/accounts/privacy/rows";
import { expectError, makeTestApp } from "../helpers/app";
import { makeOrder, makeSubject } from "../helpers/marketplace";
import { richPerson } from "./privacy-fixtures";

const t = makeTestApp();
const admin = await t.user("admin");
const p = await richPerson(t);

async function download(path: string, token: string) {
  const res = await t.app.request(path, { headers: { authorization: `Bearer ${token}` } });
  const chunks: string[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(decoder.decode(value, { stream: true }));
  }
  const text = chunks.join("");
  return { res, text, chunks: chunks.length, doc: res.status === 200 ? JSON.parse(text) : JSON.parse(text) };
}

describe("GET /me/export", () => {
  test("a download of everything about the caller, section by section", async () => {
    const { res, doc } = await download("/api/v1/me/export", p.token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="souk-user-${p.id}.json"`);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(doc.format).toBe("souk.user-export");
    expect(doc.version).toBe(1);
    expect(doc.exported_at).toBe(new Date(t.clock.now()).toISOString());

    expect(doc.user).toMatchObject({ id: p.id, email: p.email, username: p.username, first_name: "Zebulon" });
    expect(doc.user.is_banned).toBe(false);
    expect(doc.user.granted_permissions).toEqual(["gateway:merchant:*"]);
    expect(doc.user.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(doc.sessions.length).toBeGreaterThan(0);
    expect(doc.sessions[0]).toHaveProperty("expires_at");
    expect(doc.api_keys).toHaveLength(1);
    expect(doc.api_keys[0]).toMatchObject({
      name: "zebulon laptop",
      scopes: ["me:read", "notifications:stream"],
    });
    expect(doc.notifications.map((n: { message: string }) => n.message)).toContain("Welcome, Zebulon");
    expect(doc.account_events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(["user.registered", "user.profile_updated"]),
    );
    expect(doc.client_stats).not.toBeNull();

    expect(doc.expert.profile).toMatchObject({ user_id: p.id, is_active: true });
    expect(doc.expert.applications).toHaveLength(1);
    expect(doc.expert.documents[0]).toMatchObject({ title: "Diploma", file_id: p.files.docFile.id });
    expect(doc.files.map((f: { id: number }) => f.id).sort()).toEqual(
      [p.files.docFile.id, p.files.proof.id, p.files.receipt.id].sort(),
    );

    expect(doc.orders_as_client.map((o: { id: number }) => o.id)).toEqual([p.orders.asClient.id]);
    expect(doc.orders_as_client[0].events.map((e: { type: string }) => e.type)).toEqual(["order.created"]);
    expect(doc.orders_as_expert.map((o: { id: number }) => o.id)).toEqual([p.orders.asExpert.id]);
    expect(doc.orders_as_expert[0].events).toEqual([]);
    expect(doc.messages.map((m: { body: string }) => m.body)).toEqual(["Hello, Zebulon here"]);
    expect(doc.reviews_written.map((r: { direction: string }) => r.direction)).toEqual(["client_to_expert"]);
    expect(doc.reviews_received.map((r: { comment: string }) => r.comment)).toEqual(["Pleasant client"]);
    expect(doc.courses.map((c: { title: string }) => c.title)).toEqual(["Knots 101"]);
    expect(doc.enrollments).toHaveLength(1);
    expect(doc.purchases.map((x: { id: number }) => x.id)).toEqual([p.purchase.id]);
    expect(doc.grants).toHaveLength(1);
    expect(doc.usage_events).toHaveLength(1);
    expect(doc.holds.map((h: { id: number }) => h.id)).toEqual([p.hold.id]);
    const available = doc.wallet.find((a: { kind: string }) => a.kind === "available");
    expect(available).toMatchObject({ owner_type: "user", owner_id: String(p.id), balance: 500_00 });
    expect(available.transfers).toHaveLength(1);
    expect(doc.audit.map((a: { action: string }) => a.action)).toContain("test.action");

    const [store] = doc.gateway.stores;
    expect(store).toMatchObject({ id: p.store.id, merchant_id: p.id });
    expect(store.orders.map((o: { id: number }) => o.id).sort()).toEqual(
      [p.payinId, p.gatewayOrderId].sort(),
    );
    // The merchant's view: no routing internals.
    expect(store.orders[0]).not.toHaveProperty("selection_log");
    expect(store.orders[0]).not.toHaveProperty("request_hash");
    expect(doc.gateway.trader).toMatchObject({ id: p.trader.id, user_id: p.id });
    expect(doc.gateway.trader.requisites.map((r: { details: string }) => r.details)).toContain(
      "2200 7001 9931 4417",
    );
    // Read one status at a time through the trader's index, merged back into id order.
    expect(doc.gateway.trader.orders.map((o: { id: number }) => o.id)).toEqual([p.payinId, p.gatewayOrderId]);
    // The trader's view: not the store's customer nor the fraud checks.
    expect(doc.gateway.trader.orders[0]).not.toHaveProperty("customer_ip");
    expect(doc.gateway.trader.orders[0]).not.toHaveProperty("fraud_reasons");
    const deposit = doc.gateway.trader.accounts.find((a: { kind: string }) => a.kind === "available");
    expect(deposit.transfers.length).toBeGreaterThan(0);
    expect(doc.gateway.team.map((m: { user_id: number }) => m.user_id)).toEqual([p.member.user.id]);
  });

  test("no credential is in it: password, token and key hashes, sealed secrets", async () => {
    const { text } = await download("/api/v1/me/export", p.token);
    const q = (sql: string, ...args: (string | number)[]) =>
      (t.ctx.sqlite.query(sql).all(...args) as Record<string, string>[]).map((r) => Object.values(r)[0]!);
    const secrets = [
      ...q("SELECT password_hash FROM users WHERE id = ?", p.id),
      ...q("SELECT token_hash FROM refresh_tokens WHERE user_id = ?", p.id),
      ...q("SELECT family_id FROM refresh_tokens WHERE user_id = ?", p.id),
      ...q("SELECT key_hash FROM api_keys WHERE user_id = ?", p.id),
      ...q("SELECT callback_secret_sealed FROM gateway_stores WHERE merchant_id = ?", p.id),
      ...q("SELECT secret_sealed FROM webhook_endpoints"),
      ...q("SELECT storage_key FROM files WHERE owner_id = ?", p.id),
      p.refresh,
      p.apiKey,
    ];
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    for (const s of secrets) {
      expect(s.length).toBeGreaterThan(8);
      expect(text.includes(s)).toBe(false);
    }
    expect(text).not.toContain("password_hash");
    expect(text).not.toContain("key_hash");
    expect(text).not.toContain("token_hash");
    expect(text).not.toContain("callback_secret_sealed");
  });

  test("nothing of other people's own records", async () => {
    const { doc, text } = await download("/api/v1/me/export", p.token);
    expect(text).not.toContain("Otto's own words");
    expect(text).not.toContain(p.other.email!);
    expect(doc.orders_as_expert[0].client_id).toBe(p.other.id);
    // Another user's export holds none of the person's rows.
    const theirs = await download("/api/v1/me/export", p.other.token);
    expect(theirs.res.status).toBe(200);
    expect(theirs.text).not.toContain(p.email);
    expect(theirs.doc.user.id).toBe(p.other.id);
    expect(theirs.doc.gateway).toEqual({ stores: [], trader: null, team: [] });
  });

  test("an expert's orders of every status come merged, oldest first", async () => {
    const e = await t.user("expert");
    const subject = makeSubject(t);
    const made = (["completed", "new", "in_progress", "completed", "cancelled"] as const).map((status, i) =>
      makeOrder(t, {
        clientId: p.other.id,
        expertId: e.id,
        subjectId: subject.id,
        status,
        createdAt: 1000 + (i % 2),
      }),
    );
    const { doc } = await download("/api/v1/me/export", e.token);
    const expected = [...made].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id).map((o) => o.id);
    expect(doc.orders_as_expert.map((o: { id: number }) => o.id)).toEqual(expected);
  });

  test("401 without credentials", async () => {
    expectError(await t.call("GET", "/api/v1/me/export"), 401, "unauthenticated");
  });

  test("a long history is streamed in pieces, every row in order", async () => {
    const u = await t.user("client");
    const now = t.clock.now();
    const total = PAGE_SIZE * 2 + 37;
    const insert = t.ctx.sqlite.query(
      "INSERT INTO notifications (user_id, type, title, message, data, created_at) VALUES (?, 'system', ?, ?, '{}', ?)",
    );
    t.ctx.sqlite.transaction(() => {
      // Runs of equal times across page boundaries: the keyset is (created_at, id).
      for (let i = 0; i < total; i++) insert.run(u.id, `n${i}`, "x".repeat(100), now + Math.floor(i / 400));
    })();
    const { res, doc, chunks } = await download("/api/v1/me/export", u.token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBeNull();
    expect(chunks).toBeGreaterThan(1);
    expect(doc.notifications).toHaveLength(total);
    expect(doc.notifications.map((n: { title: string }) => n.title)).toEqual(
      Array.from({ length: total }, (_, i) => `n${i}`),
    );
  });
});

describe("GET /admin/users/{id}/export", () => {
  test("staff download a user's export; the download is audited", async () => {
    const { res, doc } = await download(`/api/v1/admin/users/${p.id}/export`, admin.token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="souk-user-${p.id}.json"`);
    expect(doc.user.id).toBe(p.id);
    expect(doc.gateway.trader.id).toBe(p.trader.id);
    const row = t.ctx.sqlite
      .query("SELECT actor_id, request_id FROM audit_log WHERE action = 'user.exported' AND target_id = ?")
      .get(String(p.id)) as { actor_id: number; request_id: string };
    expect(row.actor_id).toBe(admin.id);
    expect(row.request_id).toBe(res.headers.get("x-request-id")!);
  });

  test("404 for a missing user, in the error envelope", async () => {
    expectError(
      await t.call("GET", "/api/v1/admin/users/999999/export", { token: admin.token }),
      404,
      "not_found",
    );
  });

  test("refused without the permission: a client, support (users:read only)", async () => {
    const support = await t.user("support");
    expectError(
      await t.call("GET", `/api/v1/admin/users/${p.id}/export`, { token: p.other.token }),
      403,
      "forbidden",
    );
    expectError(
      await t.call("GET", `/api/v1/admin/users/${p.id}/export`, { token: support.token }),
      403,
      "forbidden",
    );
    expectError(await t.call("GET", `/api/v1/admin/users/${p.id}/export`), 401, "unauthenticated");
  });

  test("a grant for one id opens that user only; users:export opens every user", async () => {
    const one = await t.user("support", { grantedPermissions: [`users:${p.id}:export`] });
    expect((await download(`/api/v1/admin/users/${p.id}/export`, one.token)).res.status).toBe(200);
    const refused = await t.call("GET", `/api/v1/admin/users/${p.other.id}/export`, { token: one.token });
    expect(expectError(refused, 403, "forbidden").message).toContain(`users:${p.other.id}:export`);
    const every = await t.user("support", { grantedPermissions: ["users:export"] });
    expect((await download(`/api/v1/admin/users/${p.other.id}/export`, every.token)).res.status).toBe(200);
    const anyId = await t.user("support", { grantedPermissions: ["users:{id}:export"] });
    expect((await download(`/api/v1/admin/users/${p.other.id}/export`, anyId.token)).res.status).toBe(200);
  });
});
