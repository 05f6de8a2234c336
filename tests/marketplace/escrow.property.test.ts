import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ledgerAccounts, orders } from "../../src/db/schema";
import type { Principal } from "../../src/http/types";
import { ApiError } from "../../src/lib/errors";
import { permissionsFor } from "../../src/modules/accounts/permissions";
import * as act from "../../src/modules/marketplace/order-actions";
import { createOrder, takeOrder } from "../../src/modules/marketplace/orders";
import { runAutoAccept } from "../../src/modules/marketplace/schedules";
import { makeTestApp } from "../helpers/app";
import { fundWallet, makeExpert, makeSubject, wallet } from "../helpers/marketplace";

const principal = (u: { id: number; role: any }): Principal => ({
  user: { id: u.id, role: u.role, telegramId: null, grantedPermissions: [] },
  permissions: permissionsFor(u.role),
});

const OPS = [
  "take",
  "price",
  "pay",
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
] as const;

describe("escrow invariants under random order histories", () => {
  test("money is conserved, nothing goes negative, held = sum of escrow, ledger sums to zero", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            order: fc.nat(2),
            op: fc.constantFrom(...OPS),
            n: fc.integer({ min: 1, max: 90_000 }),
          }),
          {
            maxLength: 40,
          },
        ),
        fc.integer({ min: 0, max: 30 }),
        async (steps, commission) => {
          const t = makeTestApp();
          t.ctx.settings.setNow({ order_commission_percent: commission }, t.clock.now());
          const subject = makeSubject(t);
          const client = await t.user("client");
          const expert = await makeExpert(t, [subject.id]);
          const arbitrator = await t.user("arbitrator");
          const funded = 100_000;
          fundWallet(t, client.id, funded);
          const [pc, pe, pa] = [principal(client), principal(expert), principal(arbitrator)];
          const ids = [0, 1, 2].map(
            (i) => createOrder(t.ctx, pc, { title: `o${i}`, subject_id: subject.id }).id,
          );
          const actor = { id: arbitrator.id };
          for (const s of steps) {
            const id = ids[s.order]!;
            try {
              const run: Record<(typeof OPS)[number], () => unknown> = {
                take: () => takeOrder(t.ctx, pe, id),
                price: () => act.setPrice(t.ctx, pe, id, s.n),
                pay: () => act.payOrder(t.ctx, pc, id),
                start: () => act.startOrder(t.ctx, pe, id),
                complete: () => act.completeOrder(t.ctx, pe, id),
                accept: () => act.acceptOrder(t.ctx, pc, id),
                revision: () => act.requestRevision(t.ctx, pc, id),
                cancel: () => act.cancelOrder(t.ctx, pc, id),
                decline: () => act.declineOrder(t.ctx, pe, id),
                dispute: () => act.disputeOrder(t.ctx, s.n % 2 ? pc : pe, id, "why"),
                refund: () => act.resolveDispute(t.ctx, pa, actor, id, { outcome: "refund" }),
                release: () => act.resolveDispute(t.ctx, pa, actor, id, { outcome: "release" }),
                split: () =>
                  act.resolveDispute(t.ctx, pa, actor, id, { outcome: "split", client_amount: s.n % 500 }),
                wait: () => {
                  t.clock.advance(4 * 86_400_000);
                  return runAutoAccept(t.ctx);
                },
              };
              run[s.op]();
            } catch (e) {
              if (!(e instanceof ApiError)) throw e;
              expect([400, 402, 403, 404, 409]).toContain(e.status);
            }
            const rows = t.ctx.db.select().from(orders).all();
            const c = wallet(t, client.id);
            const e = wallet(t, expert.id);
            const revenue = t.ctx.db.select().from(ledgerAccounts).all();
            expect(revenue.reduce((sum, a) => sum + a.balance, 0)).toBe(0);
            expect(revenue.filter((a) => !a.allowNegative).every((a) => a.balance >= 0)).toBe(true);
            expect(c.held).toBe(rows.reduce((sum, o) => sum + o.escrowAmount, 0));
            const platform = revenue.find((a) => a.ownerType === "platform")?.balance ?? 0;
            expect(c.available + c.held + e.available + platform).toBe(funded);
            for (const o of rows) {
              if (
                [
                  "new",
                  "in_review",
                  "awaiting_payment",
                  "completed",
                  "cancelled",
                  "declined_by_expert",
                ].includes(o.status)
              )
                expect(o.escrowAmount).toBe(0);
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000);
});
