import { get, type ListPage } from "../../api";
import { hashQuery, setHashQuery } from "../../router";
import { SelectField, TextField } from "../../ui/fields";
import { useFilters } from "../../ui/filters";
import { money, when, words } from "../../ui/format";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
import type { Column } from "../../ui/table";
import { usdt } from "./format";
import { ORDER_STATUSES, type StaffOrder } from "./types";

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

const STATUS_OPTIONS = [["", "any"], ...ORDER_STATUSES.map((s) => [s, words(s)] as const)] as const;
const DIRECTION_OPTIONS = [
  ["", "any"],
  ["payin", "pay-in"],
  ["payout", "pay-out"],
] as const;

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
  const f = useFilters(fromHash);
  const list = useLoad(() => {
    setHashQuery("/gateway/orders", f.applied);
    return get<ListPage<StaffOrder>>("/support/gateway/orders", {
      ...f.applied,
      page: f.page,
      page_size: PAGE_SIZE,
    });
  }, [f.applied, f.page]);
  // A filter the API refused shows its message next to that filter.
  const refused = list.error?.fields ?? {};
  const input = (k: keyof Filters, label: string, type = "text", hint?: string) => (
    <TextField
      label={label}
      hint={hint}
      type={type}
      inputMode={type === "text" && k !== "client_order_id" ? "numeric" : undefined}
      {...f.field(k, refused)}
    />
  );
  return (
    <Page title="Gateway orders">
      <form
        class="card gw-filters"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          f.apply();
        }}
      >
        <div class="row">
          <SelectField label="Status" options={STATUS_OPTIONS} {...f.field("status", refused)} />
          <SelectField label="Direction" options={DIRECTION_OPTIONS} {...f.field("direction", refused)} />
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
        <div class="row buttons">
          <button type="submit">Apply filters</button>
          <button type="button" class="secondary" onClick={() => f.apply(blank())}>
            Clear
          </button>
        </div>
      </form>
      {list.error && Object.keys(refused).length > 0 ? (
        <p class="error" role="alert">
          Some filters were refused: see the messages next to them.
        </p>
      ) : null}
      <ListTable
        list={list}
        page={f.page}
        pageSize={PAGE_SIZE}
        onPage={f.setPage}
        issuesBeside
        columns={columns}
        rowKey={(o) => o.id}
        empty="No orders match these filters."
      />
    </Page>
  );
}
