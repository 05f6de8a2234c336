import { beforeEach, describe, expect, test } from "bun:test";
import { CATALOG_KINDS, findActiveCatalogEntry } from "../../src/modules/marketplace/catalog/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

type U = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let admin: U;
let client: U;
let expert: U;

const TABLES = { subjects: "subjects", "work-types": "work_types", complexities: "complexities" } as const;
const ENTITY = { subjects: "subject", "work-types": "work_type", complexities: "complexity" } as const;

const count = (table: string, where = "1") =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
const auditRows = (action: string) =>
  t.ctx.sqlite.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id").all(action) as any[];
const eventRows = (type: string) =>
  t.ctx.sqlite.query("SELECT * FROM events WHERE type = ? ORDER BY id").all(type) as any[];

const V1 = "/api/v1";
const get = (path: string, token?: string) => t.call("GET", `${V1}${path}`, { token });
const post = (path: string, body: unknown, token = admin.token) =>
  t.call("POST", `${V1}${path}`, { token, body });
const patch = (path: string, body: unknown, token = admin.token) =>
  t.call("PATCH", `${V1}${path}`, { token, body });
const del = (path: string, token = admin.token) => t.call("DELETE", `${V1}${path}`, { token });

beforeEach(async () => {
  t = makeTestApp();
  admin = await t.user("admin");
  client = await t.user("client");
  expert = await t.user("expert");
});

