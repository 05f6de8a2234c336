import { DAY, HOUR, MINUTE, SECOND } from "../lib/time";
import { platformRevenue, providerClearing, userAvailable } from "../modules/ledger/service";
import type { Grant, PackageRow, Person, World } from "./world";
import { nextRun } from "./world";

type External = "stripe" | "yookassa";
type Provider = External | "wallet";

/** Wallet top-up amounts offered by the front ends, in major units per currency. */
const TOPUP_STEPS: Record<string, number[]> = {
  RUB: [500, 1000, 2000, 3000, 5000, 10_000, 20_000, 50_000, 100_000],
  USD: [10, 20, 50, 100, 200, 500, 1000],
  EUR: [10, 20, 50, 100, 200, 500, 1000],
};
const YOOKASSA_CANCELS = [
  "insufficient_funds",
  "expired_on_confirmation",
  "card_expired",
  "3d_secure_failed",
];

function externalFor(w: World, currency: string): External {
  return currency === "RUB" && w.rng.chance(0.68) ? "yookassa" : "stripe";
}

/** A provider payment id and its payment page, shaped like the real ones. */
function checkout(w: World, provider: External) {
  if (provider === "yookassa") {
    const ref = `${w.rng.hex(8)}-000f-5000-${w.rng.pick(["8", "9", "a", "b"])}000-${w.rng.hex(12)}`;
    return { ref, url: `https://yoomoney.ru/checkout/payments/v2/contract?orderId=${ref}` };
  }
  const ref = `cs_live_${w.rng.hex(58)}`;
  return { ref, url: `https://checkout.stripe.com/c/pay/${ref}` };
}

function failureReason(w: World, provider: External) {
  return provider === "stripe"
    ? "stripe: checkout session expired"
    : `yookassa: canceled (${w.rng.pick(YOOKASSA_CANCELS)})`;
}

type Outcome = "succeeded" | "failed";

/**
 * A purchase or top-up as payments/service.ts records it: the row (in its final state) and
 * `purchase.created` at `t`; for a provider, `purchase.checkout_created` a moment later and the
 * webhook's outcome at `settleAt`; the wallet pays at once. `onPaid` runs when the money arrived.
 */
function purchase(
  w: World,
  p: Person,
  o: {
    t: number;
    kind: "package" | "topup";
    pkg: PackageRow | null;
    provider: Provider;
    amount: number;
    currency: string;
    outcome: Outcome;
    settleAt: number;
    refundAt?: number;
    onPaid?: (t: number, purchaseId: number) => void;
  },
) {
  const wallet = o.provider === "wallet";
  const settleAt = wallet ? o.t : o.settleAt;
  const settled = settleAt <= w.end;
  const refunded = settled && o.outcome === "succeeded" && o.refundAt !== undefined && o.refundAt <= w.end;
  const status = refunded ? "refunded" : settled ? o.outcome : "pending";
  const c = wallet ? null : checkout(w, o.provider as External);
  const reason = status === "failed" ? failureReason(w, o.provider as External) : null;
  const paidAt = status === "succeeded" || status === "refunded" ? settleAt : null;
  const id = w.w.insert(
    "purchases",
    p.id,
    o.kind,
    o.pkg?.id ?? null,
    o.provider,
    status,
    o.amount,
    o.currency,
    c?.ref ?? null,
    c?.url ?? null,
    reason,
    paidAt,
    refunded ? o.refundAt! : null,
    o.t,
    refunded ? o.refundAt! : settled ? settleAt : o.t,
  );
  const created =
    o.kind === "package"
      ? {
          kind: "package",
          package_id: o.pkg!.id,
          provider: o.provider,
          amount: o.amount,
          currency: o.currency,
          discount: 0,
          promo_code_id: null,
        }
      : { kind: "topup", provider: o.provider, amount: o.amount, currency: o.currency };
  w.w.event(o.t, "purchase.created", p.id, "purchase", id, created);
  // Paid on the spot (the wallet, or a provider confirming at once): everything happens now.
  const atOnce = settleAt <= o.t;
  if (c) {
    const opened = () =>
      w.w.event(w.timeline.now, "purchase.checkout_created", p.id, "purchase", id, {
        provider: o.provider,
        provider_ref: c.ref,
      });
    if (atOnce) opened();
    else w.at(o.t + w.rng.int(1, 3) * SECOND, opened);
  }
  const settle = () => {
    const t = settleAt;
    if (o.outcome === "failed") {
      w.w.event(t, "purchase.failed", null, "purchase", id, {
        reason,
        provider: o.provider,
        amount: o.amount,
        currency: o.currency,
      });
      return;
    }
    w.books.move(t, {
      from: wallet ? userAvailable(p.id, o.currency) : providerClearing(o.provider, o.currency),
      to: o.kind === "topup" ? userAvailable(p.id, o.currency) : platformRevenue(o.currency),
      amount: o.amount,
      kind: "payment",
      key: `purchase:${id}:payment`,
      reference: { type: "purchase", id },
      metadata: { provider: o.provider, kind: o.kind },
    });
    const grant = o.pkg ? createGrant(w, p, o.pkg, id, t) : null;
    w.w.event(t, "purchase.succeeded", wallet ? p.id : null, "purchase", id, {
      kind: o.kind,
      provider: o.provider,
      amount: o.amount,
      currency: o.currency,
      provider_ref: c?.ref ?? null,
      grant_id: grant?.id ?? null,
    });
    o.onPaid?.(t, id);
    if (refunded && grant) w.at(o.refundAt!, () => refund(w, p, id, o.amount, o.currency, grant));
  };
  if (atOnce) settle();
  else w.at(settleAt, settle);
  return { id, status };
}

