import { beforeEach, expect, test } from "bun:test";
import { DAY } from "../../src/lib/time";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { makeOrder, makeSubject } from "../helpers/marketplace";

/** The admin orders list narrowed by creation day (UTC, both ends included) with the other filters. */
let t: TestApp;
let admin: Awaited<ReturnType<TestApp["user"]>>;
let ids: number[];

beforeEach(async () => {
  t = makeTestApp();
  admin = await t.user("admin");
  const client = await t.user("client");
  const subjectId = makeSubject(t).id;
  const day = (d: string) => Date.parse(`${d}T00:00:00.000Z`);
  ids = [
    // The last millisecond of 1 March, the first of 2 March, midday 3 March (two statuses).
    makeOrder(t, { clientId: client.id, subjectId, createdAt: day("2026-03-02") - 1 }).id,
    makeOrder(t, { clientId: client.id, subjectId, createdAt: day("2026-03-02") }).id,
    makeOrder(t, { clientId: client.id, subjectId, createdAt: day("2026-03-03") + DAY / 2 }).id,
    makeOrder(t, {
      clientId: client.id,
      subjectId,
      status: "cancelled",
      createdAt: day("2026-03-03") + DAY / 2,
    }).id,
  ];
});

const list = (query: string) => t.call("GET", `/api/v1/admin/orders?${query}`, { token: admin.token });
const idsOf = (r: { body: { results: { id: number }[] } }) => r.body.results.map((o) => o.id).sort();

test("date_from and date_to keep orders created on those UTC days, both included", async () => {
  expect(idsOf(await list("date_from=2026-03-02"))).toEqual([ids[1]!, ids[2]!, ids[3]!]);
  expect(idsOf(await list("date_to=2026-03-01"))).toEqual([ids[0]!]);
  expect(idsOf(await list("date_from=2026-03-02&date_to=2026-03-02"))).toEqual([ids[1]!]);
  const both = await list("date_from=2026-03-03&date_to=2026-03-03&status=cancelled");
  expect(both.body.count).toBe(1);
  expect(idsOf(both)).toEqual([ids[3]!]);
});

test("a malformed day or a reversed range is refused naming the field", async () => {
  const bad = expectError(await list("date_from=03/02/2026"), 400, "validation_failed");
  expect(bad.details.issues[0].path).toBe("query.date_from");
  const reversed = expectError(
    await list("date_from=2026-03-03&date_to=2026-03-02"),
    400,
    "validation_failed",
  );
  expect(reversed.details.issues[0]).toEqual({
    path: "query.date_from",
    message: "date_from must not be after date_to",
  });
});
