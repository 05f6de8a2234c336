import { beforeAll, describe, expect, test } from "bun:test";
import { users } from "../../src/db/schema";
import { computeDailyMetricsRange } from "../../src/modules/analytics/daily/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { ZERO_DAY } from "./daily-fixtures";

/**
 * GET /api/v1/admin/metrics/daily over rows computed for 2026-10-01 .. 2026-11-21 (the clock stands
 * at 2026-11-22T10:00Z, so "yesterday" is 2026-11-21). Sign-ups are the only activity: two on
 * 2026-11-01, one on 2026-11-03, one on 2026-10-01.
 */

const PATH = "/api/v1/admin/metrics/daily";
type User = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let admin: User;
let client: User;
let support: User;
let analyst: User;

const COLUMNS = [
  "date",
  "currency",
  "new_users",
  "active_users",
  "orders_created",
  "orders_completed",
  "orders_cancelled",
  "disputes_opened",
  "gmv",
  "platform_revenue",
  "purchases_count",
  "purchases_amount",
  "minutes_purchased_seconds",
  "minutes_used_seconds",
  "avg_rating",
  "sla_breaches",
  "gateway_orders_created",
  "gateway_orders_completed",
  "gateway_volume_usdt",
  "gateway_revenue_usdt",
  "computed_at",
];
const COMPUTED_AT = "2026-11-22T10:00:00.000Z";

function signUpAt(iso: string, n: number) {
  for (let i = 0; i < n; i++) {
    const ms = Date.parse(iso);
    t.ctx.db
      .insert(users)
      .values({ email: `${iso}-${i}@x.test`, role: "client", createdAt: ms, updatedAt: ms })
      .run();
  }
}

const get = (query: string, token?: string) => t.call("GET", `${PATH}${query}`, { token });
const dates = (body: { results: { date: string }[] }) => body.results.map((r) => r.date);

beforeAll(async () => {
  t = makeTestApp();
  // The staff accounts are created "now" (2026-11-22), outside the computed days.
  admin = await t.user("admin");
  client = await t.user("client");
  support = await t.user("support");
  analyst = await t.user("support", { grantedPermissions: ["metrics:read"] });
  signUpAt("2026-10-01T12:00:00.000Z", 1);
  signUpAt("2026-11-01T00:00:00.000Z", 1);
  signUpAt("2026-11-01T23:59:59.999Z", 1);
  signUpAt("2026-11-03T08:30:00.000Z", 1);
  computeDailyMetricsRange(t.ctx, "2026-10-01", "2026-11-21");
});

