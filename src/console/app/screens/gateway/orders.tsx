import { useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { hashQuery, setHashQuery } from "../../router";
import { Field } from "../../ui/form";
import { money, when, words } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { type Column, Table } from "../../ui/table";
import { usdt } from "./format";
import { DIRECTIONS, ORDER_STATUSES, type StaffOrder } from "./types";

const PAGE_SIZE = 25;

/** Support's filters, named as the API names them (GET /support/gateway/orders). */
const FILTERS = [
  "status",
  "direction",
  "store_id",
  "trader_id",
  "client_order_id",
  "amount_exact",
  "amount_min",
  "amount_max",
  "from",
  "to",
] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

const blank = (): Filters => Object.fromEntries(FILTERS.map((k) => [k, ""])) as Filters;
const fromHash = (): Filters => {
  const q = hashQuery();
  const f = blank();
  for (const k of FILTERS) f[k] = q.get(k) ?? "";
  return f;
};

export function StatusPill(props: { status: string }) {
  return <span class={`pill gw-${props.status}`}>{words(props.status)}</span>;
}

const columns: Column<StaffOrder>[] = [
  {
    key: "id",
    label: "Order",
    render: (o) => <a href={`#/gateway/orders/${o.id}`}>#{o.id}</a>,
  },
  { key: "created_at", label: "Created (UTC)", render: (o) => when(o.created_at) },
  { key: "direction", label: "Direction", render: (o) => (o.direction === "payin" ? "pay-in" : "pay-out") },
  { key: "status", label: "Status", render: (o) => <StatusPill status={o.status} /> },
  {
    key: "amount",
    label: "Amount",
    numeric: true,
    render: (o) => <span class="nowrap">{money(o.amount, o.currency)}</span>,
  },
  {
    key: "amount_crypto",
    label: "USDT",
    numeric: true,
    render: (o) => <span class="nowrap">{usdt(o.amount_crypto)}</span>,
  },
  { key: "store_id", label: "Store", numeric: true },
  { key: "trader_id", label: "Trader", numeric: true, render: (o) => o.trader_id ?? "—" },
  { key: "client_order_id", label: "Client order id", render: (o) => <code>{o.client_order_id}</code> },
  {
    key: "fraud",
    label: "Fraud check",
    render: (o) => (o.fraud.decision === "allow" ? "allow" : <strong>{o.fraud.decision}</strong>),
  },
  { key: "attempts", label: "Selections", numeric: true, render: (o) => o.selection_log.length },
];

/**
 * Every gateway order, newest first, with support's filters; the filters stay in the address so a
 * filtered list can be shared or reloaded. An order opens with its selection log and callbacks.
 */
export function GatewayOrders() {
  const [draft, setDraft] = useState<Filters>(fromHash);
  const [applied, setApplied] = useState<Filters>(draft);
  const [page, setPage] = useState(1);
  const list = useLoad(() => {
    setHashQuery("/gateway/orders", applied);
    return get<ListPage<StaffOrder>>("/support/gateway/orders", { ...applied, page, page_size: PAGE_SIZE });
  }, [applied, page]);
  // A filter the API refused shows its message next to that filter.
  const refused = list.error?.fields ?? {};
  const set = (k: keyof Filters) => (e: { currentTarget: { value: string } }) =>
    setDraft({ ...draft, [k]: e.currentTarget.value });
  const input = (k: keyof Filters, label: string, type = "text", hint?: string) => (
    <Field label={label} error={refused[k]} hint={hint}>
      {(id, d) => (
        <input
          id={id}
          aria-describedby={d}
          type={type}
          inputMode={type === "text" && k !== "client_order_id" ? "numeric" : undefined}
          value={draft[k]}
          onInput={set(k)}
        />
      )}
    </Field>
  );
  return (
    <Page title="Gateway orders">
      <form
        class="card gw-filters"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          setPage(1);
          setApplied({ ...draft });
        }}
      >
        <div class="row">
          <Field label="Status" error={refused.status}>
            {(id, d) => (
              <select id={id} aria-describedby={d} value={draft.status} onChange={set("status")}>
                <option value="">any</option>
                {ORDER_STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {words(s)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Direction" error={refused.direction}>
            {(id, d) => (
              <select id={id} aria-describedby={d} value={draft.direction} onChange={set("direction")}>
                <option value="">any</option>
                {DIRECTIONS.map((s) => (
                  <option key={s} value={s}>
                    {s === "payin" ? "pay-in" : "pay-out"}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {input("store_id", "Store id")}
          {input("trader_id", "Trader id")}
          {input("client_order_id", "Client order id")}
        </div>
        <div class="row">
          {input("amount_exact", "Amount exactly", "text", "minor units: 150000 = 1,500.00")}
          {input("amount_min", "Amount from", "text", "minor units")}
          {input("amount_max", "Amount up to", "text", "minor units")}
          {input("from", "Created from", "date")}
          {input("to", "Created up to", "date")}
        </div>
        <div class="row gw-buttons">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setDraft(blank());
              setApplied(blank());
              setPage(1);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {list.error && Object.keys(refused).length === 0 ? <ErrorNote error={list.error} /> : null}
      {list.error && Object.keys(refused).length > 0 ? (
        <p class="error" role="alert">
          Some filters were refused: see the messages next to them.
        </p>
      ) : null}
      <Loading when={list.loading && !list.data} />
      {list.data && !list.error ? (
        <>
          <Table
            columns={columns}
            rows={list.data.results}
            rowKey={(o) => o.id}
            empty="No orders match these filters."
          />
          <Pager page={page} pageSize={PAGE_SIZE} count={list.data.count} onPage={setPage} />
        </>
      ) : null}
    </Page>
  );
}
