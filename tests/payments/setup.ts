import { afterAll } from "bun:test";
import { packages, promoCodes } from "../../src/db/schema";
import { providerClearing, transfer, userAvailable } from "../../src/modules/ledger/service";
import { makeTestApp, type TestApp } from "../helpers/app";
import { type FakeStripe, signStripePayload, startFakeStripe } from "../helpers/fake-stripe";
import { type FakeYooKassa, startFakeYooKassa, yookassaNotification } from "../helpers/fake-yookassa";

export const STRIPE_KEY = "sk_test_x";
export const STRIPE_WHSEC = "whsec_x";
export const YOO_SHOP = "123456";
export const YOO_SECRET = "test_secret";

export type PayEnv = {
  t: TestApp;
  stripe: FakeStripe;
  yoo: FakeYooKassa;
  /** While true every outgoing call from the app fails like a dropped connection. */
  network: { down: boolean };
};

/** A test app wired to fresh fake Stripe and YooKassa servers (stopped after the file). */
export function payApp(env: Record<string, string> = {}): PayEnv {
  const stripe = startFakeStripe({ secretKey: STRIPE_KEY });
  const yoo = startFakeYooKassa({ shopId: YOO_SHOP, secretKey: YOO_SECRET });
  const network = { down: false };
  const guarded = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) =>
    network.down
      ? Promise.reject(new TypeError("fetch failed: connection refused"))
      : fetch(input, init)) as typeof fetch;
  const t = makeTestApp(
    {
      STRIPE_SECRET_KEY: STRIPE_KEY,
      STRIPE_WEBHOOK_SECRET: STRIPE_WHSEC,
      STRIPE_API_BASE: stripe.url,
      YOOKASSA_SHOP_ID: YOO_SHOP,
      YOOKASSA_SECRET_KEY: YOO_SECRET,
      YOOKASSA_API_BASE: yoo.url,
      PUBLIC_URL: "https://souk.example",
      ...env,
    },
    { fetch: guarded },
  );
  afterAll(() => {
    stripe.stop();
    yoo.stop();
  });
  return { t, stripe, yoo, network };
}

let pkgSeq = 0;
/** Inserts a package directly (the admin package routes belong to another module). */
export function addPackage(
  t: TestApp,
  p: Partial<typeof packages.$inferInsert> = {},
): typeof packages.$inferSelect {
  pkgSeq++;
  const now = t.clock.now();
  return t.ctx.db
    .insert(packages)
    .values({
      name: `Package ${pkgSeq}`,
      seconds: 3600,
      price: 99000,
      currency: "RUB",
      validityDays: 30,
      createdAt: now,
      updatedAt: now,
      ...p,
    })
    .returning()
    .get();
}

export function addPromo(t: TestApp, p: Partial<typeof promoCodes.$inferInsert> & { code: string }) {
  const now = t.clock.now();
  return t.ctx.db
    .insert(promoCodes)
    .values({ createdAt: now, updatedAt: now, ...p })
    .returning()
    .get();
}

let fundSeq = 0;
/** Puts money on a user's wallet as an outside payment would (provider clearing -> available). */
export function fundWallet(t: TestApp, userId: number, amount: number, currency = "RUB") {
  fundSeq++;
  t.ctx.db.transaction(
    (tx) =>
      transfer(t.ctx, tx, {
        from: providerClearing("test", currency),
        to: userAvailable(userId, currency),
        amount,
        kind: "adjustment",
        idempotencyKey: `test-fund:${userId}:${fundSeq}:${Math.random()}`,
      }),
    { behavior: "immediate" },
  );
}

/** POSTs a Stripe event signed with `secret` at `timestamp` (seconds; default: the app clock). */
export async function sendStripe(
  t: TestApp,
  event: unknown,
  o: { secret?: string; timestamp?: number; signature?: string | null; raw?: string } = {},
) {
  const payload = o.raw ?? JSON.stringify(event, null, 2);
  const header =
    o.signature === null
      ? undefined
      : (o.signature ??
        (await signStripePayload(
          payload,
          o.secret ?? STRIPE_WHSEC,
          o.timestamp ?? Math.floor(t.clock.now() / 1000),
        )));
  return t.call("POST", "/api/v1/payments/webhooks/stripe", {
    raw: payload,
    headers: header === undefined ? {} : { "stripe-signature": header },
  });
}

/** Completes the Stripe checkout of a purchase: the signed `checkout.session.completed`. */
export function payWithStripe(env: PayEnv, purchaseId: number, overrides: Record<string, unknown> = {}) {
  const s = env.stripe.sessionOf(purchaseId);
  return sendStripe(env.t, env.stripe.event("checkout.session.completed", s.id, overrides));
}

/** YooKassa notification for a payment (the body may lie: only the API's answer counts). */
export function sendYooKassa(
  t: TestApp,
  paymentId: string,
  o: { event?: string; headers?: Record<string, string>; body?: unknown } = {},
) {
  return t.call("POST", "/api/v1/payments/webhooks/yookassa", {
    body: o.body ?? yookassaNotification({ id: paymentId, status: "succeeded", paid: true }, o.event),
    headers: o.headers,
  });
}

/** Marks the YooKassa payment of a purchase succeeded and notifies souk. */
export function payWithYooKassa(env: PayEnv, purchaseId: number) {
  const p = env.yoo.paymentOf(purchaseId);
  env.yoo.setStatus(p.id, "succeeded");
  return sendYooKassa(env.t, p.id);
}

/** Ledger invariants of DESIGN.md §5: per-currency sums are 0, no user account is negative. */
export function ledgerInvariants(t: TestApp) {
  const sums = t.ctx.sqlite
    .query<{ currency: string; total: number }, []>(
      "SELECT currency, SUM(balance) AS total FROM ledger_accounts GROUP BY currency",
    )
    .all();
  const negativeUsers = t.ctx.sqlite
    .query<{ id: number }, []>("SELECT id FROM ledger_accounts WHERE owner_type = 'user' AND balance < 0")
    .all();
  // The cached balances must also equal what the transfers say.
  const drift = t.ctx.sqlite
    .query<{ id: number }, []>(
      `SELECT a.id FROM ledger_accounts a
       WHERE a.balance != COALESCE((SELECT SUM(amount) FROM ledger_transfers WHERE credit_account_id = a.id), 0)
                        - COALESCE((SELECT SUM(amount) FROM ledger_transfers WHERE debit_account_id = a.id), 0)`,
    )
    .all();
  return { sums, negativeUsers, drift };
}

export function count(t: TestApp, sql: string, ...params: (string | number)[]): number {
  return (t.ctx.sqlite.query(sql).get(...params) as { n: number }).n;
}