describe("GET /admin/metrics/daily", () => {
  test("a range: every column of each stored day, oldest first, money in minor units", async () => {
    const r = await get("?from=2026-11-01&to=2026-11-03", admin.token);
    expect(r.status).toBe(200);
    expect(r.body.results).toHaveLength(3);
    const { new_users: _, ...figures } = ZERO_DAY;
    const zero = { currency: "RUB", ...figures, computed_at: COMPUTED_AT };
    expect(r.body.results).toEqual([
      { date: "2026-11-01", new_users: 2, ...zero },
      { date: "2026-11-02", new_users: 0, ...zero },
      { date: "2026-11-03", new_users: 1, ...zero },
    ]);
    expect(Object.keys(r.body.results[0])).toEqual(COLUMNS);
  });

  test("the /api alias and a trailing slash answer the same", async () => {
    const a = await get("?from=2026-11-01&to=2026-11-01", admin.token);
    const b = await t.call("GET", "/api/admin/metrics/daily/?from=2026-11-01&to=2026-11-01", {
      token: admin.token,
    });
    expect(b.status).toBe(200);
    expect(b.body).toEqual(a.body);
  });

  test("without from and to: the 30 days up to yesterday", async () => {
    const r = await get("", admin.token);
    expect(r.status).toBe(200);
    expect(r.body.results).toHaveLength(30);
    expect(r.body.results[0].date).toBe("2026-10-23");
    expect(r.body.results[29].date).toBe("2026-11-21");
  });

  test("with only from: 30 days from it; with only to: 30 days up to it (days never computed are absent)", async () => {
    const from = await get("?from=2026-10-05", admin.token);
    expect(dates(from.body)[0]).toBe("2026-10-05");
    expect(dates(from.body).at(-1)).toBe("2026-11-03");
    expect(from.body.results).toHaveLength(30);
    // 2026-09-11 .. 2026-10-10: only 2026-10-01 onwards was computed.
    const to = await get("?to=2026-10-10", admin.token);
    expect(dates(to.body)).toEqual([
      "2026-10-01",
      "2026-10-02",
      "2026-10-03",
      "2026-10-04",
      "2026-10-05",
      "2026-10-06",
      "2026-10-07",
      "2026-10-08",
      "2026-10-09",
      "2026-10-10",
    ]);
    expect(to.body.results[0].new_users).toBe(1);
  });

  test("one day, 366 days (the longest range) and a future range (empty) are fine", async () => {
    expect(dates((await get("?from=2026-11-03&to=2026-11-03", admin.token)).body)).toEqual(["2026-11-03"]);
    const year = await get("?from=2025-11-21&to=2026-11-21", admin.token);
    expect(year.status).toBe(200);
    expect(year.body.results).toHaveLength(52);
    expect(await get("?from=2027-01-01&to=2027-01-31", admin.token)).toMatchObject({
      status: 200,
      body: { results: [] },
    });
  });

  test("?format=csv: a header row, then one row per day; an empty rating is an empty cell", async () => {
    const res = await t.app.request(`${PATH}?from=2026-11-01&to=2026-11-02&format=csv`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(
      'attachment; filename="daily-metrics-2026-11-01-2026-11-02.csv"',
    );
    expect(await res.text()).toBe(
      [
        COLUMNS.join(","),
        `2026-11-01,RUB,2,0,0,0,0,0,0,0,0,0,0,0,,0,0,0,0,0,${COMPUTED_AT}`,
        `2026-11-02,RUB,0,0,0,0,0,0,0,0,0,0,0,0,,0,0,0,0,0,${COMPUTED_AT}`,
        "",
      ].join("\r\n"),
    );
    const json = await get("?from=2026-11-01&to=2026-11-01&format=json", admin.token);
    expect(json.body.results).toHaveLength(1);
  });

  test("bad queries are 400 validation_failed naming the parameter", async () => {
    const cases: [string, string][] = [
      ["?from=2026-13-01", "query.from"],
      ["?from=2026-02-30", "query.from"],
      ["?from=20261101", "query.from"],
      ["?to=2026-11-1", "query.to"],
      ["?to=yesterday", "query.to"],
      ["?from=", "query.from"],
      ["?from=2026-11-05&to=2026-11-04", "query.from"],
      ["?from=2025-11-20&to=2026-11-21", "query.to"],
      ["?format=xml", "query.format"],
      ["?limit=10", "query"],
    ];
    for (const [query, path] of cases) {
      const e = expectError(await get(query, admin.token), 400, "validation_failed");
      expect(e.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
  });

  test("security: 401 without credentials (before the query is looked at), 403 without metrics:read", async () => {
    expectError(await get(""), 401, "unauthenticated");
    expectError(await get("?from=bad"), 401, "unauthenticated");
    expectError(await get("", "not-a-token"), 401, "unauthenticated");
    expectError(await get("", client.token), 403, "forbidden");
    // Support staff see events and the audit log, not the business figures...
    expectError(await get("", support.token), 403, "forbidden");
    // ...unless granted metrics:read.
    expect((await get("?from=2026-11-03&to=2026-11-03", analyst.token)).body.results[0].new_users).toBe(1);
  });

  test("an admin's API key needs the metrics:read scope", async () => {
    const key = async (scopes: string[]) =>
      (await t.call("POST", "/api/v1/me/api-keys", { token: admin.token, body: { name: "k", scopes } })).body
        .key as string;
    expectError(await get("", await key(["events:read"])), 403, "forbidden");
    expect((await get("", await key(["metrics:read"]))).status).toBe(200);
  });
});
