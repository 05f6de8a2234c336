import { beforeEach, describe, expect, test } from "bun:test";
import { drizzle } from "drizzle-orm/bun-sqlite";
import * as schema from "../../src/db/schema";
import { expertApplications, type OrderStatus, reviews } from "../../src/db/schema";
import {
  type AccountRef,
  providerClearing,
  transfer,
  userAvailable,
  userHeld,
} from "../../src/modules/ledger/service";
import { markRead } from "../../src/modules/platform/notifications/routes";
import { notify } from "../../src/modules/platform/notifications/service";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { makeExpert, makeOrder, makeSubject } from "../helpers/marketplace";

const PATH = "/api/v1/dashboard";

let t: TestApp;
beforeEach(() => {
  t = makeTestApp();
});

let keySeq = 0;
const move = (
  from: AccountRef,
  to: AccountRef,
  amount: number,
  kind: schema.TransferKind,
  orderId?: number,
) =>
  t.ctx.db.transaction((tx) =>
    transfer(t.ctx, tx, {
      from,
      to,
      amount,
      kind,
      idempotencyKey: `home:${++keySeq}`,
      reference: orderId === undefined ? undefined : { type: "order", id: orderId },
    }),
  );

const send = (userId: number, title = "hello") =>
  t.ctx.db.transaction((tx) => notify(t.ctx, tx, { userId, type: "system", title, message: title }));

/** Counts what the handler sends through Drizzle (auth reads the caller on ctx.sqlite, not counted). */
async function counted(token: string) {
  const real = t.ctx.db;
  let n = 0;
  t.ctx.db = drizzle({ client: t.ctx.sqlite, schema, logger: { logQuery: () => void n++ } });
  try {
    const res = await t.call("GET", PATH, { token });
    return { res, n };
  } finally {
    t.ctx.db = real;
  }
}

