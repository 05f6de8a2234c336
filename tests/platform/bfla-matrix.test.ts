import { beforeAll, describe, expect, test } from "bun:test";
import type { Role } from "../../src/db/schema";
import { type Operation, operationsOf } from "../../src/http/openapi-doc";
import { hasPermission, PERMISSION_RE, ROLE_PERMISSIONS } from "../../src/modules/accounts/permissions";
import { insertOrder } from "../gateway/lifecycle-helpers";
import { makeTestApp, type TestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

/**
 * Broken function-level authorization, route by route: every operation of the OpenAPI document
 * that some role may not call (and every staff or gateway route) is called by every role with
 * path ids = 1 and an empty body. A role lacking the route's permission gets 403 (or 404 where
 * the route hides what exists), never 2xx; nobody gets a 5xx. New routes are covered as they
 * appear in the document.
 */
const ROLES = Object.keys(ROLE_PERMISSIONS) as Role[];
const STAFF_PATH = /^\/api\/v1\/(admin|support|teamlead|trader|merchant|gateway)(\/|$)/;
const BODY_METHODS = new Set(["post", "put", "patch"]);

let t: TestApp;
let ops: { method: string; path: string; op: Operation; perms: string[] }[];
const tokens = new Map<Role, string>();

/**
 * The permissions any of which opens the route: `x-permission` and the others its description
 * names in its first sentence ("Requires permission `a` or `b`").
 */
function permissionsOf(op: Operation): string[] {
  const first = /Requires permission (.*?)(?:\.\s|\.$|$)/s.exec(op.description ?? "")?.[1] ?? "";
  const named = [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((p) => PERMISSION_RE.test(p));
  return [...new Set([op["x-permission"]!, ...named])];
}

const holds = (role: Role, perms: string[]) =>
  perms.some((p) => hasPermission(ROLE_PERMISSIONS[role], p, { id: 1 }));

/** One request; a stream's body is not waited for. */
async function call(method: string, path: string, token?: string) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (BODY_METHODS.has(method)) {
    headers["content-type"] = "application/json";
    body = "{}";
  }
  const res = await t.app.request(path.replaceAll(/\{[^}]+\}/g, "1"), {
    method: method.toUpperCase(),
    headers,
    body,
  });
  if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
    await res.body?.cancel();
    return { status: res.status, code: undefined };
  }
  const text = await res.text();
  let code: string | undefined;
  try {
    code = JSON.parse(text)?.error?.code;
  } catch {}
  return { status: res.status, code };
}

beforeAll(async () => {
  t = makeTestApp();
  // Id 1 of users is nobody's token: what holders do to user 1 (ban, re-role) touches no caller.
  await t.user("client");
  const f = gatewayFixtures(t);
  f.rate("RUB", 9550);
  for (const role of ROLES) if (role !== "trader") tokens.set(role, (await t.user(role)).token);
  // Store, trader, requisite and order 1 exist, so holders reach past the lookups.
  const merchantId = (await t.call("GET", "/api/v1/me", { token: tokens.get("merchant") })).body.id;
  const teamleadId = (await t.call("GET", "/api/v1/me", { token: tokens.get("teamlead") })).body.id;
  const { store } = await f.store({ merchant: { id: merchantId, token: tokens.get("merchant")! } });
  const tr = await f.trader({ deposit: 1_000_000_000, teamleadId });
  tokens.set("trader", tr.user.token);
  const requisite = f.requisite(tr.trader.id);
  insertOrder(t, { store, status: "assigned", trader: tr.trader, requisite });

  const doc = (await t.call("GET", "/openapi.json")).body;
  ops = operationsOf(doc)
    .filter(({ op }) => op.security?.length && op["x-permission"])
    .map((o) => ({ ...o, perms: permissionsOf(o.op) }))
    .filter((o) => STAFF_PATH.test(o.path) || ROLES.some((r) => !holds(r, o.perms)));
});

describe("BFLA matrix: every role against every guarded route", () => {
  test("the matrix covers the staff and gateway routes", () => {
    expect(ops.length).toBeGreaterThan(80);
    for (const p of [
      "/api/v1/admin/users/{id}/permissions",
      "/api/v1/admin/gateway/stores/{id}",
      "/api/v1/support/gateway/orders",
      "/api/v1/teamlead/traders/{id}/traffic",
      "/api/v1/trader/orders",
      "/api/v1/merchant/stores",
      "/api/v1/gateway/payin",
    ]) {
      expect(
        ops.some((o) => o.path === p),
        p,
      ).toBe(true);
    }
    // Some routes are closed to every role but admin, some open to a role by its own permission.
    expect(ops.filter((o) => ROLES.every((r) => r === "admin" || !holds(r, o.perms))).length).toBeGreaterThan(
      20,
    );
    expect(holds("support", ["stores:{id}:read"])).toBe(true);
    expect(holds("merchant", ["gateway:merchant:orders"])).toBe(true);
    expect(holds("trader", ["gateway:merchant:orders"])).toBe(false);
  });

  test("without a token every route answers 401", async () => {
    const wrong: string[] = [];
    for (const { method, path } of ops) {
      const r = await call(method, path);
      if (r.status !== 401) wrong.push(`${method} ${path}: ${r.status} ${r.code}`);
    }
    expect(wrong).toEqual([]);
  });

  // Admin last: what it does to the id-1 objects must not change what the other roles see.
  test.each(ROLES)(
    "%s: refused (403/404) wherever it lacks the permission; never a 5xx",
    async (role) => {
      const token = tokens.get(role)!;
      const wrong: string[] = [];
      let refused = 0;
      for (const { method, path, perms } of ops) {
        const r = await call(method, path, token);
        const line = `${method} ${path} [${perms.join(" | ")}]: ${r.status} ${r.code ?? ""}`;
        if (r.status >= 500) wrong.push(`5xx ${line}`);
        else if (r.status === 401) wrong.push(`401 with a valid token: ${line}`);
        else if (!holds(role, perms)) {
          refused++;
          const ok =
            (r.status === 403 && r.code === "forbidden") || (r.status === 404 && r.code === "not_found");
          if (!ok) wrong.push(`not refused: ${line}`);
        }
      }
      expect(wrong).toEqual([]);
      if (role !== "admin") expect(refused).toBeGreaterThan(0);
      else expect(refused).toBe(0);
    },
    120_000,
  );
});
