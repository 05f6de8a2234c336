import { describe, expect, test } from "bun:test";
import pino from "pino";
import { parseEnv } from "../../src/env";
import { balanceOf, providerClearing, userAvailable } from "../../src/modules/ledger/service";
import { demoWebhookSecret, signDemoPayload, warnDemoPayments } from "../../src/providers/demo";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { addPackage, count, ledgerInvariants } from "./setup";

const t = makeTestApp({ DEMO_PAYMENTS: "true", PUBLIC_URL: "https://souk.example/" });

const grantsOf = (purchaseId: number) =>
  count(t, "SELECT count(*) AS n FROM grants WHERE purchase_id = ?", purchaseId);
const paymentsOf = (purchaseId: number) =>
  count(
    t,
    "SELECT count(*) AS n FROM ledger_transfers WHERE reference_type = 'purchase' AND reference_id = ?",
    String(purchaseId),
  );
const statusOf = (id: number) =>
  (t.ctx.sqlite.query("SELECT status FROM purchases WHERE id = ?").get(id) as { status: string }).status;
const checkoutOf = (confirmationUrl: string) => confirmationUrl.split("/").pop()!;
const pagePath = (confirmationUrl: string) => new URL(confirmationUrl).pathname;

async function demoPurchase(o: { price?: number; seconds?: number; name?: string } = {}) {
  const u = await t.user();
  const pkg = addPackage(t, {
    price: o.price ?? 49000,
    seconds: o.seconds ?? 3600,
    ...(o.name ? { name: o.name } : {}),
  });
  const r = await t.call("POST", "/api/v1/purchases", {
    token: u.token,
    body: { package_id: pkg.id, provider: "demo" },
  });
  expect(r.status).toBe(201);
  return { u, pkg, purchase: r.body, checkout: checkoutOf(r.body.confirmation_url) };
}

/** A demo webhook event for a purchase, signed with `secret` at `ts` (default: the app's secret, now). */
function signedEvent(
  p: { id: number; amount: number; currency: string },
  checkout: string,
  o: { type?: string; secret?: string; ts?: number; overrides?: Record<string, unknown> } = {},
) {
  const ts = o.ts ?? Math.floor(t.clock.now() / 1000);
  const raw = JSON.stringify({
    id: `evt_demo_test_${Math.random().toString(36).slice(2)}`,
    type: o.type ?? "payment.succeeded",
    checkout_id: checkout,
    purchase_id: p.id,
    amount: p.amount,
    currency: p.currency,
    created: ts,
    ...o.overrides,
  });
  return { raw, signature: signDemoPayload(o.secret ?? demoWebhookSecret(t.ctx), raw, ts) };
}

const sendDemo = (app: TestApp, raw: string, signature?: string) =>
  app.call("POST", "/api/v1/payments/webhooks/demo", {
    raw,
    headers: signature === undefined ? {} : { "demo-signature": signature },
  });