/** A paid package becomes a grant (billing/grants.ts createGrant); lapsed grants expire on the 10-minute sweep. */
function createGrant(w: World, p: Person, pkg: PackageRow, purchaseId: number, t: number): Grant {
  const expiresAt = t + pkg.validityDays * DAY;
  const id = w.w.insert(
    "grants",
    p.id,
    purchaseId,
    pkg.id,
    pkg.seconds,
    pkg.seconds,
    t,
    expiresAt,
    "active",
    t,
  );
  const g: Grant = {
    id,
    userId: p.id,
    total: pkg.seconds,
    remaining: pkg.seconds,
    purchasedAt: t,
    expiresAt,
    status: "active",
  };
  w.grants.push(g);
  const list = w.grantsByUser.get(p.id) ?? [];
  // Spend order: expires first, then bought first (ids grow with time, so they follow).
  let i = list.length;
  while (i > 0 && list[i - 1]!.expiresAt > expiresAt) i--;
  list.splice(i, 0, g);
  w.grantsByUser.set(p.id, list);
  w.w.event(t, "grant.created", p.id, "grant", id, {
    user_id: p.id,
    seconds: pkg.seconds,
    purchase_id: purchaseId,
    expires_at: expiresAt,
  });
  w.at(nextRun(expiresAt, 10), () => {
    if (g.status !== "active") return;
    g.status = "expired";
    if (g.remaining > 0) {
      w.w.event(w.timeline.now, "grant.expired", null, "grant", id, {
        user_id: p.id,
        unused_seconds: g.remaining,
      });
    }
  });
  return g;
}

/** An admin's full refund (payments/refunds.ts): the grant's unspent seconds are revoked, the money returns to the wallet. */
function refund(w: World, p: Person, purchaseId: number, amount: number, currency: string, g: Grant) {
  const t = w.timeline.now;
  const admin = w.pickAdmin();
  const revoked = g.status === "active" ? g.remaining : 0;
  g.remaining = 0;
  g.status = "revoked";
  w.w.event(t, "grant.revoked", admin, "grant", g.id, { purchase_id: purchaseId, revoked_seconds: revoked });
  const reason = w.rng.pick(["customer request", "double charge", "service outage", "duplicate purchase"]);
  w.books.move(t, {
    from: platformRevenue(currency),
    to: userAvailable(p.id, currency),
    amount,
    kind: "refund",
    key: `purchase:${purchaseId}:refund`,
    reference: { type: "purchase", id: purchaseId },
    metadata: { reason, prorated: false },
  });
  const details = {
    reason,
    amount,
    currency,
    prorated: false,
    refunded_amount: amount,
    revoked_seconds: revoked,
    user_id: p.id,
  };
  w.w.audit(t, admin, "purchase.refund", "purchase", purchaseId, details);
  w.w.event(t, "purchase.refunded", admin, "purchase", purchaseId, details);
}

