import { useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { Field } from "../../ui/form";
import { money, when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { type Column, Table } from "../../ui/table";
import type { StaffRequisite } from "./types";

const PAGE_SIZE = 25;

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
  const [currency, setCurrency] = useState("");
  const [direction, setDirection] = useState("");
  const [page, setPage] = useState(1);
  const list = useLoad(
    () =>
      get<ListPage<StaffRequisite>>("/admin/requisites/online", {
        currency: currency || undefined,
        direction: direction || undefined,
        page,
        page_size: PAGE_SIZE,
      }),
    [currency, direction, page],
  );
  const refused = list.error?.fields ?? {};
  return (
    <Page
      title="Online requisites"
      actions={
        <>
          <Field label="Currency" error={refused.currency} hint="e.g. RUB">
            {(id, d) => (
              <input
                id={id}
                aria-describedby={d}
                size={5}
                value={currency}
                onChange={(e) => {
                  setCurrency(e.currentTarget.value.trim().toUpperCase());
                  setPage(1);
                }}
              />
            )}
          </Field>
          <Field label="Direction">
            {(id) => (
              <select
                id={id}
                value={direction}
                onChange={(e) => {
                  setDirection(e.currentTarget.value);
                  setPage(1);
                }}
              >
                <option value="">both</option>
                <option value="payin">pay-in</option>
                <option value="payout">pay-out</option>
              </select>
            )}
          </Field>
        </>
      }
    >
      {Object.keys(refused).length ? null : <ErrorNote error={list.error} />}
      <Loading when={list.loading && !list.data} />
      {list.data && !list.error ? (
        <>
          <Table
            columns={columns}
            rows={list.data.results}
            rowKey={(r) => r.id}
            empty="No requisite can take orders now."
          />
          <Pager page={page} pageSize={PAGE_SIZE} count={list.data.count} onPage={setPage} />
        </>
      ) : null}
    </Page>
  );
}
