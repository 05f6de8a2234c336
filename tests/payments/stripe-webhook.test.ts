import { describe, expect, test } from "bun:test";
import { expectError } from "../helpers/app";
import { addPackage, count, ledgerInvariants, payApp, sendStripe } from "./setup";

const env = payApp();
const { t, stripe } = env;

async function pendingStripePurchase(price = 99000, currency = "RUB") {
  const u = await t.user();
  const pkg = addPackage(t, { price, currency, seconds: 600 });
  const r = await t.call("POST", "/api/v1/purchases", {
    token: u.token,
    body: { package_id: pkg.id, provider: "stripe" },
  });
  expect(r.status).toBe(201);
  return { u, pkg, purchase: r.body, session: stripe.sessionOf(r.body.id) };
}

const grantsOf = (purchaseId: number) =>
  count(t, "SELECT count(*) AS n FROM grants WHERE purchase_id = ?", purchaseId);
const paymentsOf = (purchaseId: number) =>
  count(
    t,
    "SELECT count(*) AS n FROM ledger_transfers WHERE reference_type = 'purchase' AND reference_id = ?",
    String(purchaseId),
  );
const statusOf = (purchaseId: number) =>
  (t.ctx.sqlite.query("SELECT status, failure_reason FROM purchases WHERE id = ?").get(purchaseId) as any) ??
  null;

describe("signature", () => {
  test("forged signature (wrong secret) -> 400 invalid_signature, nothing credited", async () => {
    const { purchase, session } = await pendingStripePurchase();
    const r = await sendStripe(t, stripe.event("checkout.session.completed", session.id), {
      secret: "whsec_attacker",
    });
    expectError(r, 400, "invalid_signature");
    expect(statusOf(purchase.id).status).toBe("pending");
    expect(grantsOf(purchase.id)).toBe(0);
  });

  test("missing Stripe-Signature -> 400 invalid_signature", async () => {
    const { session } = await pendingStripePurchase();
    expectError(
      await sendStripe(t, stripe.event("checkout.session.completed", session.id), { signature: null }),
      400,
      "invalid_signature",
    );
    expectError(await sendStripe(t, {}, { signature: "garbage" }), 400, "invalid_signature");
    expectError(await sendStripe(t, {}, { signature: "t=1,v0=abc" }), 400, "invalid_signature");
  });

  test("a body changed after signing -> 400 (the raw bytes are what is verified)", async () => {
    const { purchase, session } = await pendingStripePurchase();
    const event = stripe.event("checkout.session.completed", session.id);
    const payload = JSON.stringify(event, null, 2);
    const { signStripePayload } = await import("../helpers/fake-stripe");
    const sig = await signStripePayload(payload, "whsec_x", Math.floor(t.clock.now() / 1000));
    // Same JSON value, different bytes: still refused.
    expectError(
      await sendStripe(t, null, { raw: JSON.stringify(event), signature: sig }),
      400,
      "invalid_signature",
    );
    expect(statusOf(purchase.id).status).toBe("pending");
    // The exact bytes pass.
    expect((await sendStripe(t, null, { raw: payload, signature: sig })).body.outcome).toBe("succeeded");
  });

  test("stale: signed 301 s before the injected clock -> 400; 299 s -> accepted", async () => {
    const { purchase, session } = await pendingStripePurchase();
    const event = stripe.event("checkout.session.completed", session.id);
    const now = Math.floor(t.clock.now() / 1000);
    expectError(await sendStripe(t, event, { timestamp: now - 301 }), 400, "invalid_signature");
    expect(grantsOf(purchase.id)).toBe(0);
    const ok = await sendStripe(t, event, { timestamp: now - 299 });
    expect(ok.status).toBe(200);
    expect(grantsOf(purchase.id)).toBe(1);
  });

  test("a captured request replayed after the clock moved 6 minutes -> 400", async () => {
    const { purchase, session } = await pendingStripePurchase();
    const event = stripe.event("checkout.session.completed", session.id);
    const payload = JSON.stringify(event);
    const { signStripePayload } = await import("../helpers/fake-stripe");
    const sig = await signStripePayload(payload, "whsec_x", Math.floor(t.clock.now() / 1000));
    t.clock.advance(6 * 60_000);
    try {
      expectError(await sendStripe(t, null, { raw: payload, signature: sig }), 400, "invalid_signature");
    } finally {
      t.clock.advance(-6 * 60_000);
    }
    expect(statusOf(purchase.id).status).toBe("pending");
  });
});

