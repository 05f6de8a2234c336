import { beforeEach, describe, expect, test } from "bun:test";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

type U = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let admin: U;
let client: U;

const PKG = { name: "Starter", seconds: 3600, price: 99000, currency: "RUB", validity_days: 30 };

const count = (table: string, where = "1") =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
const auditRows = (action: string) =>
  t.ctx.sqlite.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id").all(action) as any[];
const eventRows = (type: string) =>
  t.ctx.sqlite.query("SELECT * FROM events WHERE type = ? ORDER BY id").all(type) as any[];

const post = (path: string, body: unknown, token = admin.token) =>
  t.call("POST", `/api/v1${path}`, { token, body });
const patch = (path: string, body: unknown, token = admin.token) =>
  t.call("PATCH", `/api/v1${path}`, { token, body });
const del = (path: string, token = admin.token) => t.call("DELETE", `/api/v1${path}`, { token });
const get = (path: string, token?: string) => t.call("GET", `/api/v1${path}`, { token });

async function createPkg(extra: Record<string, unknown> = {}) {
  const r = await post("/admin/packages", { ...PKG, ...extra });
  expect(r.status).toBe(201);
  return r.body;
}

beforeEach(async () => {
  t = makeTestApp();
  admin = await t.user("admin");
  client = await t.user("client");
});

describe("GET /packages (public)", () => {
  test("lists active packages only, in the §6 shape, without auth, also under the seed-002 alias", async () => {
    const a = await createPkg({
      name: "Big",
      seconds: 36000,
      price: 500000,
      sort_order: 2,
      description: "10 h",
    });
    const b = await createPkg({ name: "Small", seconds: 600, price: 19900, sort_order: 1 });
    const c = await createPkg({ name: "Gone" });
    expect((await del(`/admin/packages/${c.id}`)).status).toBe(200);

    for (const path of ["/api/v1/packages", "/api/packages/", "/api/packages", "/api/v1/packages/"]) {
      const r = await t.call("GET", path);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        results: [
          {
            id: b.id,
            name: "Small",
            description: null,
            seconds: 600,
            minutes: 10,
            price: 19900,
            currency: "RUB",
            validity_days: 30,
          },
          {
            id: a.id,
            name: "Big",
            description: "10 h",
            seconds: 36000,
            minutes: 600,
            price: 500000,
            currency: "RUB",
            validity_days: 30,
          },
        ],
      });
    }
  });

  test("an empty catalogue is an empty list; a signed-in caller sees the same", async () => {
    expect((await get("/packages")).body).toEqual({ results: [] });
    await createPkg();
    expect((await get("/packages", client.token)).body.results).toHaveLength(1);
  });

  test("the public list needs no credential: an invalid token is ignored, not required", async () => {
    await createPkg();
    const r = await get("/packages", "not-a-jwt");
    expect(r.status).toBe(200);
    expect(r.body.results).toHaveLength(1);
  });
});