/**
 * Makes sure the user's wallet holds `amount` within five minutes of `t`: one top-up of the
 * next usual amount (sometimes after a failed attempt). Nothing when the wallet already does.
 */
export function fundWallet(w: World, p: Person, currency: string, amount: number, t: number) {
  const need = amount - w.books.balance(userAvailable(p.id, currency));
  if (need <= 0) return;
  const provider = externalFor(w, currency);
  // People top up more than the one payment needs: the rest waits in the wallet for the next order.
  const want = need * w.rng.pick([1, 1.5, 2, 3, 4]);
  const steps = TOPUP_STEPS[currency]!.map((s) => s * 100);
  const i = steps.findIndex((s) => s >= want);
  const topup = Math.max(i === -1 ? steps.at(-1)! : steps[i]!, need);
  const pay = (at: number) =>
    purchase(w, p, {
      t: at,
      kind: "topup",
      pkg: null,
      provider,
      amount: topup,
      currency,
      outcome: "succeeded",
      settleAt: at + w.rng.int(20, 150) * SECOND,
    });
  if (w.rng.chance(0.05)) {
    purchase(w, p, {
      t,
      kind: "topup",
      pkg: null,
      provider,
      amount: topup,
      currency,
      outcome: "failed",
      settleAt: t + w.rng.int(20, 90) * SECOND,
    });
    w.at(t + 2 * MINUTE, () => pay(t + 2 * MINUTE));
  } else pay(t);
}

/** A top-up paid on the spot (the rare case where the wallet was spent between funding and paying). */
export function fundWalletNow(w: World, p: Person, currency: string, amount: number) {
  const t = w.timeline.now;
  const need = amount - w.books.balance(userAvailable(p.id, currency));
  if (need <= 0) return;
  purchase(w, p, {
    t,
    kind: "topup",
    pkg: null,
    provider: externalFor(w, currency),
    amount: need,
    currency,
    outcome: "succeeded",
    settleAt: t,
  });
}

/**
 * A package purchase at `t`: paid from the wallet when it holds enough (one in ten buyers prefer
 * it), else through a provider, which fails now and then (the buyer tries again) or is left
 * unpaid. `onGrant` runs once the minutes are granted.
 */
export function buyPackage(w: World, p: Person, pkg: PackageRow, t: number, onGrant?: (t: number) => void) {
  const refundAt = w.rng.chance(0.015) ? t + HOUR + w.rng.exp(3 * DAY) : undefined;
  const wallet = w.rng.chance(0.1) && w.books.balance(userAvailable(p.id, pkg.currency)) >= pkg.price;
  if (wallet) {
    purchase(w, p, {
      t,
      kind: "package",
      pkg,
      provider: "wallet",
      amount: pkg.price,
      currency: pkg.currency,
      outcome: "succeeded",
      settleAt: t,
      refundAt,
      onPaid: onGrant,
    });
    return;
  }
  const provider = externalFor(w, pkg.currency);
  const r = w.rng.next();
  if (r < 0.015) {
    // Abandoned: the checkout expires after a day, or is still open at the end of the history.
    purchase(w, p, {
      t,
      kind: "package",
      pkg,
      provider,
      amount: pkg.price,
      currency: pkg.currency,
      outcome: "failed",
      settleAt: t + DAY + w.rng.int(0, 3600) * SECOND,
    });
    return;
  }
  const pay = (at: number) =>
    purchase(w, p, {
      t: at,
      kind: "package",
      pkg,
      provider,
      amount: pkg.price,
      currency: pkg.currency,
      outcome: "succeeded",
      settleAt: at + w.rng.int(25, 240) * SECOND,
      refundAt: refundAt === undefined ? undefined : refundAt + (at - t),
      onPaid: onGrant,
    });
  if (r < 0.06) {
    // Declined: the buyer tries again a few minutes later.
    purchase(w, p, {
      t,
      kind: "package",
      pkg,
      provider,
      amount: pkg.price,
      currency: pkg.currency,
      outcome: "failed",
      settleAt: t + w.rng.int(30, 300) * SECOND,
    });
    w.at(t + 6 * MINUTE, () => pay(t + 6 * MINUTE));
  } else pay(t);
}
