import type { Database } from "bun:sqlite";
import type { AppContext } from "../../../context";
import {
  apiKeys,
  auditLog,
  billingNotices,
  clientStats,
  courseEnrollments,
  courses,
  emailTokens,
  events,
  expertApplications,
  expertDocuments,
  expertProfiles,
  expertSpecializations,
  expertStats,
  files,
  GATEWAY_ORDER_STATUSES,
  gatewayOrders,
  gatewayRequisites,
  gatewayStores,
  gatewayTraders,
  grants,
  holds,
  ledgerAccounts,
  ledgerTransfers,
  notifications,
  ORDER_STATUSES,
  orderMessages,
  orderReads,
  orders,
  purchases,
  refreshTokens,
  reviews,
  subjectTags,
  usageEvents,
  users,
} from "../../../db/schema";
import { notFound } from "../../../lib/errors";
import { iso } from "../../../lib/time";
import { merge, plain, type Row, type Scanned, scan, type TableView, viewOf } from "./rows";

export const EXPORT_FORMAT = "souk.user-export";
export const EXPORT_VERSION = 1;

/**
 * What the export leaves out of each table: credentials (password, key and token hashes, the
 * store's sealed callback secret), storage internals, and, on orders the user only took part in,
 * what belongs to the other side (a trader never saw the store's customer or the fraud checks).
 */
const V = {
  user: viewOf(users, { omit: ["password_hash"] }),
  session: viewOf(refreshTokens, { omit: ["token_hash", "family_id"] }),
  emailToken: viewOf(emailTokens, { omit: ["token_hash"] }),
  apiKey: viewOf(apiKeys, { omit: ["key_hash"] }),
  expertProfile: viewOf(expertProfiles),
  application: viewOf(expertApplications),
  document: viewOf(expertDocuments),
  specialization: viewOf(expertSpecializations),
  expertStats: viewOf(expertStats),
  clientStats: viewOf(clientStats),
  file: viewOf(files, { omit: ["storage_key"] }),
  order: viewOf(orders),
  orderRead: viewOf(orderReads),
  event: viewOf(events),
  message: viewOf(orderMessages),
  review: viewOf(reviews),
  course: viewOf(courses),
  enrollment: viewOf(courseEnrollments),
  purchase: viewOf(purchases),
  grant: viewOf(grants),
  usage: viewOf(usageEvents),
  hold: viewOf(holds),
  notice: viewOf(billingNotices),
  account: viewOf(ledgerAccounts),
  transfer: viewOf(ledgerTransfers),
  notification: viewOf(notifications),
  audit: viewOf(auditLog),
  tag: viewOf(subjectTags),
  store: viewOf(gatewayStores, { omit: ["callback_secret_sealed"] }),
  storeOrder: viewOf(gatewayOrders, {
    omit: [
      "request_hash",
      "requisite_id",
      "trader_id",
      "trader_bps",
      "trader_commission",
      "usage_day",
      "customer_ip",
      "fraud_decision",
      "fraud_reasons",
      "selection_log",
      "excluded_traders",
    ],
  }),
  trader: viewOf(gatewayTraders),
  teamMember: viewOf(gatewayTraders, { pick: ["id", "user_id", "created_at"] }),
  requisite: viewOf(gatewayRequisites),
  traderOrder: viewOf(gatewayOrders, {
    pick: [
      "id",
      "direction",
      "status",
      "amount",
      "currency",
      "rate",
      "amount_crypto",
      "trader_bps",
      "trader_commission",
      "payment_method",
      "bank",
      "requisite_id",
      "recipient",
      "status_reason",
      "trader_receipt_id",
      "assigned_at",
      "customer_confirmed_at",
      "expires_at",
      "completed_at",
      "created_at",
      "updated_at",
    ],
  }),
} satisfies Record<string, TableView>;

/** Chunks are handed to the sink at about this size: few, large writes to the response. */
const FLUSH_AT = 64 * 1024;

export type Sink = (chunk: string) => Promise<void>;

/** Buffered text output: the document is written piece by piece, flushed in large chunks. */
class Out {
  private buf = "";
  constructor(private readonly sink: Sink) {}
  async put(s: string) {
    this.buf += s;
    if (this.buf.length >= FLUSH_AT) await this.flush();
  }
  async flush() {
    if (!this.buf) return;
    const s = this.buf;
    this.buf = "";
    await this.sink(s);
  }
}

type Item = (row: Row) => Promise<void>;

/**
 * Prepares the export of one user: 404 at once when there is no such user; otherwise a writer
 * that sends everything souk holds about them, as one JSON document, to `sink`. Rows are read a
 * page at a time between writes, so a long history never sits in memory. Rows written while the
 * export runs may or may not be in it (each page is consistent; the whole is not a snapshot).
 */
export function userExport(ctx: AppContext, userId: number): (sink: Sink) => Promise<void> {
  const exists = ctx.sqlite.query("SELECT 1 FROM users WHERE id = ?").get(userId);
  if (!exists) throw notFound("user");
  return (sink) => writeExport(ctx.sqlite, ctx.clock.now(), userId, new Out(sink));
}

