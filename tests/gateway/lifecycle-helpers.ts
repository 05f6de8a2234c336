import { eq } from "drizzle-orm";
import {
  type GatewayOrderStatus,
  gatewayOrders,
  gatewayRequisites,
  type gatewayStores,
  type gatewayTraders,
} from "../../src/db/schema";
import { commission, storeAvailable, toCrypto } from "../../src/modules/gateway/money";
import { dayOf } from "../../src/modules/gateway/orders/machine";
import { holdPayin, holdPayoutStore, takeRequisiteShare } from "../../src/modules/gateway/orders/moves";
import type { TestApp } from "../helpers/app";
import { gatewayFixtures } from "../helpers/gateway";

let seq = 0;

type Store = typeof gatewayStores.$inferSelect;
type Trader = typeof gatewayTraders.$inferSelect;
type Requisite = typeof gatewayRequisites.$inferSelect;

/** Orders that hold a requisite's share and the direction's hold. */
const OPEN: GatewayOrderStatus[] = ["assigned", "customer_confirmed"];

/**
 * An order row in the state a test needs, with what that state holds: an open pay-in holds its
 * amount from the trader's deposit, an open or retrying pay-out holds amount plus commission from
 * the store (fund it first), and an open order takes its requisite's daily share. Rate 9550.
 */
export function insertOrder(
  t: TestApp,
  o: {
    store: Store;
    direction?: "payin" | "payout";
    status: GatewayOrderStatus;
    trader?: Trader | null;
    requisite?: Requisite | null;
    amount?: number;
    expiresAt?: number | null;
    set?: Partial<typeof gatewayOrders.$inferInsert>;
  },
) {
  const { ctx, clock } = t;
  const now = clock.now();
  const direction = o.direction ?? "payin";
  const amount = o.amount ?? 95_500; // 955.00 RUB = 10 USDT
  const amountCrypto = toCrypto(amount, 9550);
  const storeBps = direction === "payin" ? o.store.payInBps : o.store.payOutBps;
  const traderBps = o.trader ? (direction === "payin" ? o.trader.payInBps : o.trader.payOutBps) : null;
  const routed = o.trader != null && o.requisite != null;
  return ctx.db.transaction(
    (tx) => {
      const row = tx
        .insert(gatewayOrders)
        .values({
          direction,
          storeId: o.store.id,
          clientOrderId: `lc-${++seq}`,
          requestHash: "test",
          status: o.status,
          amount,
          currency: "RUB",
          rate: 9550,
          amountCrypto,
          storeBps,
          storeCommission: commission(amountCrypto, storeBps),
          traderBps,
          traderCommission: traderBps == null ? null : commission(amountCrypto, traderBps),
          paymentMethod: o.requisite?.paymentMethod ?? null,
          bank: o.requisite?.bank ?? null,
          requisiteId: o.requisite?.id ?? null,
          traderId: o.trader?.id ?? null,
          usageDay: routed ? dayOf(now) : 0,
          recipient:
            direction === "payout"
              ? {
                  payment_method: "card",
                  bank: "Sber",
                  details: "2200 1111 2222 3333",
                  owner_name: "ANNA K.",
                }
              : null,
          fraudDecision: o.status === "review" ? "review" : "allow",
          fraudReasons:
            o.status === "review" ? [{ code: "amount_review", message: "above the review amount" }] : [],
          selectionLog: [],
          excludedTraders: [],
          assignedAt: routed ? now : null,
          expiresAt:
            o.expiresAt === undefined ? (OPEN.includes(o.status) ? now + 900_000 : null) : o.expiresAt,
          createdAt: now,
          updatedAt: now,
          ...o.set,
        })
        .returning()
        .get();
      if (OPEN.includes(o.status) && direction === "payin") holdPayin(ctx, tx, row);
      if (direction === "payout" && [...OPEN, "retrying"].includes(o.status)) holdPayoutStore(ctx, tx, row);
      if (OPEN.includes(o.status) && row.requisiteId != null) {
        takeRequisiteShare(tx, row.requisiteId, amount, dayOf(now), now);
      }
      return row;
    },
    { behavior: "immediate" },
  );
}

/** A world with one store (callbacks to `callbackUrl` if given), a trader with a deposit and a requisite. */
export async function gatewayWorld(t: TestApp, o: { callbackUrl?: string; deposit?: number } = {}) {
  const f = gatewayFixtures(t);
  f.rate("RUB", 9550);
  if (o.callbackUrl) t.ctx.settings.setNow({ webhooks_allow_private_urls: true }, t.clock.now());
  const { store, merchant } = await f.store({ payInBps: 300, payOutBps: 300, callbackUrl: o.callbackUrl });
  const tr = await f.trader({ deposit: o.deposit ?? 1_000_000_000, payInBps: 100, payOutBps: 100 });
  const requisite = f.requisite(tr.trader.id);
  return { f, store, merchant, trader: tr.trader, traderUser: tr.user, requisite };
}

/** Tops a store's balance up so pay-outs can hold from it. */
export function fundStore(f: ReturnType<typeof gatewayFixtures>, storeId: number, amount: number) {
  f.credit(storeAvailable(storeId), amount);
}

export const orderRow = (t: TestApp, id: number) =>
  t.ctx.db.select().from(gatewayOrders).where(eq(gatewayOrders.id, id)).get()!;

export const requisiteRow = (t: TestApp, id: number) =>
  t.ctx.db.select().from(gatewayRequisites).where(eq(gatewayRequisites.id, id)).get()!;

export const eventTypes = (t: TestApp, orderId: number) =>
  (
    t.ctx.sqlite
      .query("SELECT type FROM events WHERE subject_type = 'gateway_order' AND subject_id = ? ORDER BY id")
      .all(String(orderId)) as { type: string }[]
  ).map((e) => e.type);

export const audits = (t: TestApp, orderId: number) =>
  t.ctx.sqlite
    .query(
      "SELECT action, actor_id, ip, request_id, details FROM audit_log WHERE target_type = 'gateway_order' AND target_id = ? ORDER BY id",
    )
    .all(String(orderId)) as {
    action: string;
    actor_id: number | null;
    ip: string | null;
    request_id: string | null;
    details: string;
  }[];

/** The signed store callbacks queued for an order, oldest first. */
export const callbacks = (t: TestApp, orderId: number) =>
  (
    t.ctx.sqlite
      .query(
        "SELECT event_type, payload FROM webhook_deliveries WHERE event_type LIKE 'gateway.order.%' ORDER BY id",
      )
      .all() as { event_type: string; payload: string }[]
  )
    .map((d) => ({ type: d.event_type, payload: JSON.parse(d.payload) }))
    .filter((d) => d.payload.id === orderId);

/** Every currency's ledger sums to zero. */
export const ledgerBalanced = (f: ReturnType<typeof gatewayFixtures>) =>
  f.ledgerSums().every((s) => s.total === 0);

export const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82,
]);
export const pngFile = (name = "receipt.png") => new File([PNG], name, { type: "image/png" });

/** A multipart POST: text fields plus files. */
export async function postForm(
  t: TestApp,
  path: string,
  token: string | undefined,
  parts: Record<string, string | File>,
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(parts)) form.append(k, v);
  const res = await t.app.request(path, {
    method: "POST",
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: form,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

export const fileCount = (t: TestApp) =>
  (t.ctx.sqlite.query("SELECT count(*) AS n FROM files").get() as { n: number }).n;