describe("GET /dashboard", () => {
  test("401 without a token; a bad currency is 400", async () => {
    expectError(await t.call("GET", PATH), 401, "unauthenticated");
    const u = await t.user("client");
    expectError(await t.call("GET", `${PATH}?currency=rub`, { token: u.token }), 400, "validation_failed");
  });

  test("client: own orders by group, wallet, unread notifications (seed 001 path /api/dashboard/)", async () => {
    const s = makeSubject(t);
    const c = await t.user("client");
    const other = await t.user("client");
    const e = await makeExpert(t, [s.id]);
    const statuses: OrderStatus[] = [
      "new",
      "new",
      "in_review",
      "awaiting_payment",
      "paid",
      "completed",
      "completed",
      "cancelled",
      "declined_by_expert",
    ];
    for (const status of statuses) {
      makeOrder(t, { clientId: c.id, subjectId: s.id, status, expertId: status === "new" ? null : e.id });
    }
    makeOrder(t, { clientId: other.id, subjectId: s.id, status: "awaiting_payment", expertId: e.id });
    move(providerClearing("stripe", "RUB"), userAvailable(c.id, "RUB"), 10_000, "payment");
    move(userAvailable(c.id, "RUB"), userHeld(c.id, "RUB"), 3_000, "hold", 5);
    move(providerClearing("stripe", "RUB"), userAvailable(other.id, "RUB"), 99_000, "payment");
    const first = send(c.id);
    send(c.id);
    send(other.id);
    markRead(t.ctx, c.id, first);

    const r = await t.call("GET", "/api/dashboard/", { token: c.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      role: "client",
      view: "client",
      orders: { total: 9, new: 2, active: 3, awaiting_payment: 1, completed: 2, cancelled: 2 },
      wallet: { available: 7_000, held: 3_000, currency: "RUB" },
      unread_notifications: 1,
    });
    expect((await counted(c.token)).n).toBe(3);
  });

  test("other end-user roles (partner) get the client view with their own role", async () => {
    const p = await t.user("partner");
    const r = await t.call("GET", PATH, { token: p.token });
    expect(r.body).toEqual({
      role: "partner",
      view: "client",
      orders: { total: 0, new: 0, active: 0, awaiting_payment: 0, completed: 0, cancelled: 0 },
      wallet: { available: 0, held: 0, currency: "RUB" },
      unread_notifications: 0,
    });
  });

  test("expert: active, available, completed, this month's earnings, rating, unread", async () => {
    const s = makeSubject(t);
    const elsewhere = makeSubject(t);
    const c = await t.user("client");
    const e = await makeExpert(t, [s.id]);
    const f = await makeExpert(t, [s.id]);
    const mk = (status: OrderStatus, expertId: number | null, subjectId = s.id) =>
      makeOrder(t, { clientId: c.id, subjectId, status, expertId });
    mk("in_progress", e.id);
    mk("delivered", e.id);
    const done = mk("completed", e.id);
    const old = mk("completed", e.id);
    mk("cancelled", e.id);
    mk("in_progress", f.id);
    mk("new", null);
    mk("new", null);
    mk("new", null, elsewhere.id);
    move(providerClearing("stripe", "RUB"), userAvailable(c.id, "RUB"), 50_000, "payment");
    move(userAvailable(c.id, "RUB"), userHeld(c.id, "RUB"), 20_000, "hold", done.id);
    t.clock.set("2026-10-31T23:00:00.000Z");
    move(userHeld(c.id, "RUB"), userAvailable(e.id, "RUB"), 4_500, "payout", old.id);
    t.clock.set("2026-11-01T00:00:00.000Z");
    move(userHeld(c.id, "RUB"), userAvailable(e.id, "RUB"), 9_000, "payout", done.id);
    move(userHeld(c.id, "RUB"), userAvailable(f.id, "RUB"), 1_000, "payout");
    t.clock.set("2026-11-22T10:00:00.000Z");
    const now = t.clock.now();
    t.ctx.db
      .insert(reviews)
      .values([
        {
          orderId: done.id,
          direction: "client_to_expert",
          authorId: c.id,
          targetId: e.id,
          rating: 5,
          createdAt: now,
        },
        {
          orderId: old.id,
          direction: "client_to_expert",
          authorId: c.id,
          targetId: e.id,
          rating: 4,
          createdAt: now,
        },
      ])
      .run();
    send(e.id);
    send(e.id);

    const r = await t.call("GET", PATH, { token: e.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      role: "expert",
      view: "expert",
      active_orders: 2,
      available_orders: 2,
      completed_orders: 2,
      monthly_earnings: 9_000,
      currency: "RUB",
      average_rating: 4.5,
      unread_notifications: 2,
    });
    const rf = await t.call("GET", PATH, { token: f.token });
    expect(rf.body).toMatchObject({
      active_orders: 1,
      available_orders: 2,
      completed_orders: 0,
      monthly_earnings: 1_000,
      average_rating: null,
      unread_notifications: 0,
    });
    expect((await counted(e.token)).n).toBe(5);
  });

  test("staff (admin, support, arbitrator): users by role, orders by status, disputes, applications, payments", async () => {
    const s = makeSubject(t);
    const admin = await t.user("admin");
    const support = await t.user("support");
    const arbitrator = await t.user("arbitrator");
    const c1 = await t.user("client");
    const c2 = await t.user("client");
    const e = await makeExpert(t, [s.id]);
    const mk = (status: OrderStatus) =>
      makeOrder(t, { clientId: c1.id, subjectId: s.id, status, expertId: status === "new" ? null : e.id });
    for (const st of ["new", "new", "disputed", "disputed", "payment_proof_uploaded", "completed"] as const)
      mk(st);
    const now = t.clock.now();
    t.ctx.db
      .insert(expertApplications)
      .values([
        { userId: c1.id, status: "pending", createdAt: now, updatedAt: now },
        { userId: c2.id, status: "pending", createdAt: now, updatedAt: now },
        { userId: c2.id, status: "rejected", createdAt: now, updatedAt: now },
      ])
      .run();
    send(admin.id);

    const r = await t.call("GET", PATH, { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      role: "admin",
      view: "staff",
      users_by_role: {
        client: 2,
        expert: 1,
        partner: 0,
        arbitrator: 1,
        trader: 0,
        teamlead: 0,
        merchant: 0,
        support: 1,
        admin: 1,
      },
      orders_by_status: {
        new: 2,
        in_review: 0,
        awaiting_payment: 0,
        payment_proof_uploaded: 1,
        paid: 0,
        in_progress: 0,
        delivered: 0,
        revision: 0,
        completed: 1,
        declined_by_expert: 0,
        cancelled: 0,
        disputed: 2,
      },
      open_disputes: 2,
      pending_expert_applications: 2,
      payments_awaiting_confirmation: 1,
      unread_notifications: 1,
    });
    for (const u of [support, arbitrator]) {
      const x = await t.call("GET", PATH, { token: u.token });
      expect(x.body).toMatchObject({
        role: u.role,
        view: "staff",
        open_disputes: 2,
        unread_notifications: 0,
      });
    }
    expect((await counted(admin.token)).n).toBe(4);
  });
});
