import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ledgerAccounts, ORDER_STATUSES, orders } from "../../src/db/schema";
import type { Principal } from "../../src/http/types";
import { ApiError } from "../../src/lib/errors";
import { permissionsFor } from "../../src/modules/accounts/permissions";
import { checkInvariants } from "../../src/modules/ledger/check";
import { FINAL_STATUSES, findOrder } from "../../src/modules/marketplace/orders/access";
import * as act from "../../src/modules/marketplace/orders/actions";
import { runAutoAccept } from "../../src/modules/marketplace/orders/schedules";
import { createOrder, takeOrder } from "../../src/modules/marketplace/orders/service";
import { makeTestApp } from "../helpers/app";
import { fundWallet, makeExpert, makeSubject } from "../helpers/marketplace";

const principal = (u: { id: number; role: any }): Principal => ({
  user: { id: u.id, role: u.role, telegramId: null, grantedPermissions: [] },
  permissions: permissionsFor(u.role),
});

const OPS = [
  "take",
  "price",
  "pay",
  "mark_paid",
  "confirm",
  "start",
  "complete",
  "accept",
  "revision",
  "cancel",
  "decline",
  "dispute",
  "refund",
  "release",
  "split",
  "wait",
  "advance",
  "set_status",
] as const;

/** Two clients, four orders in two currencies: held must match escrow per client and currency. */
const ORDERS = [
  { client: 0, currency: "RUB" },
  { client: 0, currency: "RUB" },
  { client: 0, currency: "USD" },
  { client: 1, currency: "RUB" },
] as const;
const FUNDED = 100_000;

describe("escrow invariants under random order histories", () => {
  test("money is conserved, nothing goes negative, held = escrow per client and currency, even with admin set-status", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            order: fc.nat(ORDERS.length - 1),
            // Half the steps advance an order along the wallet route, so that long histories
            // (paid, settled, reopened, paid again) come up often.
            op: fc.oneof(
              { weight: OPS.length - 1, arbitrary: fc.constant("advance" as const) },
              { weight: OPS.length - 1, arbitrary: fc.constantFrom(...OPS) },
            ),
            n: fc.integer({ min: 1, max: 90_000 }),
            status: fc.constantFrom(...ORDER_STATUSES),
          }),
          { minLength: 10, maxLength: 60, size: "max" },
        ),
        fc.integer({ min: 0, max: 30 }),
        async (steps, commission) => {
          const t = makeTestApp();
          t.ctx.settings.setNow({ order_commission_percent: commission }, t.clock.now());
          const subject = makeSubject(t);
          const clients = [await t.user("client"), await t.user("client")];
          const expert = await makeExpert(t, [subject.id]);
          const arbitrator = await t.user("arbitrator");
          const admin = await t.user("admin");
          for (const c of clients) for (const cur of ["RUB", "USD"]) fundWallet(t, c.id, FUNDED, cur);
          const pcs = clients.map(principal);
          const [pe, pa] = [principal(expert), principal(arbitrator)];
          const ids = ORDERS.map(
            (o, i) =>
              createOrder(t.ctx, pcs[o.client]!, {
                title: `o${i}`,
                subject_id: subject.id,
                currency: o.currency,
              }).id,
          );
          const staff = { id: arbitrator.id };
          for (const s of steps) {
            const id = ids[s.order]!;
            const pc = pcs[ORDERS[s.order]!.client]!;
            const run: Record<Exclude<(typeof OPS)[number], "advance"> | "reopen", () => unknown> = {
              take: () => takeOrder(t.ctx, pe, id),
              price: () => act.setPrice(t.ctx, pe, id, s.n),
              pay: () => act.payOrder(t.ctx, pc, id),
              mark_paid: () => act.markPaid(t.ctx, pc, id),
              confirm: () => act.confirmPayment(t.ctx, pe, { id: expert.id }, id),
              start: () => act.startOrder(t.ctx, pe, id),
              complete: () => act.completeOrder(t.ctx, pe, id),
              accept: () => act.acceptOrder(t.ctx, pc, id),
              revision: () => act.requestRevision(t.ctx, pc, id),
              cancel: () => act.cancelOrder(t.ctx, pc, id),
              decline: () => act.declineOrder(t.ctx, pe, id),
              dispute: () => act.disputeOrder(t.ctx, s.n % 2 ? pc : pe, id, "why"),
              refund: () => act.resolveDispute(t.ctx, pa, staff, id, { outcome: "refund" }),
              release: () => act.resolveDispute(t.ctx, pa, staff, id, { outcome: "release" }),
              split: () =>
                act.resolveDispute(t.ctx, pa, staff, id, { outcome: "split", client_amount: s.n % 500 }),
              wait: () => {
                t.clock.advance(4 * 86_400_000);
                return runAutoAccept(t.ctx);
              },
              set_status: () =>
                act.adminSetStatus(t.ctx, { id: admin.id }, id, { status: s.status, reason: "ops" }),
              reopen: () =>
                act.adminSetStatus(t.ctx, { id: admin.id }, id, {
                  status: "awaiting_payment",
                  reason: "ops",
                }),
            };
            // The order's next step along the wallet route; settled orders are reopened for payment.
            const next: Partial<Record<string, keyof typeof run>> = {
              new: "take",
              in_review: "price",
              awaiting_payment: "pay",
              paid: "start",
              revision: "start",
              in_progress: "complete",
              delivered: "accept",
              disputed: s.n % 2 ? "refund" : "release",
              completed: "reopen",
              cancelled: "reopen",
            };
            try {
              if (s.op === "advance") {
                const step = next[findOrder(t.ctx.db, id)!.status];
                if (step) run[step]();
              } else run[s.op]();
            } catch (e) {
              if (!(e instanceof ApiError)) throw e;
              expect([400, 402, 403, 404, 409]).toContain(e.status);
            }
            const report = checkInvariants(t.ctx);
            expect(report.checks.filter((c) => !c.ok)).toEqual([]);
            // Money is conserved per currency: clients, expert and platform hold what was funded.
            const accounts = t.ctx.db.select().from(ledgerAccounts).all();
            for (const cur of ["RUB", "USD"]) {
              const inside = accounts
                .filter((a) => a.currency === cur && a.ownerType !== "provider")
                .reduce((sum, a) => sum + a.balance, 0);
              expect(inside).toBe(FUNDED * clients.length);
            }
            for (const o of t.ctx.db.select().from(orders).all()) {
              if (["new", "in_review", "awaiting_payment", ...FINAL_STATUSES].includes(o.status))
                expect(o.escrowAmount).toBe(0);
            }
          }
        },
      ),
      // Every run builds a database and plays up to 60 steps: shrinking a failure would take
      // minutes, so the first counterexample is reported as found.
      { numRuns: 40, endOnFailure: true },
    );
  }, 120_000);
});