describe.each(CATALOG_KINDS)("catalog %s", (kind) => {
  const pub = `/catalog/${kind}`;
  const adm = `/admin/catalog/${kind}`;
  const table = TABLES[kind];
  const entity = ENTITY[kind];

  async function create(body: Record<string, unknown>) {
    const r = await post(adm, body);
    expect(r.status).toBe(201);
    return r.body;
  }

  test("public list: active entries only, by sort_order then name, no auth needed, also under /api", async () => {
    const b = await create({ name: "Beta", sort_order: 1 });
    const a = await create({ name: "Alpha", sort_order: 1, description: "first" });
    const z = await create({ name: "Zeta", sort_order: 0 });
    const gone = await create({ name: "Gone", sort_order: -5 });
    expect((await del(`${adm}/${gone.id}`)).status).toBe(200);

    const expected = {
      results: [
        { id: z.id, name: "Zeta", description: null, sort_order: 0 },
        { id: a.id, name: "Alpha", description: "first", sort_order: 1 },
        { id: b.id, name: "Beta", description: null, sort_order: 1 },
      ],
    };
    for (const path of [`${V1}${pub}`, `/api${pub}`, `/api${pub}/`]) {
      const r = await t.call("GET", path);
      expect(r.status).toBe(200);
      expect(r.body).toEqual(expected);
    }
    expect((await get(pub, client.token)).body).toEqual(expected);
  });

  test("an empty catalog is an empty list", async () => {
    expect((await get(pub)).body).toEqual({ results: [] });
  });

  test("POST creates (201), trimmed, audited, with its event", async () => {
    const r = await post(adm, { name: "  Algebra ", description: "x", sort_order: 3 });
    expect(r.status).toBe(201);
    const at = new Date(t.clock.now()).toISOString();
    expect(r.body).toEqual({
      id: expect.any(Number),
      name: "Algebra",
      description: "x",
      sort_order: 3,
      is_active: true,
      created_at: at,
      updated_at: at,
    });
    const [a] = auditRows(`${entity}.created`);
    expect(a).toMatchObject({ actor_id: admin.id, target_type: entity, target_id: String(r.body.id) });
    expect(JSON.parse(a.details)).toEqual({ name: "Algebra", description: "x", sort_order: 3 });
    const [e] = eventRows(`${entity}.created`);
    expect(e).toMatchObject({ actor_id: admin.id, subject_type: entity, subject_id: String(r.body.id) });
  });

  test("a taken name is 409 conflict and nothing is written", async () => {
    await create({ name: "Taken" });
    const r = await post(adm, { name: "Taken" });
    expect(expectError(r, 409, "conflict").details).toMatchObject({ name: "Taken" });
    // Whitespace is trimmed before the check.
    expectError(await post(adm, { name: " Taken  " }), 409, "conflict");
    expect(count(table)).toBe(1);
    expect(eventRows(`${entity}.created`)).toHaveLength(1);
    expect(auditRows(`${entity}.created`)).toHaveLength(1);
  });

  test("a deactivated entry still holds its name", async () => {
    const a = await create({ name: "Old" });
    await del(`${adm}/${a.id}`);
    expectError(await post(adm, { name: "Old" }), 409, "conflict");
  });

  test("bad bodies are 400 validation_failed and nothing is written", async () => {
    const bad: unknown[] = [
      {},
      { name: "" },
      { name: "   " },
      { name: "x".repeat(201) },
      { name: 5 },
      { name: "A", sort_order: 1.5 },
      { name: "A", sort_order: "1" },
      { name: "A", description: "x".repeat(2001) },
      { name: "A", is_active: false },
      { name: "A", extra: 1 },
      [],
      null,
    ];
    for (const body of bad) {
      const r = await post(adm, body);
      const err = expectError(r, 400, "validation_failed");
      expect(err.details.issues.length).toBeGreaterThan(0);
    }
    expectError(await t.call("POST", `${V1}${adm}`, { token: admin.token, raw: "{" }), 400, "invalid_json");
    expect(count(table)).toBe(0);
    expect(count("audit_log")).toBe(0);
  });

  test("PATCH changes the given fields, audited, with its event", async () => {
    const a = await create({ name: "Geo", description: "d", sort_order: 1 });
    t.clock.advance(60_000);
    const r = await patch(`${adm}/${a.id}`, { name: "Geometry", description: null });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: a.id,
      name: "Geometry",
      description: null,
      sort_order: 1,
      is_active: true,
      created_at: a.created_at,
      updated_at: new Date(t.clock.now()).toISOString(),
    });
    const [au] = auditRows(`${entity}.updated`);
    expect(JSON.parse(au.details)).toEqual({ changes: { name: "Geometry", description: null } });
    expect(eventRows(`${entity}.updated`)).toHaveLength(1);
    // Keeping its own name is not a clash.
    expect((await patch(`${adm}/${a.id}`, { name: "Geometry", sort_order: 2 })).status).toBe(200);
  });

  test("PATCH: a name taken by another entry is 409, unknown id 404, bad bodies 400; nothing changes", async () => {
    const a = await create({ name: "One" });
    await create({ name: "Two" });
    expectError(await patch(`${adm}/${a.id}`, { name: "Two" }), 409, "conflict");
    expectError(await patch(`${adm}/999`, { name: "Three" }), 404, "not_found");
    for (const body of [{}, { name: "" }, { unknown: 1 }, { is_active: "yes" }, { sort_order: null }]) {
      expectError(await patch(`${adm}/${a.id}`, body), 400, "validation_failed");
    }
    expectError(await patch(`${adm}/abc`, { name: "X" }), 400, "validation_failed");
    expectError(await patch(`${adm}/0`, { name: "X" }), 400, "validation_failed");
    expect(count(table, "name = 'One'")).toBe(1);
    expect(eventRows(`${entity}.updated`)).toHaveLength(0);
  });

  test("DELETE deactivates (row kept); again changes nothing; PATCH is_active brings it back", async () => {
    const a = await create({ name: "Temp" });
    const r = await del(`${adm}/${a.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: a.id, name: "Temp", is_active: false });
    expect(count(table)).toBe(1);
    expect((await get(pub)).body.results).toEqual([]);
    expect(eventRows(`${entity}.deactivated`)).toHaveLength(1);

    const again = await del(`${adm}/${a.id}`);
    expect(again.status).toBe(200);
    expect(again.body.is_active).toBe(false);
    expect(eventRows(`${entity}.deactivated`)).toHaveLength(1);
    expect(auditRows(`${entity}.deactivated`).map((x) => JSON.parse(x.details).was_active)).toEqual([
      true,
      false,
    ]);

    expect((await patch(`${adm}/${a.id}`, { is_active: true })).body.is_active).toBe(true);
    expect((await get(pub)).body.results.map((x: any) => x.id)).toEqual([a.id]);
    expectError(await del(`${adm}/999`), 404, "not_found");
  });

  test("admin list: every entry with is_active, active first, filter and pagination", async () => {
    const a = await create({ name: "A", sort_order: 2 });
    const b = await create({ name: "B", sort_order: 1 });
    const c = await create({ name: "C" });
    await del(`${adm}/${c.id}`);

    const r = await get(adm, admin.token);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ count: 3, next: null, previous: null });
    expect(r.body.results.map((x: any) => [x.name, x.is_active])).toEqual([
      ["B", true],
      ["A", true],
      ["C", false],
    ]);
    expect(r.body.results[0]).toEqual({
      id: b.id,
      name: "B",
      description: null,
      sort_order: 1,
      is_active: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });

    const inactive = await get(`${adm}?is_active=false`, admin.token);
    expect(inactive.body.results.map((x: any) => x.id)).toEqual([c.id]);
    const active = await get(`${adm}?is_active=true`, admin.token);
    expect(active.body.results.map((x: any) => x.id)).toEqual([b.id, a.id]);

    const p1 = await get(`${adm}?page_size=2`, admin.token);
    expect(p1.body.results).toHaveLength(2);
    expect(p1.body.next).toBe(`${V1}${adm}?page_size=2&page=2`);
    const p2 = await t.call("GET", p1.body.next, { token: admin.token });
    expect(p2.body.results.map((x: any) => x.id)).toEqual([c.id]);

    expectError(await get(`${adm}?is_active=maybe`, admin.token), 400, "validation_failed");
  });

  test("admin routes: 401 without a token, 403 for clients and experts; nothing written", async () => {
    const a = await create({ name: "Kept" });
    for (const token of [undefined, client.token, expert.token]) {
      const status = token ? 403 : 401;
      const code = token ? "forbidden" : "unauthenticated";
      expectError(await t.call("GET", `${V1}${adm}`, { token }), status, code);
      expectError(await t.call("POST", `${V1}${adm}`, { token, body: { name: "New" } }), status, code);
      expectError(
        await t.call("PATCH", `${V1}${adm}/${a.id}`, { token, body: { name: "Changed" } }),
        status,
        code,
      );
      expectError(await t.call("DELETE", `${V1}${adm}/${a.id}`, { token }), status, code);
    }
    expectError(await get(adm, "garbage"), 401, "unauthenticated");
    expect(count(table)).toBe(1);
    expect(count(table, "name = 'Kept' AND is_active = 1")).toBe(1);
  });

  test("staff granted catalog:write may edit the catalog", async () => {
    const editor = await t.user("support", { grantedPermissions: ["catalog:write"] });
    expect((await post(adm, { name: "By support" }, editor.token)).status).toBe(201);
  });
});

describe("catalogs are separate", () => {
  test("the same name may exist in each catalog; an entry of one is unknown to another", async () => {
    const ids: Record<string, number> = {};
    for (const kind of CATALOG_KINDS) {
      const r = await post(`/admin/catalog/${kind}`, { name: "Basic" });
      expect(r.status).toBe(201);
      ids[kind] = r.body.id;
    }
    const extra = await post("/admin/catalog/subjects", { name: "Only subject" });
    expectError(await patch(`/admin/catalog/complexities/${extra.body.id}`, { name: "X" }), 404, "not_found");
    for (const kind of CATALOG_KINDS) {
      expect((await get(`/catalog/${kind}`)).body.results.map((x: any) => x.name)).toContain("Basic");
    }
  });

  test("findActiveCatalogEntry: the row when active, undefined when inactive or unknown", async () => {
    const a = (await post("/admin/catalog/subjects", { name: "Live" })).body;
    const b = (await post("/admin/catalog/subjects", { name: "Dead" })).body;
    await del(`/admin/catalog/subjects/${b.id}`);
    expect(findActiveCatalogEntry(t.ctx.db, "subjects", a.id)?.name).toBe("Live");
    expect(findActiveCatalogEntry(t.ctx.db, "subjects", b.id)).toBeUndefined();
    expect(findActiveCatalogEntry(t.ctx.db, "work-types", a.id)).toBeUndefined();
    expect(findActiveCatalogEntry(t.ctx.db, "subjects", 999)).toBeUndefined();
  });

  test("the OpenAPI document lists every catalog route", async () => {
    const doc = (await t.call("GET", "/openapi.json")).body;
    for (const kind of CATALOG_KINDS) {
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          `/api/v1/catalog/${kind}`,
          `/api/v1/admin/catalog/${kind}`,
          `/api/v1/admin/catalog/${kind}/{id}`,
        ]),
      );
    }
  });
});
