import { beforeEach, describe, expect, test } from "bun:test";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { count, newOrder, rulesWorld, saveRule } from "../helpers/rules";

let t: TestApp;
let w: Awaited<ReturnType<typeof rulesWorld>>;

const ATTENTION = "/api/v1/admin/attention";

beforeEach(async () => {
  t = makeTestApp();
  w = await rulesWorld(t);
  await saveRule(t, w.admin, {
    actions: [
      { type: "request_admin_attention", params: { reason: "Check this order" } },
      { type: "assign_tag", params: { tag: "fresh" } },
      { type: "assign_flag", params: { flag: "orders_a_lot" } },
    ],
  });
});

describe("attention items", () => {
  test("listed newest first, by status; resolving is audited, emits attention.resolved and keeps the note", async () => {
    const a = await newOrder(t, w);
    const b = await newOrder(t, w);
    const open = await t.call("GET", `${ATTENTION}?status=open`, { token: w.admin.token });
    expect(open.body.count).toBe(2);
    expect(open.body.results.map((i: { subject_id: string }) => i.subject_id)).toEqual([
      String(b.id),
      String(a.id),
    ]);
    const id = open.body.results[1].id;
    const r = await t.call("POST", `${ATTENTION}/${id}/resolve`, {
      token: w.admin.token,
      body: { note: "Talked to the client" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: "resolved",
      resolved_by: w.admin.id,
      resolved_at: new Date(t.clock.now()).toISOString(),
      note: "Talked to the client",
    });
    expect((await t.call("GET", `${ATTENTION}?status=open`, { token: w.admin.token })).body.count).toBe(1);
    expect((await t.call("GET", `${ATTENTION}?status=resolved`, { token: w.admin.token })).body.count).toBe(
      1,
    );
    expect((await t.call("GET", ATTENTION, { token: w.admin.token })).body.count).toBe(2);
    expect(count(t, "audit_log", "action = 'attention.resolved' AND actor_id = ?", w.admin.id)).toBe(1);
    expect(count(t, "events", "type = 'attention.resolved' AND subject_id = ?", String(id))).toBe(1);
  });

  test("resolving without a body or with an empty one works; twice is 409; unknown is 404", async () => {
    await newOrder(t, w);
    await newOrder(t, w);
    const [x, y] = (await t.call("GET", ATTENTION, { token: w.admin.token })).body.results;
    expect(
      (await t.call("POST", `${ATTENTION}/${x.id}/resolve`, { token: w.admin.token })).body.note,
    ).toBeNull();
    expect(
      (await t.call("POST", `${ATTENTION}/${y.id}/resolve`, { token: w.admin.token, body: {} })).status,
    ).toBe(200);
    expectError(
      await t.call("POST", `${ATTENTION}/${x.id}/resolve`, { token: w.admin.token }),
      409,
      "conflict",
    );
    expectError(await t.call("POST", `${ATTENTION}/999/resolve`, { token: w.admin.token }), 404, "not_found");
    expect(count(t, "audit_log", "action = 'attention.resolved'")).toBe(2);
  });

  test("bad bodies and queries change nothing", async () => {
    await newOrder(t, w);
    const id = (await t.call("GET", ATTENTION, { token: w.admin.token })).body.results[0].id;
    for (const body of [
      { note: 5 },
      { note: "" },
      { note: "x".repeat(2001) },
      { note: "ok", extra: 1 },
      [],
    ]) {
      expectError(
        await t.call("POST", `${ATTENTION}/${id}/resolve`, { token: w.admin.token, body }),
        400,
        "validation_failed",
      );
    }
    expectError(
      await t.call("POST", `${ATTENTION}/${id}/resolve`, { token: w.admin.token, raw: "{x" }),
      400,
      "invalid_json",
    );
    expectError(
      await t.call("POST", `${ATTENTION}/abc/resolve`, { token: w.admin.token }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("GET", `${ATTENTION}?status=closed`, { token: w.admin.token }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("GET", `${ATTENTION}?sort=id`, { token: w.admin.token }),
      400,
      "validation_failed",
    );
    expect(count(t, "attention_items", "status = 'open'")).toBe(1);
  });

  test("no auth 401; client, expert and arbitrator 403; support works the queue; staff granted attention permissions may", async () => {
    await newOrder(t, w);
    const id = (await t.call("GET", ATTENTION, { token: w.admin.token })).body.results[0].id;
    const arbitrator = await t.user("arbitrator");
    for (const [m, p] of [
      ["GET", ATTENTION],
      ["POST", `${ATTENTION}/${id}/resolve`],
    ] as const) {
      expectError(await t.call(m, p), 401, "unauthenticated");
      for (const u of [w.client, w.expert, arbitrator])
        expectError(await t.call(m, p, { token: u.token }), 403, "forbidden");
    }
    expect((await t.call("GET", ATTENTION, { token: (await t.user("support")).token })).status).toBe(200);
    const reader = await t.user("arbitrator", { grantedPermissions: ["attention:read"] });
    expect((await t.call("GET", ATTENTION, { token: reader.token })).status).toBe(200);
    expectError(
      await t.call("POST", `${ATTENTION}/${id}/resolve`, { token: reader.token }),
      403,
      "forbidden",
    );
    const resolver = await t.user("arbitrator", { grantedPermissions: ["attention:write"] });
    expect((await t.call("POST", `${ATTENTION}/${id}/resolve`, { token: resolver.token })).status).toBe(200);
  });
});

describe("tags and user flags", () => {
  test("GET /admin/tags filters by subject, kind and tag", async () => {
    const a = await newOrder(t, w);
    await newOrder(t, w);
    const all = await t.call("GET", "/api/v1/admin/tags", { token: w.admin.token });
    // Two order tags and one flag on the client (the second order flagged nothing new).
    expect(all.body.count).toBe(3);
    const mine = await t.call("GET", `/api/v1/admin/tags?subject_type=order&subject_id=${a.id}`, {
      token: w.admin.token,
    });
    expect(mine.body.results.map((x: { tag: string }) => x.tag)).toEqual(["fresh"]);
    const flags = await t.call("GET", "/api/v1/admin/tags?kind=flag", { token: w.admin.token });
    expect(flags.body.results).toEqual([
      expect.objectContaining({
        kind: "flag",
        subject_type: "user",
        subject_id: String(w.client.id),
        tag: "orders_a_lot",
      }),
    ]);
    expect(
      (await t.call("GET", "/api/v1/admin/tags?tag=fresh&page_size=1", { token: w.admin.token })).body.next,
    ).toContain("page=2");
    for (const q of ["kind=label", "page=0", "tag=", "owner=1"]) {
      expectError(
        await t.call("GET", `/api/v1/admin/tags?${q}`, { token: w.admin.token }),
        400,
        "validation_failed",
      );
    }
  });

  test("GET /admin/users/{id}/flags: the user's flags for staff with users:read; 404 for no such user", async () => {
    await newOrder(t, w);
    const support = await t.user("support");
    const r = await t.call("GET", `/api/v1/admin/users/${w.client.id}/flags`, { token: support.token });
    expect(r.status).toBe(200);
    expect(r.body.results.map((f: { tag: string }) => f.tag)).toEqual(["orders_a_lot"]);
    expect(
      (await t.call("GET", `/api/v1/admin/users/${w.expert.id}/flags`, { token: w.admin.token })).body
        .results,
    ).toEqual([]);
    expectError(
      await t.call("GET", "/api/v1/admin/users/999999/flags", { token: w.admin.token }),
      404,
      "not_found",
    );
    expectError(
      await t.call("GET", "/api/v1/admin/users/x/flags", { token: w.admin.token }),
      400,
      "validation_failed",
    );
  });

  test("no auth 401; end users 403 (their own flags included)", async () => {
    await newOrder(t, w);
    for (const p of ["/api/v1/admin/tags", `/api/v1/admin/users/${w.client.id}/flags`]) {
      expectError(await t.call("GET", p), 401, "unauthenticated");
      expectError(await t.call("GET", p, { token: w.client.token }), 403, "forbidden");
      expectError(await t.call("GET", p, { token: w.expert.token }), 403, "forbidden");
    }
    const support = await t.user("support");
    expect((await t.call("GET", "/api/v1/admin/tags", { token: support.token })).status).toBe(200);
    const arbitrator = await t.user("arbitrator");
    expectError(await t.call("GET", "/api/v1/admin/tags", { token: arbitrator.token }), 403, "forbidden");
  });
});

describe("DELETE /admin/tags/{id}", () => {
  test("an admin takes a flag off a user (audited); it is gone from the lists; again is 404", async () => {
    await newOrder(t, w);
    const flags = await t.call("GET", `/api/v1/admin/users/${w.client.id}/flags`, { token: w.admin.token });
    const id = flags.body.results[0].id as number;
    const r = await t.call("DELETE", `/api/v1/admin/tags/${id}`, { token: w.admin.token });
    expect(r.status).toBe(204);
    const after = await t.call("GET", `/api/v1/admin/users/${w.client.id}/flags`, { token: w.admin.token });
    expect(after.body.results).toEqual([]);
    expect(count(t, "audit_log", "action = 'tag.removed'")).toBe(1);
    expect(count(t, "events", "type = 'tag.removed'")).toBe(1);
    expectError(
      await t.call("DELETE", `/api/v1/admin/tags/${id}`, { token: w.admin.token }),
      404,
      "not_found",
    );
  });

  test("no auth 401; support (reads tags) and end users 403; a bad id 400; nothing removed", async () => {
    await newOrder(t, w);
    const before = count(t, "subject_tags");
    const id = (await t.call("GET", "/api/v1/admin/tags", { token: w.admin.token })).body.results[0].id;
    expectError(await t.call("DELETE", `/api/v1/admin/tags/${id}`), 401, "unauthenticated");
    for (const u of [w.client, w.expert, await t.user("support")]) {
      expectError(await t.call("DELETE", `/api/v1/admin/tags/${id}`, { token: u.token }), 403, "forbidden");
    }
    expectError(
      await t.call("DELETE", "/api/v1/admin/tags/abc", { token: w.admin.token }),
      400,
      "validation_failed",
    );
    expect(count(t, "subject_tags")).toBe(before);
  });
});
