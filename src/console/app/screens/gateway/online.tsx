import { get, type ListPage } from "../../api";
import { SelectField } from "../../ui/fields";
import { useFilters } from "../../ui/filters";
import { Field } from "../../ui/form";
import { money, when } from "../../ui/format";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
import type { Column } from "../../ui/table";
import type { StaffRequisite } from "./types";

const PAGE_SIZE = 25;
const DIRECTIONS = [
  ["", "both"],
  ["payin", "pay-in"],
  ["payout", "pay-out"],
] as const;

const columns: Column<StaffRequisite>[] = [
  { key: "id", label: "#", render: (r) => `#${r.id}` },
  {
    key: "trader",
    label: "Trader",
    render: (r) => (
      <>
        {r.trader.username ?? `user #${r.trader.user_id}`}
        <br />
        <small class="muted">trader #{r.trader.id}</small>
      </>
    ),
  },
  {
    key: "method",
    label: "Method",
    render: (r) => (
      <>
        <span class="pill">{r.payment_method}</span> {r.bank}
      </>
    ),
  },
  { key: "details", label: "Details", render: (r) => <code>{r.details}</code> },
  {
    key: "for",
    label: "For",
    render: (r) => [r.pay_in && "pay-in", r.pay_out && "pay-out"].filter(Boolean).join(", "),
  },
  {
    key: "per_order",
    label: "An order",
    render: (r) => `${money(r.min_amount, r.currency)} – ${money(r.max_amount, r.currency)}`,
  },
  {
    key: "today",
    label: "Used today",
    numeric: true,
    render: (r) => (
      <>
        {money(r.used_today.amount, r.currency)} of {money(r.daily_limit, r.currency)}
        <br />
        <small class="muted">
          {r.used_today.count} of {r.daily_count_limit} orders
        </small>
      </>
    ),
  },
  { key: "last_used_at", label: "Last used (UTC)", render: (r) => when(r.last_used_at) },
];

/** What selection can route to right now: approved requisites of traders in work with traffic on. */
export function OnlineRequisites() {
  const f = useFilters({ currency: "", direction: "" });
  const list = useLoad(
    () =>
      get<ListPage<StaffRequisite>>("/admin/requisites/online", {
        ...f.applied,
        page: f.page,
        page_size: PAGE_SIZE,
      }),
    [f.applied, f.page],
  );
  const refused = list.error?.fields ?? {};
  const currency = f.now("currency", refused);
  return (
    <Page
      title="Online requisites"
      actions={
        <>
          <Field label="Currency" error={currency.error} hint="e.g. RUB">
            {(id, d) => (
              <input
                id={id}
                aria-describedby={d}
                size={5}
                value={currency.value}
                // On change, not on each key: the list reloads once the code is typed.
                onChange={(e) => currency.onValue(e.currentTarget.value.trim().toUpperCase())}
              />
            )}
          </Field>
          <SelectField label="Direction" options={DIRECTIONS} {...f.now("direction", refused)} />
        </>
      }
    >
      <ListTable
        list={list}
        page={f.page}
        pageSize={PAGE_SIZE}
        onPage={f.setPage}
        issuesBeside
        columns={columns}
        rowKey={(r) => r.id}
        empty="No requisite can take orders now."
      />
    </Page>
  );
}