describe("purchase with the demo provider", () => {
  test("pending with a confirmation_url on souk; the page pays; minutes are granted once", async () => {
    const { u, pkg, purchase, checkout } = await demoPurchase({ name: "Starter <60 min>" });
    expect(purchase).toMatchObject({ status: "pending", provider: "demo", amount: 49000, currency: "RUB" });
    expect(purchase.confirmation_url).toMatch(
      /^https:\/\/souk\.example\/api\/v1\/payments\/demo\/demo_[0-9a-f]{32}$/,
    );

    const page = await t.call("GET", pagePath(purchase.confirmation_url));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toStartWith("text/html");
    expect(page.body).toContain("Starter &lt;60 min&gt;");
    expect(page.body).toContain("490.00 RUB");
    expect(page.body).toContain('name="action" value="pay"');
    expect(page.body).toContain('name="action" value="decline"');
    // No scripts, no external assets.
    expect(page.body).not.toMatch(/<script|src=|href=|https?:\/\//i);

    const paid = await t.call("POST", pagePath(purchase.confirmation_url), { body: { action: "pay" } });
    expect(paid.status).toBe(200);
    expect(paid.body.outcome).toBe("succeeded");
    expect(paid.body.purchase).toMatchObject({ id: purchase.id, status: "succeeded", provider: "demo" });
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(bal.body.remaining_seconds).toBe(3600);
    expect(bal.body.grants[0]).toMatchObject({ package_id: pkg.id, total_seconds: 3600 });

    // Paying again (a double click, a retried request) credits nothing more.
    const again = await t.call("POST", pagePath(purchase.confirmation_url));
    expect(again.body.outcome).toBe("already_processed");
    expect(grantsOf(purchase.id)).toBe(1);
    expect(paymentsOf(purchase.id)).toBe(1);
    // The money came through the demo provider's clearing account, like any provider's.
    expect(balanceOf(t.ctx.db, providerClearing("demo", "RUB"))).toBeLessThanOrEqual(-49000);
    expect(checkout).toStartWith("demo_");
    // The page now says so and offers no buttons.
    const after = await t.call("GET", pagePath(purchase.confirmation_url));
    expect(after.body).toContain("already <strong>succeeded</strong>");
    expect(after.body).not.toContain('value="pay"');
  });

  test("the page's form post answers HTML; Decline fails the purchase and grants nothing", async () => {
    const a = await demoPurchase();
    const form = await t.call("POST", pagePath(a.purchase.confirmation_url), {
      raw: "action=pay",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(200);
    expect(form.headers.get("content-type")).toStartWith("text/html");
    expect(form.body).toContain("Payment completed");
    expect(statusOf(a.purchase.id)).toBe("succeeded");

    const b = await demoPurchase();
    const declined = await t.call("POST", pagePath(b.purchase.confirmation_url), {
      raw: "action=decline",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(declined.body).toContain("Payment declined");
    expect(statusOf(b.purchase.id)).toBe("failed");
    expect(grantsOf(b.purchase.id)).toBe(0);
    // A declined purchase cannot be paid afterwards.
    const late = await t.call("POST", pagePath(b.purchase.confirmation_url), { body: { action: "pay" } });
    expect(late.body.outcome).toBe("ignored");
    expect(grantsOf(b.purchase.id)).toBe(0);
  });

  test("a bot acting as a Telegram user buys with demo and the user gets the minutes", async () => {
    const partner = await t.user("partner");
    const key = await t.call("POST", "/api/v1/me/api-keys", {
      token: partner.token,
      body: { name: "bot", scopes: ["bot:act_as"] },
    });
    const bot = key.body.key as string;
    const user = await t.call("POST", "/api/v1/bot/users", { token: bot, body: { telegram_id: 777001 } });
    expect(user.status).toBe(201);
    const as = { "x-act-as-telegram-id": "777001" };
    const pkg = addPackage(t, { seconds: 600, price: 10000 });
    const buy = await t.call("POST", "/api/v1/purchases", {
      token: bot,
      headers: as,
      body: { package_id: pkg.id, provider: "demo" },
    });
    expect(buy.status).toBe(201);
    await t.call("POST", pagePath(buy.body.confirmation_url));
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: bot, headers: as });
    expect(bal.body.remaining_seconds).toBe(600);
  });

  test("bad page input: malformed checkout id -> 400, unknown -> 404, bad action -> 400", async () => {
    expectError(await t.call("GET", "/api/v1/payments/demo/123"), 400, "validation_failed");
    const unknown = `/api/v1/payments/demo/demo_${"0".repeat(32)}`;
    expectError(await t.call("GET", unknown), 404, "not_found");
    expectError(await t.call("POST", unknown), 404, "not_found");
    const { purchase } = await demoPurchase();
    expectError(
      await t.call("POST", pagePath(purchase.confirmation_url), { body: { action: "refund" } }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("POST", pagePath(purchase.confirmation_url), { body: { action: "pay", extra: 1 } }),
      400,
      "validation_failed",
    );
    expect(statusOf(purchase.id)).toBe("pending");
  });

  test("buying needs a credential", async () => {
    const pkg = addPackage(t);
    expectError(
      await t.call("POST", "/api/v1/purchases", { body: { package_id: pkg.id, provider: "demo" } }),
      401,
      "unauthenticated",
    );
  });
});

describe("wallet top-up with the demo provider", () => {
  test("pay on the page -> the wallet is credited once", async () => {
    const u = await t.user();
    const r = await t.call("POST", "/api/v1/wallet/topups", {
      token: u.token,
      body: { amount: 25000, provider: "demo" },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: "topup", status: "pending", provider: "demo", currency: "RUB" });
    const page = await t.call("GET", pagePath(r.body.confirmation_url));
    expect(page.body).toContain("Wallet top-up");
    await t.call("POST", pagePath(r.body.confirmation_url), { body: { action: "pay" } });
    await t.call("POST", pagePath(r.body.confirmation_url), { body: { action: "pay" } });
    expect(balanceOf(t.ctx.db, userAvailable(u.id, "RUB"))).toBe(25000);
    const w = await t.call("GET", "/api/v1/wallet", { token: u.token });
    expect(w.body.available).toBe(25000);
  });
});

describe("POST /payments/webhooks/demo", () => {
  test("a signed event replayed 5 times (concurrently) credits once", async () => {
    const { u, purchase, checkout } = await demoPurchase({ seconds: 900 });
    const { raw, signature } = signedEvent(purchase, checkout);
    const results = await Promise.all(Array.from({ length: 5 }, () => sendDemo(t, raw, signature)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const outcomes = results.map((r) => r.body.outcome);
    expect(outcomes.filter((o) => o === "succeeded").length).toBe(1);
    expect(outcomes.filter((o) => o === "already_processed").length).toBe(4);
    expect(grantsOf(purchase.id)).toBe(1);
    expect(paymentsOf(purchase.id)).toBe(1);
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(bal.body.remaining_seconds).toBe(900);
  });

  test("unsigned, forged, tampered, stale or future-dated -> 400 invalid_signature, nothing credited", async () => {
    const { purchase, checkout } = await demoPurchase();
    const now = Math.floor(t.clock.now() / 1000);
    const good = signedEvent(purchase, checkout);
    expectError(await sendDemo(t, good.raw), 400, "invalid_signature");
    expectError(await sendDemo(t, good.raw, "garbage"), 400, "invalid_signature");
    expectError(await sendDemo(t, good.raw, "t=1,v1="), 400, "invalid_signature");
    const forged = signedEvent(purchase, checkout, { secret: "not-the-secret" });
    expectError(await sendDemo(t, forged.raw, forged.signature), 400, "invalid_signature");
    expectError(await sendDemo(t, good.raw.replace("49000", "1"), good.signature), 400, "invalid_signature");
    for (const ts of [now - 301, now + 301, now + 400]) {
      const e = signedEvent(purchase, checkout, { ts });
      expectError(await sendDemo(t, e.raw, e.signature), 400, "invalid_signature");
    }
    expect(statusOf(purchase.id)).toBe("pending");
    expect(grantsOf(purchase.id)).toBe(0);
    // Inside the window, either way, it is accepted.
    const edge = signedEvent(purchase, checkout, { ts: now + 299 });
    expect((await sendDemo(t, edge.raw, edge.signature)).body.outcome).toBe("succeeded");
  });

  test("signed but not JSON -> 400 invalid_json; signed but malformed -> 400 validation_failed", async () => {
    const { purchase, checkout } = await demoPurchase();
    const ts = Math.floor(t.clock.now() / 1000);
    const secret = demoWebhookSecret(t.ctx);
    expectError(await sendDemo(t, "{nope", signDemoPayload(secret, "{nope", ts)), 400, "invalid_json");
    for (const overrides of [
      { type: "payment.refunded" },
      { purchase_id: "x" },
      { amount: 1.5 },
      { extra: 1 },
    ]) {
      const e = signedEvent(purchase, checkout, { overrides });
      expectError(await sendDemo(t, e.raw, e.signature), 400, "validation_failed");
    }
    expect(statusOf(purchase.id)).toBe("pending");
  });

  test("another purchase's checkout id or a wrong amount credits nothing", async () => {
    const a = await demoPurchase();
    const b = await demoPurchase();
    const cross = signedEvent(a.purchase, b.checkout);
    expect((await sendDemo(t, cross.raw, cross.signature)).body.outcome).toBe("ignored");
    expect(statusOf(a.purchase.id)).toBe("pending");
    const cheap = signedEvent(a.purchase, a.checkout, { overrides: { amount: 100 } });
    expect((await sendDemo(t, cheap.raw, cheap.signature)).body.outcome).toBe("failed");
    expect(grantsOf(a.purchase.id)).toBe(0);
  });
});

describe("DEMO_PAYMENTS off", () => {
  const off = makeTestApp({ PUBLIC_URL: "https://souk.example" });

  test("provider demo is refused like any unavailable provider; its page and webhook are 404", async () => {
    const u = await off.user();
    const pkg = addPackage(off);
    const buy = expectError(
      await off.call("POST", "/api/v1/purchases", {
        token: u.token,
        body: { package_id: pkg.id, provider: "demo" },
      }),
      400,
      "validation_failed",
    );
    expect(buy.details.issues[0].path).toBe("json.provider");
    expectError(
      await off.call("POST", "/api/v1/wallet/topups", {
        token: u.token,
        body: { amount: 100, provider: "demo" },
      }),
      400,
      "validation_failed",
    );
    expect(count(off, "SELECT count(*) AS n FROM purchases")).toBe(0);
    expectError(await off.call("GET", `/api/v1/payments/demo/demo_${"a".repeat(32)}`), 404, "not_found");
    const raw = JSON.stringify({ type: "payment.succeeded" });
    const sig = signDemoPayload(demoWebhookSecret(off.ctx), raw, Math.floor(off.clock.now() / 1000));
    expectError(await sendDemo(off, raw, sig), 404, "not_found");
  });
});

describe("configuration", () => {
  test("DEMO_PAYMENTS=true is refused with NODE_ENV=production; allowed elsewhere; off by default", () => {
    expect(() => parseEnv({ NODE_ENV: "production", DEMO_PAYMENTS: "true" })).toThrow(
      /^invalid configuration: DEMO_PAYMENTS: .*production/,
    );
    expect(parseEnv({ NODE_ENV: "production", DEMO_PAYMENTS: "false" }).DEMO_PAYMENTS).toBe(false);
    expect(parseEnv({ NODE_ENV: "development", DEMO_PAYMENTS: "true" }).DEMO_PAYMENTS).toBe(true);
    expect(parseEnv({}).DEMO_PAYMENTS).toBe(false);
    expect(() => parseEnv({ DEMO_PAYMENTS: "maybe" })).toThrow(/DEMO_PAYMENTS/);
  });

  test("when on, start-up logs a warning that demo payments must never be used in production", () => {
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (s: string) => lines.push(s) });
    warnDemoPayments(parseEnv({ DEMO_PAYMENTS: "true" }), logger);
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry.level).toBe(40);
    expect(entry.msg).toContain("DEMO PAYMENTS ARE ENABLED");
    expect(entry.msg).toContain("Never use this in production");
    warnDemoPayments(parseEnv({}), logger);
    expect(lines).toHaveLength(1);
  });
});

test("ledger invariants hold after this file", () => {
  const inv = ledgerInvariants(t);
  for (const s of inv.sums) expect(s.total).toBe(0);
  expect(inv.negativeUsers).toEqual([]);
  expect(inv.drift).toEqual([]);
});
