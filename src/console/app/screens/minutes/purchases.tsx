import { useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { Field } from "../../ui/form";
import { money, when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { Table } from "../../ui/table";
import type { Package } from "./packages";
import { MinutesTabs } from "./tabs";

type Purchase = {
  id: number;
  user_id: number;
  kind: string;
  package_id: number | null;
  provider: string;
  status: string;
  amount: number;
  currency: string;
  discount: number;
  promo_code_id: number | null;
  failure_reason: string | null;
  paid_at: string | null;
  refunded_at: string | null;
  created_at: string;
};

const PAGE_SIZE = 25;
const STATUSES = ["pending", "succeeded", "failed", "canceled", "refunded"];
const PROVIDERS = ["stripe", "yookassa", "wallet", "demo"];
const KINDS = ["package", "topup"];
const NO_FILTER = { user_id: "", status: "", provider: "", kind: "" };

function Choice(props: { label: string; value: string; options: string[]; onChange: (v: string) => void }) {
  return (
    <Field label={props.label}>
      {(id) => (
        <select
          id={id}
          name={props.label.toLowerCase()}
          value={props.value}
          onChange={(e) => props.onChange(e.currentTarget.value)}
        >
          <option value="">any</option>
          {props.options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** Every user's purchases and top-ups, newest first, filtered by user, status, provider and kind. */
export function Purchases() {
  const [draft, setDraft] = useState(NO_FILTER);
  const [filter, setFilter] = useState(NO_FILTER);
  const [page, setPage] = useState(1);
  const list = useLoad(
    () => get<ListPage<Purchase>>("/admin/purchases", { ...filter, page, page_size: PAGE_SIZE }),
    [filter, page],
  );
  const packages = useLoad(() => get<ListPage<Package>>("/admin/packages", { page_size: 100 }), []);
  const names = new Map((packages.data?.results ?? []).map((p) => [p.id, p.name]));
  const fieldErrors = list.error?.fields ?? {};
  return (
    <Page title="Purchases">
      <MinutesTabs />
      <form
        class="card row minutes-filters"
        aria-label="Filter purchases"
        novalidate
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          setPage(1);
        }}
      >
        <Field label="User id" error={fieldErrors.user_id}>
          {(id, dby) => (
            <input
              id={id}
              name="user_id"
              inputMode="numeric"
              size={8}
              aria-describedby={dby}
              value={draft.user_id}
              onInput={(e) => setDraft({ ...draft, user_id: e.currentTarget.value.trim() })}
            />
          )}
        </Field>
        <Choice
          label="Status"
          value={draft.status}
          options={STATUSES}
          onChange={(status) => setDraft({ ...draft, status })}
        />
        <Choice
          label="Provider"
          value={draft.provider}
          options={PROVIDERS}
          onChange={(provider) => setDraft({ ...draft, provider })}
        />
        <Choice
          label="Kind"
          value={draft.kind}
          options={KINDS}
          onChange={(kind) => setDraft({ ...draft, kind })}
        />
        <div class="minutes-apply">
          <button type="submit">Apply</button>
        </div>
      </form>
      <div class="card">
        {Object.keys(fieldErrors).length ? null : <ErrorNote error={list.error} />}
        <Loading when={list.loading && !list.data} />
        {list.data && !list.error ? (
          <>
            <div class="minutes-table" style={{ "--table-min": "52rem" }}>
              <Table<Purchase>
                caption="Purchases"
                rowKey={(p) => p.id}
                rows={list.data.results}
                empty="No purchases match."
                columns={[
                  { key: "id", label: "#", numeric: true },
                  { key: "created_at", label: "Created (UTC)", render: (p) => when(p.created_at) },
                  { key: "user_id", label: "User", numeric: true },
                  {
                    key: "kind",
                    label: "Bought",
                    render: (p) =>
                      p.kind === "package" && p.package_id !== null
                        ? (names.get(p.package_id) ?? `package #${p.package_id}`)
                        : p.kind,
                  },
                  { key: "provider", label: "Provider" },
                  {
                    key: "status",
                    label: "Status",
                    render: (p) => (
                      <span class={`pill minutes-${p.status}`} title={p.failure_reason ?? undefined}>
                        {p.status}
                      </span>
                    ),
                  },
                  {
                    key: "amount",
                    label: "Amount",
                    numeric: true,
                    render: (p) => money(p.amount, p.currency),
                  },
                  {
                    key: "discount",
                    label: "Discount",
                    numeric: true,
                    render: (p) =>
                      p.discount
                        ? `${money(p.discount, p.currency)}${p.promo_code_id ? ` (promo #${p.promo_code_id})` : ""}`
                        : "",
                  },
                  { key: "paid_at", label: "Paid (UTC)", render: (p) => when(p.paid_at, "") },
                  {
                    key: "notes",
                    label: "Notes",
                    render: (p) =>
                      p.failure_reason ?? (p.refunded_at ? `refunded ${when(p.refunded_at)}` : ""),
                  },
                ]}
              />
            </div>
            <Pager page={page} pageSize={PAGE_SIZE} count={list.data.count} onPage={setPage} />
          </>
        ) : null}
      </div>
    </Page>
  );
}
