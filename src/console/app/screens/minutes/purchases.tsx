import { get, type ListPage } from "../../api";
import { SelectField, TextField } from "../../ui/fields";
import { FilterBar, useFilters } from "../../ui/filters";
import { money, when } from "../../ui/format";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
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
const ANY = ["", "any"] as const;
const STATUSES = [ANY, "pending", "succeeded", "failed", "canceled", "refunded"];
const PROVIDERS = [ANY, "stripe", "yookassa", "wallet", "demo"];
const KINDS = [ANY, "package", "topup"];
const NO_FILTER = { user_id: "", status: "", provider: "", kind: "" };

/** Every user's purchases and top-ups, newest first, filtered by user, status, provider and kind. */
export function Purchases() {
  const f = useFilters(NO_FILTER);
  const list = useLoad(
    () =>
      get<ListPage<Purchase>>("/admin/purchases", {
        ...f.applied,
        user_id: f.applied.user_id.trim(),
        page: f.page,
        page_size: PAGE_SIZE,
      }),
    [f.applied, f.page],
  );
  const packages = useLoad(() => get<ListPage<Package>>("/admin/packages", { page_size: 100 }), []);
  const names = new Map((packages.data?.results ?? []).map((p) => [p.id, p.name]));
  const issues = list.error?.fields ?? {};
  return (
    <Page title="Purchases">
      <MinutesTabs />
      <FilterBar label="Filter purchases" onApply={f.apply}>
        <TextField label="User id" inputMode="numeric" size={8} {...f.field("user_id", issues)} />
        <SelectField label="Status" options={STATUSES} {...f.field("status", issues)} />
        <SelectField label="Provider" options={PROVIDERS} {...f.field("provider", issues)} />
        <SelectField label="Kind" options={KINDS} {...f.field("kind", issues)} />
      </FilterBar>
      <div class="card">
        <ListTable<Purchase>
          list={list}
          page={f.page}
          pageSize={PAGE_SIZE}
          onPage={f.setPage}
          issuesBeside
          minWidth="52rem"
          caption="Purchases"
          rowKey={(p) => p.id}
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
              render: (p) => p.failure_reason ?? (p.refunded_at ? `refunded ${when(p.refunded_at)}` : ""),
            },
          ]}
        />
      </div>
    </Page>
  );
}
