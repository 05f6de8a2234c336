import { beforeAll, describe, expect, test } from "bun:test";
import { dailyMetrics, packages, users } from "../../src/db/schema";
import {
  computeDailyMetrics,
  computeDailyMetricsRange,
  type DaySummary,
  serializeDailyMetrics,
} from "../../src/modules/analytics/daily/service";
import { runSlaSweep } from "../../src/modules/marketplace/orders/schedules";
import { makeTestApp, type TestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";
import { fundWallet, makeExpert, makeSubject } from "../helpers/marketplace";
import { ZERO_DAY } from "./daily-fixtures";

/**
 * Three UTC days built through the real flows (orders, wallet and manual payments, reviews both
 * ways, a package purchase and its refund, usage, an SLA breach, a dispute) with the manual clock,
 * then computed. Every expected figure follows from the story told in beforeAll.
 */

const A = "2026-11-20";
const B = "2026-11-21";
const C = "2026-11-22";

type User = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let admin: User;
let client1: User;
let client2: User;
let expert: User;
let subjectId: number;

async function ok(method: string, path: string, token: string, body?: unknown) {
  const r = await t.call(method, `/api/v1${path}`, { token, body });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const act = (id: number, action: string, token: string, body?: unknown) =>
  ok("POST", `/orders/${id}/${action}`, token, body);

async function newOrder(client: User, extra: Record<string, unknown> = {}): Promise<number> {
  return (
    await ok("POST", "/orders", client.token, { title: "Problem set", subject_id: subjectId, ...extra })
  ).id;
}

/** new -> in_review -> awaiting_payment at `price`. */
async function priced(client: User, price: number, extra: Record<string, unknown> = {}) {
  const id = await newOrder(client, extra);
  await act(id, "take", expert.token);
  await act(id, "set-price", expert.token, { price });
  return id;
}

/** The manual route to completed: proof of transfer, the expert confirms, starts, completes. */
async function manualComplete(id: number, client: User) {
  await act(id, "mark-paid", client.token, {});
  await act(id, "confirm-payment", expert.token);
  await act(id, "start", expert.token);
  await act(id, "complete", expert.token);
}

const at = (iso: string) => t.clock.set(iso);

const byDate = new Map<string, DaySummary>();

beforeAll(async () => {
  t = makeTestApp();
  // Day A: four accounts, five orders, a package bought from the wallet, 20 s of usage.
  at(`${A}T08:00:00.000Z`);
  subjectId = makeSubject(t).id;
  admin = await t.user("admin");
  client1 = await t.user("client");
  client2 = await t.user("client");
  expert = await makeExpert(t, [subjectId]);
  fundWallet(t, client1.id, 5000_00);
  fundWallet(t, client2.id, 5000_00);
  const pkg = t.ctx.db
    .insert(packages)
    .values({
      name: "Hour",
      seconds: 3600,
      price: 990_00,
      currency: "RUB",
      validityDays: 30,
      createdAt: t.clock.now(),
      updatedAt: t.clock.now(),
    })
    .returning()
    .get();

  at(`${A}T09:00:00.000Z`);
  // O1: paid from the wallet into escrow, delivered today, accepted tomorrow.
  const o1 = await priced(client1, 1000_00);
  await act(o1, "pay", client1.token);
  await act(o1, "start", expert.token);
  await act(o1, "complete", expert.token);
  // O2: cancelled by its client.
  const o2 = await newOrder(client1);
  await act(o2, "cancel", client1.token, {});
  // O3: due tomorrow at noon; nobody takes it.
  await newOrder(client2, { deadline: `${B}T12:00:00.000Z` });
  // O4: in dollars, completed today by manual transfer: counted, not in the RUB gmv.
  const o4 = await priced(client2, 50_00, { currency: "USD" });
  await manualComplete(o4, client2);
  // O5: paid into escrow; disputed tomorrow.
  const o5 = await priced(client1, 300_00);
  await act(o5, "pay", client1.token);
  const purchase = await ok("POST", "/purchases", client2.token, { package_id: pkg.id, provider: "wallet" });
  expect(purchase.status).toBe("succeeded");
  await ok("POST", "/usage/record", client2.token, { id: "a-1", seconds: 20 });
  // A staff grant is a gift, not a sale: not in minutes_purchased_seconds.
  grantSeconds(t, client1.id, 600);

  // Day B: one sign-up, two completions, three client reviews, a dispute, an SLA breach, a refund.
  at(`${B}T10:00:00.000Z`);
  // client3 signs up and does nothing else.
  await t.user("client");
  await act(o1, "accept", client1.token);
  const o6 = await priced(client2, 200_00);
  await manualComplete(o6, client2);
  await ok("POST", `/orders/${o1}/review-master`, client1.token, { rating: 5 });
  await ok("POST", `/orders/${o6}/review-master`, client2.token, { rating: 4 });
  await ok("POST", `/orders/${o4}/review-master`, client2.token, { rating: 4 });
  // The expert's rating of a client is not a rating of the work: left out of avg_rating.
  await ok("POST", `/orders/${o1}/review-client`, expert.token, { rating: 1 });
  await act(o5, "dispute", client1.token, { reason: "Nothing was delivered" });
  await ok("POST", "/usage/record", client2.token, { id: "b-1", seconds: 100 });
  at(`${B}T13:00:00.000Z`);
  expect(runSlaSweep(t.ctx)).toEqual({ breached: 1 });
  await ok("POST", `/admin/purchases/${purchase.id}/refund`, admin.token, { reason: "Asked for it back" });

  // Day C: nothing. Computed just after it ends.
  at("2026-11-23T00:10:00.000Z");
  for (const s of computeDailyMetricsRange(t.ctx, A, C)) byDate.set(s.metrics.date, s);
});

const zeros = ZERO_DAY;
const row = (date: string) => serializeDailyMetrics(byDate.get(date)!.metrics);

describe("computeDailyMetrics over three days of real flows", () => {
  test("day A: sign-ups, orders, the USD order counted but not summed, a purchase, usage", () => {
    expect(row(A)).toEqual({
      ...zeros,
      date: A,
      currency: "RUB",
      new_users: 4,
      // client1, client2 and the expert acted; the admin did nothing on A.
      active_users: 3,
      orders_created: 5,
      orders_completed: 1,
      orders_cancelled: 1,
      gmv: 0,
      platform_revenue: 990_00,
      purchases_count: 1,
      purchases_amount: 990_00,
      minutes_purchased_seconds: 3600,
      // 20 s bill as two 15-second blocks.
      minutes_used_seconds: 30,
      computed_at: "2026-11-23T00:10:00.000Z",
    });
    expect(byDate.get(A)!.other_currency).toEqual({ orders_completed: 1, purchases: 0 });
  });

  test("day B: gmv of two completions, revenue net of the refund, client ratings only", () => {
    expect(row(B)).toEqual({
      ...zeros,
      date: B,
      currency: "RUB",
      new_users: 1,
      // client1, client2, the expert and the admin (refund); the new client only signed up.
      active_users: 4,
      orders_created: 1,
      orders_completed: 2,
      disputes_opened: 1,
      gmv: 1000_00 + 200_00,
      // 10 % commission on O1's release, less the 990.00 refunded from revenue.
      platform_revenue: 100_00 - 990_00,
      // 100 s bill as seven blocks.
      minutes_used_seconds: 105,
      // (5 + 4 + 4) / 3, two decimals.
      avg_rating: 4.33,
      sla_breaches: 1,
      computed_at: "2026-11-23T00:10:00.000Z",
    });
    expect(byDate.get(B)!.other_currency).toEqual({ orders_completed: 0, purchases: 0 });
  });

  test("day C, without activity, is a row of zeros", () => {
    expect(row(C)).toEqual({ ...zeros, date: C, currency: "RUB", computed_at: "2026-11-23T00:10:00.000Z" });
  });

  test("each day is one stored row, and its computation an event", () => {
    expect(
      t.ctx.db
        .select()
        .from(dailyMetrics)
        .all()
        .map((r) => r.date),
    ).toEqual([A, B, C]);
    const events = t.ctx.sqlite
      .query<{ subject_id: string; actor_id: number | null; payload: string }, []>(
        "SELECT subject_id, actor_id, payload FROM events WHERE type = 'metrics.daily_computed' ORDER BY id",
      )
      .all();
    expect(events.map((e) => [e.subject_id, e.actor_id, JSON.parse(e.payload)])).toEqual([
      [A, null, { date: A, currency: "RUB", replaced: false }],
      [B, null, { date: B, currency: "RUB", replaced: false }],
      [C, null, { date: C, currency: "RUB", replaced: false }],
    ]);
  });
});

describe("recomputing", () => {
  test("replaces the day's row (one row, new figures, new computed_at) in one transaction with its event", () => {
    // A sign-up recorded late for day C (an import, say): the recomputation picks it up.
    t.ctx.db
      .insert(users)
      .values({
        email: "late@test.local",
        username: "late",
        role: "client",
        createdAt: Date.parse(`${C}T23:59:59.999Z`),
        updatedAt: Date.parse(`${C}T23:59:59.999Z`),
      })
      .run();
    at("2026-11-23T06:00:00.000Z");
    const again = computeDailyMetrics(t.ctx, C);
    expect(again.replaced).toBe(true);
    const rows = t.ctx.db.select().from(dailyMetrics).all();
    expect(rows.filter((r) => r.date === C)).toHaveLength(1);
    expect(serializeDailyMetrics(rows.find((r) => r.date === C)!)).toEqual({
      ...zeros,
      date: C,
      currency: "RUB",
      new_users: 1,
      computed_at: "2026-11-23T06:00:00.000Z",
    });
    // The other days are untouched.
    expect(serializeDailyMetrics(rows.find((r) => r.date === A)!)).toEqual(row(A));
    const last = t.ctx.sqlite
      .query<{ payload: string }, []>(
        "SELECT payload FROM events WHERE type = 'metrics.daily_computed' ORDER BY id DESC LIMIT 1",
      )
      .get()!;
    expect(JSON.parse(last.payload)).toEqual({ date: C, currency: "RUB", replaced: true });
  });

  test("the same data gives the same figures: recomputing day B changes only computed_at", () => {
    at("2026-11-23T07:00:00.000Z");
    const again = serializeDailyMetrics(computeDailyMetrics(t.ctx, B).metrics);
    expect(again).toEqual({ ...row(B), computed_at: "2026-11-23T07:00:00.000Z" });
  });

  test("today may be computed (the figures so far); a day that has not started is refused and writes nothing", () => {
    at("2026-11-23T07:00:00.000Z");
    expect(computeDailyMetrics(t.ctx, "2026-11-23").metrics.date).toBe("2026-11-23");
    const before = t.ctx.db.select().from(dailyMetrics).all().length;
    expect(() => computeDailyMetrics(t.ctx, "2026-11-24")).toThrow("has not started yet");
    expect(() => computeDailyMetrics(t.ctx, "2026-02-30")).toThrow("not a YYYY-MM-DD date");
    expect(t.ctx.db.select().from(dailyMetrics).all()).toHaveLength(before);
  });
});
