import { beforeAll, describe, expect, test } from "bun:test";
import type { z } from "zod";
import { deriveOperationId, type Operation, operationsOf } from "../../src/http/openapi-doc";
import {
  ACT_AS_TARGET_ROLES,
  CREDENTIAL_PERMISSIONS,
  hasPermission,
  permissionsFor,
} from "../../src/modules/accounts/permissions";
import { SETTINGS } from "../../src/modules/platform/settings/registry";
import { makeTestApp, type TestApp } from "../helpers/app";

type Doc = {
  info: { description: string };
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { example?: unknown }>;
    parameters: Record<string, { name: string; in: string; schema: { pattern?: string } }>;
    securitySchemes: Record<string, { description: string }>;
  };
};

let t: TestApp;
let doc: Doc;
let ops: ReturnType<typeof operationsOf>;

beforeAll(async () => {
  t = await makeTestApp();
  const res = await t.call("GET", "/openapi.json");
  expect(res.status).toBe(200);
  doc = res.body;
  ops = operationsOf(doc);
});

const paramNames = (op: Operation) =>
  (op.parameters ?? []).map((p) => {
    const r = (p as { $ref?: string }).$ref;
    return r ? doc.components.parameters[r.split("/").pop()!]!.name : (p as { name: string }).name;
  });
const find = (method: string, path: string) => ops.find((o) => o.method === method && o.path === path)!.op;