async function writeExport(db: Database, now: number, userId: number, out: Out) {
  const u = userId;
  const s = String(userId);

  const rows = (view: TableView, where: string, ...params: (string | number)[]) =>
    scan(db, view, where, params);
  /** Newest index order: by `created_at` within the index's equality prefix. */
  const byCreated = (view: TableView, where: string, ...params: (string | number)[]) =>
    scan(db, view, where, params, ["created_at"]);
  /** An index led by (owner, status): one range per status, merged. */
  const perStatus = (statuses: readonly string[], make: (status: string) => Generator<Scanned>) =>
    merge(...statuses.map(make));
  const one = (view: TableView, where: string, ...params: (string | number)[]) => {
    for (const r of rows(view, where, ...params)) return plain(r);
    return null;
  };
  const asIs: Item = (r) => out.put(JSON.stringify(plain(r)));

  async function array(items: Iterable<Row>, item: Item = asIs) {
    await out.put("[");
    let first = true;
    for (const r of items) {
      if (!first) await out.put(",");
      first = false;
      await item(r);
    }
    await out.put("]");
  }
  /** `"key":` then its value; every key after the document's first. */
  const key = (k: string) => out.put(`,${JSON.stringify(k)}:`);
  const list = async (k: string, items: Iterable<Row>, item: Item = asIs) => {
    await key(k);
    await array(items, item);
  };
  /** A row with nested arrays after its own columns. */
  async function nested(r: Row, parts: [string, () => Promise<void>][]) {
    const head = JSON.stringify(plain(r));
    await out.put(head.slice(0, -1));
    let empty = head === "{}";
    for (const [k, write] of parts) {
      await out.put(`${empty ? "" : ","}${JSON.stringify(k)}:`);
      empty = false;
      await write();
    }
    await out.put("}");
  }

  const eventsOf = (subjectType: string, id: unknown) =>
    array(rows(V.event, "subject_type = ? AND subject_id = ?", subjectType, String(id)));
  const orderWithEvents: Item = (o) => nested(o, [["events", () => eventsOf("order", o.id)]]);
  // A transfer leaves one account and reaches another: the account's history merges both indexes.
  const transfersOf = (accountId: number) =>
    merge(
      rows(V.transfer, "debit_account_id = ?", accountId),
      rows(V.transfer, "credit_account_id = ?", accountId),
    );
  const accountsOf = (ownerType: string, ownerId: string | number) =>
    array(rows(V.account, "owner_type = ? AND owner_id = ?", ownerType, String(ownerId)), (a) =>
      nested(a, [["transfers", () => array(transfersOf(Number(a.id)))]]),
    );

  await out.put(
    `{"format":"${EXPORT_FORMAT}","version":${EXPORT_VERSION},"exported_at":"${iso(now)}","user":${JSON.stringify(one(V.user, "id = ?", u))}`,
  );
  await list("sessions", rows(V.session, "user_id = ?", u));
  await list("email_links", rows(V.emailToken, "user_id = ?", u));
  await list("api_keys", rows(V.apiKey, "user_id = ?", u));
  await list("notifications", byCreated(V.notification, "user_id = ?", u));
  await list("account_events", rows(V.event, "subject_type = 'user' AND subject_id = ?", s));
  await list("tags", rows(V.tag, "subject_type = 'user' AND subject_id = ?", s));
  await key("client_stats");
  await out.put(JSON.stringify(one(V.clientStats, "user_id = ?", u)));

  await key("expert");
  await out.put(`{"profile":${JSON.stringify(one(V.expertProfile, "user_id = ?", u))}`);
  await list("applications", rows(V.application, "user_id = ?", u));
  await list("documents", rows(V.document, "user_id = ?", u));
  await list("specializations", rows(V.specialization, "user_id = ?", u));
  await key("stats");
  await out.put(`${JSON.stringify(one(V.expertStats, "user_id = ?", u))}}`);

  await list("files", rows(V.file, "owner_id = ?", u));
  await list("orders_as_client", byCreated(V.order, "client_id = ?", u), orderWithEvents);
  await list(
    "orders_as_expert",
    perStatus(ORDER_STATUSES, (st) => byCreated(V.order, "expert_id = ? AND status = ?", u, st)),
    orderWithEvents,
  );
  await list("order_reads", rows(V.orderRead, "user_id = ?", u));
  await list("messages", rows(V.message, "sender_id = ?", u));
  await list("reviews_written", rows(V.review, "author_id = ?", u));
  await list("reviews_received", rows(V.review, "target_id = ?", u));
  await list("courses", rows(V.course, "expert_id = ?", u));
  await list("enrollments", byCreated(V.enrollment, "user_id = ?", u));
  await list("purchases", rows(V.purchase, "user_id = ?", u));
  await list("grants", rows(V.grant, "user_id = ?", u));
  await list("usage_events", rows(V.usage, "user_id = ?", u));
  await list("holds", rows(V.hold, "user_id = ?", u));
  await list("billing_notices", rows(V.notice, "user_id = ?", u));
  await key("wallet");
  await accountsOf("user", u);
  await list("audit", rows(V.audit, "actor_id = ?", u));

  await key("gateway");
  await out.put('{"stores":');
  await array(rows(V.store, "merchant_id = ?", u), (st) =>
    nested(st, [
      ["accounts", () => accountsOf("store", Number(st.id))],
      ["orders", () => array(rows(V.storeOrder, "store_id = ?", Number(st.id)))],
    ]),
  );
  await out.put(',"trader":');
  const trader = one(V.trader, "user_id = ?", u);
  if (!trader) await out.put("null");
  else {
    const id = Number(trader.id);
    await nested(trader, [
      ["requisites", () => array(rows(V.requisite, "trader_id = ?", id))],
      ["accounts", () => accountsOf("trader", id)],
      [
        "orders",
        () =>
          array(
            perStatus(GATEWAY_ORDER_STATUSES, (st) =>
              rows(V.traderOrder, "trader_id = ? AND status = ?", id, st),
            ),
          ),
      ],
    ]);
  }
  await list("team", rows(V.teamMember, "teamlead_id = ?", u));
  await out.put("}}");
  await out.flush();
}
