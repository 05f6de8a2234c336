import { useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { allowed } from "../../session";
import { ActionDialog } from "../../ui/action-dialog";
import { money, when, words } from "../../ui/format";
import { Kv } from "../../ui/kv";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { type Column, Table } from "../../ui/table";
import type { AuditEntry } from "../platform/audit";
import { usdt } from "./format";
import { StatusPill } from "./orders";
import { Receipts } from "./receipts";
import { SelectionLog } from "./selection-log";
import type { OrderCallback, StaffOrder } from "./types";

type Decision =
  | { kind: "review"; value: "allow" | "deny" }
  | { kind: "resolve"; value: "completed" | "cancelled" };

const callbackColumns: Column<OrderCallback>[] = [
  { key: "created_at", label: "Created (UTC)", render: (d) => when(d.created_at) },
  { key: "event_type", label: "Event", render: (d) => <code>{d.event_type}</code> },
  { key: "status", label: "Delivery", render: (d) => <span class={`pill gw-${d.status}`}>{d.status}</span> },
  { key: "attempts", label: "Attempts", numeric: true },
  { key: "last_status_code", label: "Last answer", numeric: true, render: (d) => d.last_status_code ?? "—" },
  { key: "delivered_at", label: "Delivered", render: (d) => when(d.delivered_at) },
  { key: "url", label: "URL", render: (d) => <small>{d.url}</small> },
  {
    key: "message_id",
    label: "webhook-id",
    render: (d) => (
      <small>
        <code>{d.message_id}</code>
      </small>
    ),
  },
];

const auditColumns: Column<AuditEntry>[] = [
  { key: "created_at", label: "When (UTC)", render: (a) => when(a.created_at) },
  { key: "action", label: "What", render: (a) => <code>{a.action}</code> },
  { key: "actor_id", label: "By", render: (a) => (a.actor_id ? `user #${a.actor_id}` : "souk") },
  {
    key: "details",
    label: "Reason",
    render: (a) => {
      const reason = a.details.reason ?? a.details.decision ?? a.details.outcome;
      return reason ? String(reason) : <span class="muted">—</span>;
    },
  },
  {
    key: "ip",
    label: "IP / request",
    render: (a) => <small>{[a.ip, a.request_id].filter(Boolean).join(" · ") || "—"}</small>,
  },
];

const DECISIONS: Record<string, { title: string; label: string; danger: boolean; text: string }> = {
  allow: {
    title: "Allow this order?",
    label: "Allow",
    danger: false,
    text: "The order goes to selection now (a pay-out first holds the store's balance).",
  },
  deny: {
    title: "Deny this order?",
    label: "Deny: fail the order",
    danger: true,
    text: "The order fails; the store is told.",
  },
  completed: {
    title: "Resolve for the merchant?",
    label: "Resolve: completed",
    danger: true,
    text: "The money moves as a completion, from the trader's deposit.",
  },
  cancelled: {
    title: "Resolve for the trader?",
    label: "Resolve: cancelled",
    danger: true,
    text: "The order stays cancelled; nothing moves.",
  },
};

/** One gateway order as support sees it: the money, the fraud check, the selection log, callbacks, history. */
export function GatewayOrder(props: { params: Record<string, string> }) {
  // A fresh view per order: nothing of the last order stays on screen while the next one loads.
  return <OrderView key={props.params.id} id={props.params.id!} />;
}

function OrderView({ id }: { id: string }) {
  const order = useLoad(() => get<StaffOrder>(`/gateway/orders/${id}`), [id]);
  const callbacks = useLoad(() => get<ListPage<OrderCallback>>(`/gateway/orders/${id}/callbacks`), [id]);
  const history = useLoad(
    () =>
      allowed("audit:read")
        ? get<ListPage<AuditEntry>>("/admin/audit-log", {
            target_type: "gateway_order",
            target_id: id,
            page_size: 100,
          })
        : Promise.resolve(null),
    [id],
  );
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const [note, setNote] = useState("");
  const o = order.data;
  const reload = () => {
    order.reload();
    callbacks.reload();
    history.reload();
  };
  const decide = (d: Decision) => (
    <button
      type="button"
      class={DECISIONS[d.value]!.danger ? "danger" : undefined}
      onClick={() => setDeciding(d)}
    >
      {`${DECISIONS[d.value]!.label}…`}
    </button>
  );
  return (
    <Page title={`Gateway order #${id}`} actions={<a href="#/gateway/orders">All gateway orders</a>}>
      <ErrorNote error={order.error} />
      <Loading when={order.loading && !o} />
      <p class="ok" role="status">
        {note}
      </p>
      {o ? (
        <>
          {o.status === "review" && allowed("gateway:support:review") ? (
            <div class="card gw-decide">
              <h2 class="card-title">Held for fraud review</h2>
              <div class="row buttons">
                {decide({ kind: "review", value: "allow" })}
                {decide({ kind: "review", value: "deny" })}
              </div>
            </div>
          ) : null}
          {o.status === "disputed" && allowed("gateway:support:resolve") ? (
            <div class="card gw-decide">
              <h2 class="card-title">Disputed: {o.dispute_reason}</h2>
              <div class="row buttons">
                {decide({ kind: "resolve", value: "completed" })}
                {decide({ kind: "resolve", value: "cancelled" })}
              </div>
            </div>
          ) : null}
          <div class="gw-detail">
            <div class="card">
              <h2 class="card-title">
                {o.direction === "payin" ? "Pay-in" : "Pay-out"} <StatusPill status={o.status} />
              </h2>
              <Kv
                items={[
                  ["Amount", money(o.amount, o.currency)],
                  ["USDT", `${usdt(o.amount_crypto)} at ${money(o.rate, o.currency)}`],
                  ["Store commission", usdt(o.store_commission)],
                  ["Trader commission", o.trader_commission == null ? null : usdt(o.trader_commission)],
                  [
                    "Store",
                    <a href={`#/gateway/orders?store_id=${o.store_id}`}>#{o.store_id}: its orders</a>,
                  ],
                  ["Client order id", <code>{o.client_order_id}</code>],
                  [
                    "Trader",
                    o.trader_id == null ? null : (
                      <a href={`#/gateway/orders?trader_id=${o.trader_id}`}>#{o.trader_id}: their orders</a>
                    ),
                  ],
                  [
                    "Requisite",
                    o.requisite ? (
                      <>
                        #{o.requisite_id} {o.requisite.bank} {o.requisite.payment_method}{" "}
                        <code>{o.requisite.details}</code> {o.requisite.owner_name}
                      </>
                    ) : null,
                  ],
                  ["Recipient", o.recipient ? Object.values(o.recipient).join(" · ") : null],
                  ["Asked for", [o.payment_method, o.bank].filter(Boolean).join(", ") || null],
                  ["Customer", [o.customer_id, o.customer_ip].filter(Boolean).join(" · ") || null],
                  ["Status reason", o.status_reason],
                  ["Dispute", o.dispute_reason],
                  ["Receipts", o.receipts.length ? <Receipts order={o} /> : null],
                  ["Retries", String(o.retries)],
                  [
                    "Excluded traders",
                    o.excluded_traders.length ? o.excluded_traders.map((t) => `#${t}`).join(", ") : null,
                  ],
                ]}
              />
            </div>
            <div class="card">
              <h2 class="card-title">Times (UTC)</h2>
              <Kv
                items={[
                  ["Created", when(o.created_at)],
                  ["Assigned", when(o.assigned_at)],
                  ["Customer confirmed", when(o.customer_confirmed_at)],
                  ["Completed", when(o.completed_at)],
                  ["Expires", when(o.expires_at)],
                  ["Updated", when(o.updated_at)],
                ]}
              />
              <h2 class="card-title gw-gap">Fraud check: {o.fraud.decision}</h2>
              {o.fraud.reasons.length ? (
                <ul>
                  {o.fraud.reasons.map((r) => (
                    <li key={r.code}>
                      <code>{r.code}</code> {r.message}
                    </li>
                  ))}
                </ul>
              ) : (
                <p class="muted">No fraud signal.</p>
              )}
            </div>
          </div>
          <section class="card" aria-labelledby="gw-selection">
            <h2 class="card-title" id="gw-selection">
              Selection log
            </h2>
            <SelectionLog log={o.selection_log} />
          </section>
        </>
      ) : null}
      <section class="card" aria-labelledby="gw-callbacks">
        <h2 class="card-title" id="gw-callbacks">
          Callbacks to the store
        </h2>
        <ErrorNote error={callbacks.error} />
        {callbacks.data ? (
          <Table
            columns={callbackColumns}
            rows={callbacks.data.results}
            rowKey={(d) => d.id}
            empty="No callbacks: the store has no callback url, or nothing was sent yet."
          />
        ) : null}
      </section>
      {history.data ? (
        <section class="card" aria-labelledby="gw-history">
          <h2 class="card-title" id="gw-history">
            Status history
          </h2>
          <ErrorNote error={history.error} />
          <Table columns={auditColumns} rows={[...history.data.results].reverse()} rowKey={(a) => a.id} />
        </section>
      ) : (
        <ErrorNote error={history.error} />
      )}
      {deciding && o ? (
        <ActionDialog
          title={DECISIONS[deciding.value]!.title}
          submitLabel={DECISIONS[deciding.value]!.label}
          danger={DECISIONS[deciding.value]!.danger}
          action={(reason) =>
            deciding.kind === "review"
              ? api("POST", `/support/gateway/orders/${o.id}/review`, { decision: deciding.value, reason })
              : api("POST", `/support/gateway/orders/${o.id}/resolve`, { outcome: deciding.value, reason })
          }
          onClose={() => setDeciding(null)}
          onDone={() => {
            setNote(`Order #${o.id}: ${words(deciding.value)}.`);
            reload();
          }}
        >
          <p>
            Order #{o.id}, {money(o.amount, o.currency)}. {DECISIONS[deciding.value]!.text}
          </p>
        </ActionDialog>
      ) : null}
    </Page>
  );
}
