import { beforeEach, describe, expect, test } from "bun:test";
import { Cron } from "croner";
import { dailyMetrics, users } from "../../src/db/schema";
import { SCHEDULES } from "../../src/modules";
import { CATCH_UP_DAYS, nightlyDates } from "../../src/modules/analytics/daily/schedule";
import { computeDailyMetrics } from "../../src/modules/analytics/daily/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { makeSubject } from "../helpers/marketplace";
import { ZERO_DAY } from "./daily-fixtures";

type User = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let admin: User;

const RUN = "/api/v1/admin/system/run-action";
const runAction = (token: string, action = "compute-daily-metrics") =>
  t.call("POST", RUN, { token, body: { action } });
const stored = () =>
  t.ctx.db
    .select({ date: dailyMetrics.date, newUsers: dailyMetrics.newUsers })
    .from(dailyMetrics)
    .orderBy(dailyMetrics.date)
    .all();

function signUpAt(iso: string) {
  const ms = Date.parse(iso);
  t.ctx.db
    .insert(users)
    .values({ email: `${iso}@x.test`, role: "client", createdAt: ms, updatedAt: ms })
    .run();
}

beforeEach(async () => {
  t = makeTestApp();
  t.clock.set("2026-11-01T09:00:00.000Z");
  admin = await t.user("admin");
});

describe("the compute-daily-metrics schedule", () => {
  test("is registered at 00:05 UTC every day", () => {
    const s = SCHEDULES.find((x) => x.name === "compute-daily-metrics")!;
    expect(s.pattern).toBe("5 0 * * *");
    const cron = new Cron(s.pattern, { timezone: "UTC", paused: true });
    expect(cron.nextRun(new Date("2026-11-21T23:59:00.000Z"))!.toISOString()).toBe(
      "2026-11-22T00:05:00.000Z",
    );
    expect(cron.nextRun(new Date("2026-11-22T00:05:00.000Z"))!.toISOString()).toBe(
      "2026-11-23T00:05:00.000Z",
    );
    cron.stop();
  });

  test("run by an admin at 00:05, computes yesterday and answers with its figures", async () => {
    // A client signs up and places an order late on 2026-11-21; another signs up just after midnight.
    t.clock.set("2026-11-21T23:50:00.000Z");
    const client = await t.user("client");
    const subject = makeSubject(t);
    const order = await t.call("POST", "/api/v1/orders", {
      token: client.token,
      body: { title: "Essay", subject_id: subject.id },
    });
    expect(order.status).toBe(201);
    signUpAt("2026-11-22T00:01:00.000Z");
    t.clock.set("2026-11-22T00:05:00.000Z");

    const r = await runAction(admin.token);
    expect(r.status).toBe(200);
    expect(r.body.action).toBe("compute-daily-metrics");
    expect(r.body.result).toMatchObject({ from: "2026-11-21", to: "2026-11-21" });
    expect(r.body.result.days).toHaveLength(1);
    expect(r.body.result.days[0]).toEqual({
      date: "2026-11-21",
      currency: "RUB",
      ...ZERO_DAY,
      new_users: 1,
      active_users: 1,
      orders_created: 1,
      computed_at: "2026-11-22T00:05:00.000Z",
      replaced: false,
      other_currency: { orders_completed: 0, purchases: 0 },
      duration_ms: expect.any(Number),
    });
    expect(stored()).toEqual([{ date: "2026-11-21", newUsers: 1 }]);
    // The run is audited with its summary.
    const audit = t.ctx.sqlite
      .query<{ target_id: string; details: string }, []>(
        "SELECT target_id, details FROM audit_log WHERE action = 'system.run_action'",
      )
      .get()!;
    expect(audit.target_id).toBe("compute-daily-metrics");
    expect(JSON.parse(audit.details).result.days[0]).toMatchObject({ date: "2026-11-21", new_users: 1 });
  });

  test("recomputes yesterday even when a row exists: a row taken during the day is replaced", async () => {
    t.clock.set("2026-11-21T12:00:00.000Z");
    signUpAt("2026-11-21T11:00:00.000Z");
    computeDailyMetrics(t.ctx, "2026-11-21");
    signUpAt("2026-11-21T18:00:00.000Z");
    t.clock.set("2026-11-22T00:05:00.000Z");
    const r = await runAction(admin.token);
    expect(r.body.result.days).toMatchObject([{ date: "2026-11-21", new_users: 2, replaced: true }]);
    expect(stored()).toEqual([{ date: "2026-11-21", newUsers: 2 }]);
  });

  test("fills the days missed since the last stored day, up to a week", () => {
    t.clock.set("2026-11-19T00:05:00.000Z");
    computeDailyMetrics(t.ctx, "2026-11-18");
    // Down for three nights: the run on the 22nd computes the 19th, 20th and 21st.
    t.clock.set("2026-11-22T00:05:00.000Z");
    expect(nightlyDates(t.ctx)).toEqual({ from: "2026-11-19", to: "2026-11-21" });
    // A row of today (a partial day) does not hide the gap before yesterday.
    computeDailyMetrics(t.ctx, "2026-11-22");
    expect(nightlyDates(t.ctx)).toEqual({ from: "2026-11-19", to: "2026-11-21" });
    // Down for a month: only the last week is filled (the CLI does the rest).
    t.clock.set("2026-12-20T00:05:00.000Z");
    expect(CATCH_UP_DAYS).toBe(7);
    expect(nightlyDates(t.ctx)).toEqual({ from: "2026-12-13", to: "2026-12-19" });
  });

  test("a database without rows gets yesterday only", async () => {
    t.clock.set("2026-11-22T00:05:00.000Z");
    const r = await runAction(admin.token);
    expect(r.body.result.days.map((d: { date: string }) => d.date)).toEqual(["2026-11-21"]);
    expect(stored()).toEqual([{ date: "2026-11-21", newUsers: 0 }]);
  });

  test("listed in the system status; only holders of system:run may run it", async () => {
    const status = await t.call("GET", "/api/v1/admin/system/status", { token: admin.token });
    expect(status.body.schedules).toContainEqual({
      name: "compute-daily-metrics",
      pattern: "5 0 * * *",
      description: expect.stringContaining("yesterday"),
    });
    const client = await t.user("client");
    const support = await t.user("support");
    expectError(await runAction(client.token), 403, "forbidden");
    expectError(await runAction(support.token), 403, "forbidden");
    expectError(
      await t.call("POST", RUN, { body: { action: "compute-daily-metrics" } }),
      401,
      "unauthenticated",
    );
    expect(stored()).toEqual([]);
  });
});
