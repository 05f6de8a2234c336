import { useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { allowed } from "../../session";
import { ActionDialog } from "../../ui/action-dialog";
import { SelectField, TextField } from "../../ui/fields";
import { FilterBar, useFilters } from "../../ui/filters";
import { money, when } from "../../ui/format";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { Notice, Page } from "../../ui/page";
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

type Refunded = { id: number; refund: { amount: number; currency: string; prorated: boolean } };

/**
 * Refunds a package purchase to the user's wallet: the reason the API requires, and whether to
 * return only the share of the seconds not yet spent (the grant then ends now) or the whole amount
 * (the grant is revoked).
 */
function RefundDialog(props: { purchase: Purchase; onClose: () => void; onDone: (r: Refunded) => void }) {
  const [prorate, setProrate] = useState(false);
  const p = props.purchase;
  return (
    <ActionDialog
      title={`Refund purchase #${p.id}`}
      submitLabel="Refund"
      danger
      reasonLabel="Reason"
      action={async (reason) =>
        // The reason as typed, empty included: the API says what it needs.
        props.onDone(
          await api<Refunded>("POST", `/admin/purchases/${p.id}/refund`, { reason: reason ?? "", prorate }),
        )
      }
      onClose={props.onClose}
    >
      <p>
        {money(p.amount, p.currency)} paid by user #{p.user_id}, returned to their wallet.
      </p>
      <label class="minutes-check">
        <input type="checkbox" checked={prorate} onChange={(e) => setProrate(e.currentTarget.checked)} /> Only
        the unspent seconds' share (the package's minutes end now)
      </label>
    </ActionDialog>
  );
}

/** Every user's purchases and top-ups, newest first, filtered by user, status, provider and kind. */
export function Purchases() {
  const [refunding, setRefunding] = useState<Purchase | null>(null);
  const [note, setNote] = useState("");
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
      <Notice>{note}</Notice>
      {refunding ? (
        <RefundDialog
          purchase={refunding}
          onClose={() => setRefunding(null)}
          onDone={(r) => {
            setNote(
              `Purchase #${r.id} refunded: ${money(r.refund.amount, r.refund.currency)} to user #${refunding.user_id}'s wallet${r.refund.prorated ? " (the unspent share)" : ""}.`,
            );
            list.reload();
          }}
        />
      ) : null}
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
              render: (p) =>
                p.failure_reason ??
                (p.refunded_at ? (
                  `refunded ${when(p.refunded_at)}`
                ) : p.kind === "package" && p.status === "succeeded" && allowed("purchases:refund") ? (
                  <button
                    type="button"
                    class="link"
                    aria-label={`Refund purchase #${p.id}`}
                    onClick={() => {
                      setNote("");
                      setRefunding(p);
                    }}
                  >
                    Refund…
                  </button>
                ) : (
                  ""
                )),
            },
          ]}
        />
      </div>
    </Page>
  );
}
