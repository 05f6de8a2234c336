import { useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { hashQuery, setHashQuery } from "../../router";
import { ActionDialog } from "../../ui/action-dialog";
import { SelectField } from "../../ui/fields";
import { useFilters } from "../../ui/filters";
import { money, when } from "../../ui/format";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
import type { Column } from "../../ui/table";
import { Said, useRowChange } from "./row-change";
import { REQUISITE_STATUSES, type StaffRequisite } from "./types";

const PAGE_SIZE = 20;
const STATUSES = [...REQUISITE_STATUSES, ["", "any"] as const];
const moderate = (id: number, status: "approved" | "blocked", reason?: string) =>
  api<StaffRequisite>("POST", `/admin/gateway/requisites/${id}/status`, { status, reason });

const traderName = (r: StaffRequisite) => r.trader.username ?? `user ${r.trader.user_id}`;
const describe = (r: StaffRequisite) => `${r.bank} ${r.payment_method} ${r.details}`;

/**
 * Requisite moderation: traders' new or changed requisites wait here (oldest first) until staff
 * approve them (they start getting orders) or block them with a reason the trader is told.
 */
export function RequisiteQueue() {
  const f = useFilters(() => {
    const q = hashQuery();
    return { status: q.get("status") ?? "pending", trader_id: q.get("trader_id") ?? "" };
  });
  const { status, trader_id: traderId } = f.applied;
  const [blocking, setBlocking] = useState<StaffRequisite | null>(null);
  const list = useLoad(() => {
    setHashQuery("/gateway/requisites", { status, trader_id: traderId || undefined });
    return get<ListPage<StaffRequisite>>("/admin/gateway/requisites", {
      ...f.applied,
      page: f.page,
      page_size: PAGE_SIZE,
    });
  }, [f.applied, f.page]);

  const change = useRowChange(list.reload);
  const approve = (r: StaffRequisite) =>
    change.run(r.id, async () => {
      await moderate(r.id, "approved");
      return `Requisite #${r.id} (${describe(r)}) of ${traderName(r)} approved.`;
    });

  const columns: Column<StaffRequisite>[] = [
    { key: "id", label: "#", render: (r) => <span>#{r.id}</span> },
    {
      key: "trader",
      label: "Trader",
      render: (r) => (
        <>
          <strong>{traderName(r)}</strong>
          <br />
          <small class="muted">
            trader #{r.trader.id}
            {r.trader.teamlead_id ? ` · team of user #${r.trader.teamlead_id}` : ""}
          </small>
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
    {
      key: "details",
      label: "Details",
      render: (r) => (
        <>
          <code>{r.details}</code>
          <br />
          <small>{r.owner_name}</small>
        </>
      ),
    },
    {
      key: "limits",
      label: "Limits",
      render: (r) => (
        <small>
          {money(r.min_amount, r.currency)} – {money(r.max_amount, r.currency)} an order
          <br />
          {money(r.daily_limit, r.currency)}, {r.daily_count_limit} orders a day
        </small>
      ),
    },
    {
      key: "directions",
      label: "For",
      render: (r) => [r.pay_in && "pay-in", r.pay_out && "pay-out"].filter(Boolean).join(", ") || "—",
    },
    { key: "created_at", label: "Added", render: (r) => when(r.created_at) },
    { key: "status", label: "Status", render: (r) => <span class={`pill gw-${r.status}`}>{r.status}</span> },
    {
      key: "actions",
      label: "Actions",
      render: (r) => (
        <div class="buttons">
          {r.status !== "approved" ? (
            <button
              type="button"
              disabled={change.busy === r.id}
              aria-label={`Approve requisite #${r.id}`}
              onClick={() => approve(r)}
            >
              Approve
            </button>
          ) : null}
          {r.status !== "blocked" ? (
            <button
              type="button"
              class="danger"
              disabled={change.busy === r.id}
              aria-label={`Block requisite #${r.id}`}
              onClick={() => {
                change.clear();
                setBlocking(r);
              }}
            >
              Block…
            </button>
          ) : null}
        </div>
      ),
    },
  ];

  return (
    <Page
      title="Requisite queue"
      actions={<SelectField label="Status" options={STATUSES} {...f.now("status")} />}
    >
      {traderId ? (
        <p class="muted">
          Requisites of trader #{traderId} only.{" "}
          <button type="button" class="link" onClick={() => f.apply({ status, trader_id: "" })}>
            Every trader's
          </button>
        </p>
      ) : null}
      <Said change={change} />
      <ListTable
        list={list}
        page={f.page}
        pageSize={PAGE_SIZE}
        onPage={f.setPage}
        caption={status === "pending" ? "Waiting for moderation, oldest first" : undefined}
        columns={columns}
        rowKey={(r) => r.id}
        empty={status === "pending" ? "Nothing waits for moderation." : "No requisites."}
      />
      {blocking ? (
        <ActionDialog
          title={`Block requisite #${blocking.id}?`}
          submitLabel="Block requisite"
          danger
          reasonLabel="Reason (told to the trader)"
          action={(reason) => moderate(blocking.id, "blocked", reason)}
          onClose={() => setBlocking(null)}
          onDone={() =>
            change.done(
              `Requisite #${blocking.id} (${describe(blocking)}) of ${traderName(blocking)} blocked.`,
            )
          }
        >
          <p>
            {describe(blocking)} ({blocking.owner_name}) of {traderName(blocking)} gets no orders until it is
            approved again.
          </p>
        </ActionDialog>
      ) : null}
    </Page>
  );
}