describe("regressions: signed but malformed events, future timestamps", () => {
  const eventsNow = () => count(t, "SELECT count(*) AS n FROM events");

  test("a correctly signed completed event without data.object -> 400, nothing changes (was 500)", async () => {
    const { purchase, session } = await pendingStripePurchase();
    const full = stripe.event("checkout.session.completed", session.id);
    const before = eventsNow();
    for (const body of [
      { ...full, data: {} },
      { ...full, data: { object: null } },
      { ...full, data: undefined },
      { ...full, data: { object: "cs_test" } },
    ]) {
      const e = expectError(await sendStripe(t, body), 400, "validation_failed");
      expect(e.details.issues[0].path).toStartWith("body.data");
    }
    // A session object without its id cannot be matched to a purchase either.
    const { id: _id, ...noId } = full.data.object;
    expectError(await sendStripe(t, { ...full, data: { object: noId } }), 400, "validation_failed");
    expect(statusOf(purchase.id).status).toBe("pending");
    expect(grantsOf(purchase.id)).toBe(0);
    expect(paymentsOf(purchase.id)).toBe(0);
    expect(eventsNow()).toBe(before);
    // The well-formed event still credits.
    expect((await sendStripe(t, full)).body.outcome).toBe("succeeded");
  });

  test("a signed body that is not JSON -> 400 invalid_json; an expired event without data.object -> 400", async () => {
    const { purchase, session } = await pendingStripePurchase();
    expectError(await sendStripe(t, null, { raw: "{not json" }), 400, "invalid_json");
    const expired = stripe.event("checkout.session.expired", session.id);
    expectError(await sendStripe(t, { ...expired, data: {} }), 400, "validation_failed");
    expect(statusOf(purchase.id).status).toBe("pending");
  });

  test("signed 400 s in the future -> 400 invalid_signature (the tolerance holds both ways); 299 s ahead -> accepted", async () => {
    const { purchase, session } = await pendingStripePurchase();
    const event = stripe.event("checkout.session.completed", session.id);
    const now = Math.floor(t.clock.now() / 1000);
    expectError(await sendStripe(t, event, { timestamp: now + 400 }), 400, "invalid_signature");
    expectError(await sendStripe(t, event, { timestamp: now + 301 }), 400, "invalid_signature");
    expect(statusOf(purchase.id).status).toBe("pending");
    expect(grantsOf(purchase.id)).toBe(0);
    const ok = await sendStripe(t, event, { timestamp: now + 299 });
    expect(ok.status).toBe(200);
    expect(grantsOf(purchase.id)).toBe(1);
  });
});