describe("OpenAPI document", () => {
  test("every operation has a unique camelCase operationId, derived from method and path", () => {
    expect(ops.length).toBeGreaterThan(100);
    const ids = ops.map(({ op }) => op.operationId);
    for (const id of ids) expect(id).toMatch(/^[a-z]+[A-Z][A-Za-z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Stable: the same route keeps its id from one build to the next.
    expect(find("post", "/api/v1/auth/login").operationId).toBe("postAuthLogin");
    expect(find("post", "/api/v1/orders/{id}/set-price").operationId).toBe("postOrdersByIdSetPrice");
    expect(find("get", "/api/v1/users/me/balance").operationId).toBe("getUsersMeBalance");
    expect(deriveOperationId("delete", "/api/v1/me/api-keys/{id}")).toBe("deleteMeApiKeysById");
  });

  test("compatibility paths (/api, /appointments, /admin/masters) add no operations of their own", () => {
    for (const { path } of ops) expect(path.startsWith("/api/v1/")).toBe(true);
    expect(ops.some(({ path }) => /appointments|masters/.test(path))).toBe(false);
  });

  test("every tag used by an operation is listed at the top with a description", () => {
    const described = new Map(doc.tags.map((tag) => [tag.name, tag.description]));
    const used = new Set(ops.flatMap(({ op }) => op.tags ?? []));
    expect(used.size).toBeGreaterThan(10);
    for (const tag of used) expect(described.get(tag)?.length ?? 0).toBeGreaterThan(20);
  });

  test("every POST documents the optional Idempotency-Key header (1-255 visible ASCII)", () => {
    const posts = ops.filter((o) => o.method === "post");
    expect(posts.length).toBeGreaterThan(50);
    for (const { op } of posts) expect(paramNames(op)).toContain("Idempotency-Key");
    for (const { method, op } of ops) {
      if (method !== "post") expect(paramNames(op)).not.toContain("Idempotency-Key");
    }
    const p = doc.components.parameters.IdempotencyKey!;
    expect(p.in).toBe("header");
    expect(new RegExp(p.schema.pattern!).test("order-42")).toBe(true);
    expect(new RegExp(p.schema.pattern!).test("has space")).toBe(false);
  });

  test("X-Act-As-Telegram-Id is documented exactly on the routes a bot:act_as key may call as a user", () => {
    const asUser = ACT_AS_TARGET_ROLES.map((r) =>
      permissionsFor(r).filter((p) => !CREDENTIAL_PERMISSIONS.includes(p)),
    );
    let documented = 0;
    for (const { op } of ops) {
      const perm = op["x-permission"];
      const expected = !!op.security?.length && !!perm && asUser.some((ps) => hasPermission(ps, perm));
      expect(paramNames(op).includes("X-Act-As-Telegram-Id")).toBe(expected);
      if (expected) documented++;
    }
    expect(documented).toBeGreaterThan(30);
    expect(paramNames(find("get", "/api/v1/me"))).toContain("X-Act-As-Telegram-Id");
    expect(paramNames(find("post", "/api/v1/usage/record"))).toContain("X-Act-As-Telegram-Id");
    // Key management and staff routes are never reachable by acting.
    expect(paramNames(find("post", "/api/v1/me/api-keys"))).not.toContain("X-Act-As-Telegram-Id");
    expect(paramNames(find("get", "/api/v1/admin/users"))).not.toContain("X-Act-As-Telegram-Id");
  });

  test("the act-as documentation matches what the server does (every GET without path params)", async () => {
    const partner = await t.user("partner");
    const created = await t.call("POST", "/api/v1/me/api-keys", {
      token: partner.token,
      body: { name: "bot", scopes: ["bot:act_as"] },
    });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    await t.user("client", { telegramId: 7_700_001 });
    await t.user("expert", { telegramId: 7_700_002 });
    const clientPerms = permissionsFor("client");
    for (const { method, path, op } of ops) {
      if (method !== "get" || path.includes("{") || !op.security?.length) continue;
      const documented = paramNames(op).includes("X-Act-As-Telegram-Id");
      // Act as a user whose role holds the permission, so a refusal can only come from act-as rules.
      const perm = op["x-permission"]!;
      const tg = documented && !hasPermission(clientPerms, perm) ? "7700002" : "7700001";
      const res = await t.call("GET", path, { token: key, headers: { "x-act-as-telegram-id": tg } });
      if (documented) expect([path, res.status]).not.toEqual([path, 403]);
      else expect([path, res.status]).toEqual([path, 403]);
      expect(res.status).not.toBe(401);
    }
  });

  test("every response documents the rate-limit headers; 429 adds Retry-After; they are really sent", async () => {
    for (const { op } of ops) {
      for (const [status, res] of Object.entries(op.responses ?? {})) {
        const names = Object.keys(res.headers ?? {});
        for (const h of ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"])
          expect(names).toContain(h);
        if (status === "429") expect(names).toContain("Retry-After");
      }
    }
    const res = await t.call("GET", "/api/v1/packages");
    for (const h of ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"]) {
      expect(res.headers.get(h)).toMatch(/^\d+$/);
    }
  });

  test("no text mentions internal design notes", () => {
    expect(JSON.stringify(doc)).not.toMatch(/seed 00\d|DESIGN\.md|§/i);
  });

  test("the API-key scopes come from the routes: the bearer scheme and POST /me/api-keys list each", () => {
    const bearer = doc.components.securitySchemes.bearerAuth!.description;
    const keysOp = find("post", "/api/v1/me/api-keys").description ?? "";
    const perms = new Set(ops.map(({ op }) => op["x-permission"]).filter(Boolean));
    expect(perms.size).toBeGreaterThan(30);
    for (const p of perms) {
      expect(bearer).toContain(`| \`${p}\` |`);
      expect(keysOp).toContain(`| \`${p}\` |`);
    }
    // Every secured route names the permission (scope) it needs.
    for (const { op } of ops) if (op.security?.length) expect(op["x-permission"]).toBeString();
  });

  test("the settings routes list every setting with its type and default, and PUT's example names them all", () => {
    for (const method of ["get", "put", "patch"]) {
      const text = find(method, "/api/v1/admin/system/settings").description ?? "";
      for (const [key, def] of Object.entries(SETTINGS)) {
        expect(text).toContain(`| \`${key}\` |`);
        expect(text).toContain(`\`${JSON.stringify(def.default)}\``);
      }
    }
    const put = find("put", "/api/v1/admin/system/settings").requestBody?.content?.["application/json"];
    expect(Object.keys(put?.example as object).sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  const exampleOf = (op: Operation) => {
    const media = op.requestBody?.content?.["application/json"];
    if (!media) return undefined;
    if (media.example !== undefined) return media.example;
    const s = media.schema as { $ref?: string; example?: unknown } | undefined;
    return s?.$ref ? doc.components.schemas[s.$ref.split("/").pop()!]?.example : s?.example;
  };

  test("the main flows' JSON request bodies carry examples", () => {
    const main = [
      "postAuthRegister",
      "postAuthLogin",
      "postAuthRefresh",
      "postMeApiKeys",
      "postBotUsers",
      "postPurchases",
      "postWalletTopups",
      "postUsageRecord",
      "postUsageBatch",
      "postUsageHolds",
      "postOrders",
      "postOrdersByIdSetPrice",
      "postOrdersByIdResolve",
      "postAdminPackages",
      "patchAdminPackagesById",
      "putAdminSystemSettings",
      "patchAdminSystemSettings",
    ];
    const byId = new Map(ops.map(({ op }) => [op.operationId, op]));
    for (const id of main) expect([id, exampleOf(byId.get(id)!)]).not.toEqual([id, undefined]);
  });

  test("every request example parses with the route's own body schema", () => {
    type RouteDef = {
      type: string;
      route?: {
        method: string;
        path: string;
        request?: { body?: { content?: Record<string, { schema?: z.ZodType }> } };
      };
    };
    const schemas = new Map<string, z.ZodType>();
    for (const d of t.app.openAPIRegistry.definitions as RouteDef[]) {
      const schema = d.route?.request?.body?.content?.["application/json"]?.schema;
      if (d.type === "route" && schema) schemas.set(`${d.route!.method} ${d.route!.path}`, schema);
    }
    let checked = 0;
    for (const { method, path, op } of ops) {
      const example = exampleOf(op);
      if (example === undefined) continue;
      const schema = schemas.get(`${method} ${path}`);
      expect([op.operationId, !!schema]).toEqual([op.operationId, true]);
      const parsed = schema!.safeParse(example);
      expect([op.operationId, parsed.success ? [] : parsed.error.issues]).toEqual([op.operationId, []]);
      checked++;
    }
    expect(checked).toBeGreaterThan(25);
  });

  test("the register example, sent as is, signs a user up", async () => {
    const res = await t.call("POST", "/api/v1/auth/register", {
      body: exampleOf(find("post", "/api/v1/auth/register")),
    });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe("ada@example.com");
  });
});

describe("API reference page", () => {
  test("/docs loads Scalar from souk itself, with no external URL", async () => {
    const res = await t.app.request("/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<script src="\/docs\/scalar\.js\?v=[\w.-]+"><\/script>/);
    expect(html).toContain('"url": "/openapi.json"');
    expect(html).not.toMatch(/https?:\/\//);
  });

  test("the bundle answers 200 with JavaScript, cached for a year, gzipped when asked", async () => {
    const plain = await t.app.request("/docs/scalar.js?v=1");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toStartWith("text/javascript");
    expect(plain.headers.get("cache-control")).toContain("max-age=31536000");
    expect(plain.headers.get("content-encoding")).toBeNull();
    const raw = new Uint8Array(await plain.arrayBuffer());
    expect(raw.length).toBeGreaterThan(1_000_000);
    expect(new TextDecoder().decode(raw)).toContain("createApiReference");

    const gz = await t.app.request("/docs/scalar.js", { headers: { "accept-encoding": "gzip, br" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gz.headers.get("vary")).toContain("Accept-Encoding");
    const unzipped = Bun.gunzipSync(new Uint8Array(await gz.arrayBuffer()));
    expect(unzipped.length).toBe(raw.length);
  });
});