describe("admin packages", () => {
  test("POST creates a package (201), audited, with its event", async () => {
    const r = await post("/admin/packages", { ...PKG, description: "One hour", sort_order: 5 });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(Number),
      name: "Starter",
      description: "One hour",
      seconds: 3600,
      minutes: 60,
      price: 99000,
      currency: "RUB",
      validity_days: 30,
      is_active: true,
      sort_order: 5,
      created_at: new Date(t.clock.now()).toISOString(),
      updated_at: new Date(t.clock.now()).toISOString(),
    });
    const [a] = auditRows("package.created");
    expect(a).toMatchObject({ actor_id: admin.id, target_type: "package", target_id: String(r.body.id) });
    expect(JSON.parse(a.details)).toMatchObject({ name: "Starter", seconds: 3600, price: 99000 });
    expect(a.request_id).toBeTruthy();
    expect(eventRows("package.created")).toHaveLength(1);
  });

  test("bad bodies are 400 with every issue listed and nothing written", async () => {
    const bad: [unknown, string][] = [
      [{ ...PKG, currency: "rub" }, "json.currency"],
      [{ ...PKG, currency: "XYZ" }, "json.currency"],
      [{ ...PKG, seconds: 0 }, "json.seconds"],
      [{ ...PKG, seconds: 1.5 }, "json.seconds"],
      [{ ...PKG, price: -1 }, "json.price"],
      [{ ...PKG, price: "990" }, "json.price"],
      [{ ...PKG, validity_days: 0 }, "json.validity_days"],
      [{ ...PKG, name: "   " }, "json.name"],
      [{ ...PKG, is_active: false }, "json"],
      [{ ...PKG, extra: 1 }, "json"],
      [{ name: "x" }, "json.seconds"],
    ];
    for (const [body, path] of bad) {
      const e = expectError(await post("/admin/packages", body), 400, "validation_failed");
      expect(
        e.details.issues.map((i: { path: string }) => i.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expectError(
      await t.call("POST", "/api/v1/admin/packages", { token: admin.token, raw: "{" }),
      400,
      "invalid_json",
    );
    expect(count("packages")).toBe(0);
    expect(count("audit_log")).toBe(0);
  });

  test("a client is 403, no auth is 401, for every admin package route", async () => {
    const p = await createPkg();
    const calls = [
      () => get("/admin/packages", client.token),
      () => post("/admin/packages", PKG, client.token),
      () => patch(`/admin/packages/${p.id}`, { price: 1 }, client.token),
      () => del(`/admin/packages/${p.id}`, client.token),
    ];
    for (const call of calls) expectError(await call(), 403, "forbidden");
    expectError(await get("/admin/packages"), 401, "unauthenticated");
    expectError(await t.call("POST", "/api/v1/admin/packages", { body: PKG }), 401, "unauthenticated");
    expectError(
      await t.call("PATCH", `/api/v1/admin/packages/${p.id}`, { body: { price: 1 } }),
      401,
      "unauthenticated",
    );
    expectError(await t.call("DELETE", `/api/v1/admin/packages/${p.id}`), 401, "unauthenticated");
    expect(count("packages")).toBe(1);
    expect((await get("/packages")).body.results[0].price).toBe(PKG.price);
  });

  test("staff with packages:read_all may list but not write", async () => {
    const support = await t.user("support", { grantedPermissions: ["packages:read_all"] });
    await createPkg();
    expect((await get("/admin/packages", support.token)).status).toBe(200);
    expectError(await post("/admin/packages", PKG, support.token), 403, "forbidden");
    const writer = await t.user("support", { grantedPermissions: ["packages:write"] });
    expect((await post("/admin/packages", PKG, writer.token)).status).toBe(201);
  });

  test("GET /admin/packages lists inactive ones too, paginated and filterable", async () => {
    const a = await createPkg({ name: "A" });
    const b = await createPkg({ name: "B" });
    await del(`/admin/packages/${a.id}`);
    const all = await get("/admin/packages", admin.token);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ count: 2, next: null, previous: null });
    expect(all.body.results.map((p: any) => [p.id, p.is_active])).toEqual([
      [b.id, true],
      [a.id, false],
    ]);
    const off = await get("/admin/packages?is_active=false", admin.token);
    expect(off.body.results.map((p: any) => p.id)).toEqual([a.id]);
    const p1 = await get("/admin/packages?page_size=1", admin.token);
    expect(p1.body.count).toBe(2);
    expect(p1.body.next).toBe("/api/v1/admin/packages?page_size=1&page=2");
    expectError(await get("/admin/packages?page_size=1000", admin.token), 400, "validation_failed");
  });

  test("PATCH changes only the fields sent; empty, unknown or invalid fields are 400; unknown id 404", async () => {
    const p = await createPkg({ description: "x" });
    t.clock.advance(1000);
    const r = await patch(`/admin/packages/${p.id}`, { price: 120000, description: null });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: p.id,
      name: "Starter",
      price: 120000,
      description: null,
      seconds: 3600,
    });
    expect(r.body.updated_at).not.toBe(r.body.created_at);
    expect(JSON.parse(auditRows("package.updated")[0].details)).toEqual({
      changes: { price: 120000, description: null },
    });
    expect(eventRows("package.updated")).toHaveLength(1);

    expectError(await patch(`/admin/packages/${p.id}`, {}), 400, "validation_failed");
    expectError(await patch(`/admin/packages/${p.id}`, { colour: "red" }), 400, "validation_failed");
    expectError(await patch(`/admin/packages/${p.id}`, { currency: "usd" }), 400, "validation_failed");
    expectError(await patch(`/admin/packages/${p.id}`, { seconds: -5 }), 400, "validation_failed");
    expectError(await patch("/admin/packages/9999", { price: 1 }), 404, "not_found");
    expectError(await patch("/admin/packages/abc", { price: 1 }), 400, "validation_failed");
    expect(auditRows("package.updated")).toHaveLength(1);
  });

  test("DELETE deactivates (200, is_active false, row kept), repeats harmlessly, PATCH turns it back on", async () => {
    const p = await createPkg();
    const r = await del(`/admin/packages/${p.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: p.id, is_active: false });
    expect(count("packages")).toBe(1);
    expect((await get("/packages")).body.results).toEqual([]);
    expect(eventRows("package.deactivated")).toHaveLength(1);

    const again = await del(`/admin/packages/${p.id}`);
    expect(again.status).toBe(200);
    expect(eventRows("package.deactivated")).toHaveLength(1); // nothing changed: no event
    expect(auditRows("package.deactivated")).toHaveLength(2); // the action itself is still audited

    expectError(await del("/admin/packages/424242"), 404, "not_found");
    const on = await patch(`/admin/packages/${p.id}`, { is_active: true });
    expect(on.body.is_active).toBe(true);
    expect((await get("/packages")).body.results).toHaveLength(1);
  });
});

describe("admin promo codes", () => {
  const PROMO = { code: "spring-25", percent_off: 25 };

  test("POST stores the code upper-case with defaults (201), audited, with its event", async () => {
    const r = await post("/admin/promo-codes", PROMO);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(Number),
      code: "SPRING-25",
      percent_off: 25,
      amount_off: null,
      currency: null,
      package_id: null,
      valid_from: null,
      valid_until: null,
      max_redemptions: null,
      per_user_limit: 1,
      redemptions: 0,
      is_active: true,
      created_at: new Date(t.clock.now()).toISOString(),
      updated_at: new Date(t.clock.now()).toISOString(),
    });
    expect(auditRows("promo_code.created")).toHaveLength(1);
    expect(eventRows("promo_code.created")).toHaveLength(1);
  });

  test("an amount_off code with currency, package, window and limits", async () => {
    const p = await createPkg();
    const r = await post("/admin/promo-codes", {
      code: "MINUS100",
      amount_off: 10000,
      currency: "RUB",
      package_id: p.id,
      valid_from: "2026-11-01T00:00:00Z",
      valid_until: "2026-12-01T00:00:00+03:00",
      max_redemptions: 50,
      per_user_limit: 2,
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      amount_off: 10000,
      currency: "RUB",
      percent_off: null,
      package_id: p.id,
      valid_from: "2026-11-01T00:00:00.000Z",
      valid_until: "2026-11-30T21:00:00.000Z",
      max_redemptions: 50,
      per_user_limit: 2,
    });
  });

  test("a code that exists (in any case) is 409 conflict and nothing is written", async () => {
    await post("/admin/promo-codes", PROMO);
    expectError(
      await post("/admin/promo-codes", { code: "SPRING-25", amount_off: 5, currency: "RUB" }),
      409,
      "conflict",
    );
    expect(count("promo_codes")).toBe(1);
    expect(auditRows("promo_code.created")).toHaveLength(1);
  });

  test("invalid promo codes are 400 and write nothing", async () => {
    const p = await createPkg({ currency: "USD" });
    const bad: [unknown, string][] = [
      [{ code: "X1", percent_off: 10 }, "json.code"],
      [{ code: "has space", percent_off: 10 }, "json.code"],
      [{ code: "BOTH", percent_off: 10, amount_off: 100, currency: "RUB" }, "json.percent_off"],
      [{ code: "NEITHER" }, "json.percent_off"],
      [{ code: "ZERO", percent_off: 0 }, "json.percent_off"],
      [{ code: "OVER", percent_off: 101 }, "json.percent_off"],
      [{ code: "NOCUR", amount_off: 100 }, "json.currency"],
      [{ code: "PCTCUR", percent_off: 10, currency: "RUB" }, "json.currency"],
      [
        {
          code: "WINDOW",
          percent_off: 10,
          valid_from: "2026-12-01T00:00:00Z",
          valid_until: "2026-11-01T00:00:00Z",
        },
        "json.valid_until",
      ],
      [
        {
          code: "SAME",
          percent_off: 10,
          valid_from: "2026-12-01T00:00:00Z",
          valid_until: "2026-12-01T00:00:00Z",
        },
        "json.valid_until",
      ],
      [{ code: "BADDATE", percent_off: 10, valid_from: "tomorrow" }, "json.valid_from"],
      [{ code: "NOPKG", percent_off: 10, package_id: 9999 }, "json.package_id"],
      [{ code: "WRONGCUR", amount_off: 100, currency: "RUB", package_id: p.id }, "json.currency"],
      [{ code: "LIMIT", percent_off: 10, per_user_limit: 0 }, "json.per_user_limit"],
      [{ code: "EXTRA", percent_off: 10, is_active: true }, "json"],
    ];
    for (const [body, path] of bad) {
      const e = expectError(await post("/admin/promo-codes", body), 400, "validation_failed");
      expect(
        e.details.issues.map((i: { path: string }) => i.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect(count("promo_codes")).toBe(0);
    expect(auditRows("promo_code.created")).toHaveLength(0);
  });

  test("a client is 403 and no auth is 401 on every promo route", async () => {
    const p = (await post("/admin/promo-codes", PROMO)).body;
    for (const r of [
      await get("/admin/promo-codes", client.token),
      await post("/admin/promo-codes", { code: "MINE", percent_off: 100 }, client.token),
      await patch(`/admin/promo-codes/${p.id}`, { percent_off: 100 }, client.token),
      await del(`/admin/promo-codes/${p.id}`, client.token),
    ]) {
      expectError(r, 403, "forbidden");
    }
    expectError(await get("/admin/promo-codes"), 401, "unauthenticated");
    expectError(await t.call("POST", "/api/v1/admin/promo-codes", { body: PROMO }), 401, "unauthenticated");
    expectError(await t.call("DELETE", `/api/v1/admin/promo-codes/${p.id}`), 401, "unauthenticated");
    expect(count("promo_codes")).toBe(1);
    expect((await get(`/admin/promo-codes`, admin.token)).body.results[0]).toMatchObject({
      percent_off: 25,
      is_active: true,
    });
  });

  test("GET lists newest first with pagination and an is_active filter", async () => {
    const ids: number[] = [];
    for (const code of ["AAA", "BBB", "CCC"])
      ids.push((await post("/admin/promo-codes", { code, percent_off: 5 })).body.id);
    await del(`/admin/promo-codes/${ids[0]}`);
    const r = await get("/admin/promo-codes?page_size=2", admin.token);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(3);
    expect(r.body.results.map((p: any) => p.code)).toEqual(["CCC", "BBB"]);
    expect(r.body.next).toContain("page=2");
    const r2 = await get("/admin/promo-codes?page=2&page_size=2", admin.token);
    expect(r2.body.results.map((p: any) => p.code)).toEqual(["AAA"]);
    expect(r2.body.previous).toContain("page=1");
    const active = await get("/admin/promo-codes?is_active=true", admin.token);
    expect(active.body.results.map((p: any) => p.code)).toEqual(["CCC", "BBB"]);
  });

  test("PATCH validates the merged code: switching discount kinds, windows, 404, 409", async () => {
    const p = (await post("/admin/promo-codes", PROMO)).body;
    await post("/admin/promo-codes", { code: "TAKEN", percent_off: 5 });

    const toAmount = await patch(`/admin/promo-codes/${p.id}`, { amount_off: 500, currency: "RUB" });
    expect(toAmount.status).toBe(200);
    expect(toAmount.body).toMatchObject({ percent_off: null, amount_off: 500, currency: "RUB" });
    const toPct = await patch(`/admin/promo-codes/${p.id}`, { percent_off: 30 });
    expect(toPct.body).toMatchObject({ percent_off: 30, amount_off: null, currency: null });

    expectError(await patch(`/admin/promo-codes/${p.id}`, { amount_off: 100 }), 400, "validation_failed");
    expectError(await patch(`/admin/promo-codes/${p.id}`, { percent_off: null }), 400, "validation_failed");
    await patch(`/admin/promo-codes/${p.id}`, { valid_from: "2026-12-01T00:00:00Z" });
    expectError(
      await patch(`/admin/promo-codes/${p.id}`, { valid_until: "2026-11-30T00:00:00Z" }),
      400,
      "validation_failed",
    );
    expectError(await patch(`/admin/promo-codes/${p.id}`, { code: "taken" }), 409, "conflict");
    expectError(await patch(`/admin/promo-codes/${p.id}`, {}), 400, "validation_failed");
    expectError(await patch(`/admin/promo-codes/${p.id}`, { redemptions: 0 }), 400, "validation_failed");
    expectError(await patch("/admin/promo-codes/777", { percent_off: 5 }), 404, "not_found");

    const renamed = await patch(`/admin/promo-codes/${p.id}`, { code: "spring-30", max_redemptions: 10 });
    expect(renamed.body).toMatchObject({ code: "SPRING-30", max_redemptions: 10, percent_off: 30 });
    const cleared = await patch(`/admin/promo-codes/${p.id}`, { valid_from: null, max_redemptions: null });
    expect(cleared.body).toMatchObject({ valid_from: null, max_redemptions: null });
    expect(auditRows("promo_code.updated")).toHaveLength(5);
    expect(eventRows("promo_code.updated")).toHaveLength(5);
  });

  test("DELETE deactivates (200, row kept); the code then cannot be applied; unknown id 404", async () => {
    const p = (await post("/admin/promo-codes", PROMO)).body;
    const r = await del(`/admin/promo-codes/${p.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: p.id, code: "SPRING-25", is_active: false });
    expect(count("promo_codes")).toBe(1);
    expect(eventRows("promo_code.deactivated")).toHaveLength(1);
    expect(auditRows("promo_code.deactivated")).toHaveLength(1);
    expectError(await del("/admin/promo-codes/31337"), 404, "not_found");

    const { quotePromo } = await import("../../src/modules/billing/promo");
    expect(() =>
      t.ctx.db.transaction((tx) =>
        quotePromo(tx, {
          code: "spring-25",
          userId: client.id,
          packageId: null,
          amount: 1000,
          currency: "RUB",
          now: t.clock.now(),
        }),
      ),
    ).toThrow("promo code cannot be applied");
    const on = await patch(`/admin/promo-codes/${p.id}`, { is_active: true });
    expect(on.body.is_active).toBe(true);
    const q = t.ctx.db.transaction((tx) =>
      quotePromo(tx, {
        code: "spring-25",
        userId: client.id,
        packageId: null,
        amount: 1000,
        currency: "RUB",
        now: t.clock.now(),
      }),
    );
    expect(q.discount).toBe(250);
  });
});