describe("replays", () => {
  test("the same completed event 10 times (concurrently) credits exactly once", async () => {
    const { u, purchase, session } = await pendingStripePurchase();
    const event = stripe.event("checkout.session.completed", session.id);
    const results = await Promise.all(Array.from({ length: 10 }, () => sendStripe(t, event)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const outcomes = results.map((r) => r.body.outcome).sort();
    expect(outcomes.filter((o) => o === "succeeded").length).toBe(1);
    expect(outcomes.filter((o) => o === "already_processed").length).toBe(9);
    expect(grantsOf(purchase.id)).toBe(1);
    expect(paymentsOf(purchase.id)).toBe(1);
    const bal = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(bal.body.remaining_seconds).toBe(600);
    expect(
      count(
        t,
        "SELECT count(*) AS n FROM notifications WHERE user_id = ? AND type = 'payment_received'",
        u.id,
      ),
    ).toBe(1);
  });

  test("10 differently-signed deliveries (new timestamps) of the event also credit once", async () => {
    const { purchase, session } = await pendingStripePurchase();
    const event = stripe.event("checkout.session.completed", session.id);
    for (let i = 0; i < 10; i++) {
      t.clock.advance(1000);
      expect((await sendStripe(t, event)).status).toBe(200);
    }
    expect(grantsOf(purchase.id)).toBe(1);
    expect(paymentsOf(purchase.id)).toBe(1);
  });
});

describe("event handling", () => {
  test("amount mismatch -> 200, no credit, purchase failed with the reason", async () => {
    const { purchase, session } = await pendingStripePurchase(99000);
    const r = await sendStripe(
      t,
      stripe.event("checkout.session.completed", session.id, { amount_total: 100 }),
    );
    expect(r.status).toBe(200);
    expect(r.body.outcome).toBe("failed");
    const row = statusOf(purchase.id);
    expect(row.status).toBe("failed");
    expect(row.failure_reason).toContain("amount mismatch");
    expect(grantsOf(purchase.id)).toBe(0);
    expect(paymentsOf(purchase.id)).toBe(0);
    // A later correct-looking event does not resurrect it.
    expect((await sendStripe(t, stripe.event("checkout.session.completed", session.id))).body.outcome).toBe(
      "ignored",
    );
    expect(grantsOf(purchase.id)).toBe(0);
  });

  test("currency mismatch -> 200, no credit", async () => {
    const { purchase, session } = await pendingStripePurchase(99000, "RUB");
    const r = await sendStripe(
      t,
      stripe.event("checkout.session.completed", session.id, { currency: "usd" }),
    );
    expect(r.body.outcome).toBe("failed");
    expect(grantsOf(purchase.id)).toBe(0);
  });

  test("completed but unpaid (delayed method) -> pending; async_payment_succeeded then credits", async () => {
    const { purchase, session } = await pendingStripePurchase();
    const r = await sendStripe(
      t,
      stripe.event("checkout.session.completed", session.id, { payment_status: "unpaid" }),
    );
    expect(r.body.outcome).toBe("pending");
    expect(statusOf(purchase.id).status).toBe("pending");
    const r2 = await sendStripe(
      t,
      stripe.event("checkout.session.async_payment_succeeded", session.id, { payment_status: "paid" }),
    );
    expect(r2.body.outcome).toBe("succeeded");
    expect(grantsOf(purchase.id)).toBe(1);
  });

  test("checkout.session.expired fails the purchase; a late completed is ignored", async () => {
    const { purchase, session } = await pendingStripePurchase();
    const r = await sendStripe(t, stripe.event("checkout.session.expired", session.id));
    expect(r.body).toEqual({ received: true, outcome: "failed", purchase_id: purchase.id });
    expect(statusOf(purchase.id)).toEqual({
      status: "failed",
      failure_reason: "stripe: checkout session expired",
    });
    expect((await sendStripe(t, stripe.event("checkout.session.completed", session.id))).body.outcome).toBe(
      "ignored",
    );
    expect(grantsOf(purchase.id)).toBe(0);
  });

  test("an expired event for a purchase that already succeeded changes nothing", async () => {
    const { purchase, session } = await pendingStripePurchase();
    await sendStripe(t, stripe.event("checkout.session.completed", session.id));
    const r = await sendStripe(t, stripe.event("checkout.session.expired", session.id));
    expect(r.body.outcome).toBe("ignored");
    expect(statusOf(purchase.id).status).toBe("succeeded");
  });

  test("other event types -> 200 ignored", async () => {
    const { purchase, session } = await pendingStripePurchase();
    for (const type of ["payment_intent.succeeded", "charge.refunded", "customer.created"]) {
      const r = await sendStripe(t, stripe.event(type, session.id));
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ received: true, outcome: "ignored" });
    }
    expect(statusOf(purchase.id).status).toBe("pending");
  });

  test("an event naming an unknown purchase, or a non-stripe purchase, is ignored", async () => {
    const { session } = await pendingStripePurchase();
    const unknown = await sendStripe(
      t,
      stripe.event("checkout.session.completed", session.id, {
        metadata: { purchase_id: "999999" },
        client_reference_id: "999999",
      }),
    );
    expect(unknown.body.outcome).toBe("ignored");
    const u = await t.user();
    const pkg = addPackage(t);
    const yk = await t.call("POST", "/api/v1/purchases", {
      token: u.token,
      body: { package_id: pkg.id, provider: "yookassa" },
    });
    const cross = await sendStripe(
      t,
      stripe.event("checkout.session.completed", session.id, {
        metadata: { purchase_id: String(yk.body.id) },
        client_reference_id: null,
      }),
    );
    expect(cross.body.outcome).toBe("ignored");
    expect(statusOf(yk.body.id).status).toBe("pending");
  });

  test("a session id other than the purchase's is ignored", async () => {
    const { purchase, session } = await pendingStripePurchase();
    const r = await sendStripe(
      t,
      stripe.event("checkout.session.completed", session.id, { id: "cs_test_other" }),
    );
    expect(r.body.outcome).toBe("ignored");
    expect(statusOf(purchase.id).status).toBe("pending");
  });

  test("webhooks need no auth and also answer under /api", async () => {
    const { purchase, session } = await pendingStripePurchase();
    const payload = JSON.stringify(stripe.event("checkout.session.completed", session.id));
    const { signStripePayload } = await import("../helpers/fake-stripe");
    const sig = await signStripePayload(payload, "whsec_x", Math.floor(t.clock.now() / 1000));
    const r = await t.call("POST", "/api/payments/webhooks/stripe/", {
      raw: payload,
      headers: { "stripe-signature": sig },
    });
    expect(r.status).toBe(200);
    expect(statusOf(purchase.id).status).toBe("succeeded");
  });
});

test("ledger invariants hold after this file", () => {
  const inv = ledgerInvariants(t);
  for (const s of inv.sums) expect(s.total).toBe(0);
  expect(inv.negativeUsers).toEqual([]);
  expect(inv.drift).toEqual([]);
});
