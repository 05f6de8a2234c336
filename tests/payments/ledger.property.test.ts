import { expect, test } from "bun:test";
import fc from "fast-check";
import { balanceOf, userAvailable } from "../../src/modules/ledger/service";
import { makeTestApp, type TestApp } from "../helpers/app";
import { type FakeStripe, startFakeStripe } from "../helpers/fake-stripe";
import { type FakeYooKassa, startFakeYooKassa } from "../helpers/fake-yookassa";
import {
  addPackage,
  fundWallet,
  ledgerInvariants,
  STRIPE_KEY,
  STRIPE_WHSEC,
  sendStripe,
  sendYooKassa,
  YOO_SECRET,
  YOO_SHOP,
} from "./setup";

/**
 * After any sequence of purchases (three providers), top-ups, webhooks (paid, replayed,
 * tampered, expired, canceled) and refunds: every currency's balances sum to 0, no user account
 * is negative, cached balances equal the transfers, and each user's wallet is exactly what the
 * model says.
 */

const Provider = fc.constantFrom("stripe" as const, "yookassa" as const);
const Op = fc.oneof(
  fc.record({
    op: fc.constant("fund" as const),
    user: fc.nat(2),
    amount: fc.integer({ min: 1, max: 60000 }),
    usd: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("buy" as const),
    user: fc.nat(2),
    pkg: fc.nat(3),
    provider: fc.constantFrom("stripe" as const, "yookassa" as const, "wallet" as const),
  }),
  fc.record({
    op: fc.constant("topup" as const),
    user: fc.nat(2),
    amount: fc.integer({ min: 1, max: 60000 }),
    usd: fc.boolean(),
    provider: Provider,
  }),
  fc.record({
    op: fc.constant("pay" as const),
    which: fc.nat(),
    deliveries: fc.integer({ min: 1, max: 3 }),
    tamper: fc.boolean(),
  }),
  fc.record({ op: fc.constant("close" as const), which: fc.nat() }),
  fc.record({ op: fc.constant("refund" as const), which: fc.nat(), twice: fc.boolean() }),
);
type Op = typeof Op extends fc.Arbitrary<infer T> ? T : never;

type Purchase = {
  id: number;
  provider: string;
  status: string;
  kind: string;
  amount: number;
  currency: string;
  user_id: number;
};

// Fresh fakes per run: every run has a fresh database whose purchase ids start again at 1.
async function run(ops: Op[]) {
  const stripe = startFakeStripe({ secretKey: STRIPE_KEY });
  const yoo = startFakeYooKassa({ shopId: YOO_SHOP, secretKey: YOO_SECRET });
  try {
    await runWith(ops, stripe, yoo);
  } finally {
    stripe.stop();
    yoo.stop();
  }
}

async function runWith(ops: Op[], stripe: FakeStripe, yoo: FakeYooKassa) {
  const t: TestApp = makeTestApp({
    STRIPE_SECRET_KEY: STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET: STRIPE_WHSEC,
    STRIPE_API_BASE: stripe.url,
    YOOKASSA_SHOP_ID: YOO_SHOP,
    YOOKASSA_SECRET_KEY: YOO_SECRET,
    YOOKASSA_API_BASE: yoo.url,
  });
  const admin = await t.user("admin");
  const users = [await t.user(), await t.user(), await t.user()];
  const pkgs = [
    addPackage(t, { price: 9900, currency: "RUB" }),
    addPackage(t, { price: 100, currency: "RUB" }),
    addPackage(t, { price: 2500, currency: "USD" }),
    addPackage(t, { price: 49999, currency: "RUB" }),
  ];
  // The model: what each user's wallet must hold, per currency.
  const wallet = new Map<string, number>();
  const credit = (userId: number, cur: string, amount: number) =>
    wallet.set(`${userId}:${cur}`, (wallet.get(`${userId}:${cur}`) ?? 0) + amount);
  const purchases = (where: string) =>
    t.ctx.sqlite.query(`SELECT * FROM purchases WHERE ${where} ORDER BY id`).all() as Purchase[];

  for (const o of ops) {
    switch (o.op) {
      case "fund": {
        const cur = o.usd ? "USD" : "RUB";
        fundWallet(t, users[o.user]!.id, o.amount, cur);
        credit(users[o.user]!.id, cur, o.amount);
        break;
      }
      case "buy": {
        const u = users[o.user]!;
        const pkg = pkgs[o.pkg]!;
        const r = await t.call("POST", "/api/v1/purchases", {
          token: u.token,
          body: { package_id: pkg.id, provider: o.provider },
        });
        if (o.provider === "wallet") {
          const have = wallet.get(`${u.id}:${pkg.currency}`) ?? 0;
          if (have >= pkg.price) {
            expect(r.status).toBe(201);
            credit(u.id, pkg.currency, -pkg.price);
          } else {
            expect(r.status).toBe(402);
          }
        } else {
          expect(r.status).toBe(201);
        }
        break;
      }
      case "topup": {
        const u = users[o.user]!;
        const r = await t.call("POST", "/api/v1/wallet/topups", {
          token: u.token,
          body: { amount: o.amount, currency: o.usd ? "USD" : "RUB", provider: o.provider },
        });
        expect(r.status).toBe(201);
        break;
      }
      case "pay": {
        const pending = purchases("status = 'pending'");
        if (!pending.length) break;
        const p = pending[o.which % pending.length]!;
        for (let i = 0; i < o.deliveries; i++) {
          if (p.provider === "stripe") {
            const s = stripe.sessionOf(p.id);
            const overrides = o.tamper ? { amount_total: p.amount + 1 } : {};
            expect(
              (await sendStripe(t, stripe.event("checkout.session.completed", s.id, overrides))).status,
            ).toBe(200);
          } else {
            const pay = yoo.paymentOf(p.id);
            yoo.setStatus(pay.id, "succeeded");
            if (o.tamper) yoo.update(pay.id, { amount: { value: "0.01", currency: p.currency } });
            expect((await sendYooKassa(t, pay.id)).status).toBe(200);
          }
        }
        if (!o.tamper && p.kind === "topup") credit(p.user_id, p.currency, p.amount);
        break;
      }
      case "close": {
        const pending = purchases("status = 'pending'");
        if (!pending.length) break;
        const p = pending[o.which % pending.length]!;
        if (p.provider === "stripe") {
          await sendStripe(t, stripe.event("checkout.session.expired", stripe.sessionOf(p.id).id));
        } else {
          const pay = yoo.paymentOf(p.id);
          yoo.setStatus(pay.id, "canceled");
          await sendYooKassa(t, pay.id, { event: "payment.canceled" });
        }
        break;
      }
      case "refund": {
        const done = purchases("status = 'succeeded' AND kind = 'package'");
        if (!done.length) break;
        const p = done[o.which % done.length]!;
        const r = await t.call("POST", `/api/v1/admin/purchases/${p.id}/refund`, {
          token: admin.token,
          body: { reason: "property" },
        });
        expect(r.status).toBe(200);
        credit(p.user_id, p.currency, p.amount);
        if (o.twice) {
          const again = await t.call("POST", `/api/v1/admin/purchases/${p.id}/refund`, {
            token: admin.token,
            body: { reason: "again" },
          });
          expect(again.status).toBe(409);
        }
        break;
      }
    }
  }

  const inv = ledgerInvariants(t);
  for (const s of inv.sums)
    expect({ currency: s.currency, total: s.total }).toEqual({ currency: s.currency, total: 0 });
  expect(inv.negativeUsers).toEqual([]);
  expect(inv.drift).toEqual([]);
  for (const u of users) {
    for (const cur of ["RUB", "USD"]) {
      expect(balanceOf(t.ctx.db, userAvailable(u.id, cur))).toBe(wallet.get(`${u.id}:${cur}`) ?? 0);
    }
  }
  // One grant per paid package purchase, one payment transfer per paid purchase with an amount.
  const q = (sql: string) => (t.ctx.sqlite.query(sql).get() as { n: number }).n;
  expect(q("SELECT count(*) AS n FROM grants WHERE purchase_id IS NOT NULL")).toBe(
    q("SELECT count(*) AS n FROM purchases WHERE kind = 'package' AND status IN ('succeeded', 'refunded')"),
  );
  expect(
    q("SELECT count(*) AS n FROM ledger_transfers WHERE idempotency_key LIKE 'purchase:%:payment'"),
  ).toBe(q("SELECT count(*) AS n FROM purchases WHERE amount > 0 AND status IN ('succeeded', 'refunded')"));
  expect(q("SELECT count(*) AS n FROM ledger_transfers WHERE idempotency_key LIKE 'purchase:%:refund'")).toBe(
    q("SELECT count(*) AS n FROM purchases WHERE amount > 0 AND status = 'refunded'"),
  );
  t.ctx.sqlite.close();
}

test("ledger: balances sum to 0 per currency and no user goes negative, whatever happens", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(Op, { minLength: 1, maxLength: 25 }), (ops) => run(ops)),
    { numRuns: 40 },
  );
}, 120_000);
