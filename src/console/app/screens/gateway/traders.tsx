import { useRef, useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { DialogButtons } from "../../ui/action-dialog";
import { Dialog, useDialog } from "../../ui/dialog";
import { TextField, useDraft } from "../../ui/fields";
import { FormError, useForm } from "../../ui/form";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
import type { Column } from "../../ui/table";
import { bps, usdt } from "./format";
import { Said, useRowChange } from "./row-change";
import type { AdminTrader } from "./types";

const PAGE_SIZE = 25;
const nameOf = (t: AdminTrader) => t.username ?? `user #${t.user_id}`;
const patch = (id: number, body: Record<string, unknown>) =>
  api<AdminTrader>("PATCH", `/admin/gateway/traders/${id}`, body);

/** On/off through the API; the button says what is, aria-pressed tells assistive technology. */
function Switch(props: { on: boolean; label: string; busy: boolean; onToggle: () => void }) {
  return (
    <button
      type="button"
      class={`gw-switch${props.on ? " on" : ""}`}
      aria-pressed={props.on}
      aria-label={props.label}
      disabled={props.busy}
      onClick={props.onToggle}
    >
      {props.on ? "on" : "off"}
    </button>
  );
}

/** Priority and commissions of one trader, in a dialog; the API's message lands next to the field. */
function EditTrader(props: { trader: AdminTrader; onClose: () => void; onDone: (t: AdminTrader) => void }) {
  const dialog = useDialog();
  const t = props.trader;
  const { draft: v, field: bind } = useDraft({
    priority: String(t.priority),
    pay_in_bps: String(t.pay_in_bps),
    pay_out_bps: String(t.pay_out_bps),
  });
  const saved = useRef<AdminTrader | null>(null);
  const form = useForm(
    async () => {
      // Sent as typed: a blank or fractional value is the API's to refuse, next to its field.
      const num = (s: string) => (s.trim() === "" ? s : Number(s));
      saved.current = await patch(t.id, {
        priority: num(v.priority),
        pay_in_bps: num(v.pay_in_bps),
        pay_out_bps: num(v.pay_out_bps),
      });
    },
    () => {
      dialog.close();
      if (saved.current) props.onDone(saved.current);
    },
  );
  const field = (k: keyof typeof v, label: string, hint: string) => (
    <TextField label={label} hint={hint} inputMode="numeric" {...bind(k, form.errors)} />
  );
  return (
    <Dialog dialog={dialog} title={`Trader ${nameOf(t)}`} class="action-dialog" onClose={props.onClose}>
      <form onSubmit={form.submit} novalidate>
        {field("priority", "Priority", "lower gets orders first")}
        {field("pay_in_bps", "Pay-in commission", "basis points: 100 = 1%")}
        {field("pay_out_bps", "Pay-out commission", "basis points")}
        <FormError errors={form.errors} fields={Object.keys(v)} />
        <DialogButtons form={form} label="Save" onCancel={dialog.close} />
      </form>
    </Dialog>
  );
}

/**
 * The traders (admins): who is in work and whose traffic is on (both must be for orders to reach
 * them), their selection priority, commissions and USDT deposit.
 */
export function Traders() {
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<AdminTrader | null>(null);
  const list = useLoad(
    () => get<ListPage<AdminTrader>>("/admin/gateway/traders", { page, page_size: PAGE_SIZE }),
    [page],
  );

  const change = useRowChange(list.reload);
  const toggle = (t: AdminTrader, field: "in_work" | "traffic_enabled") =>
    change.run(t.id, async () => {
      const after = await patch(t.id, { [field]: !t[field] });
      const what = field === "in_work" ? "in work" : "traffic";
      return `${nameOf(after)}: ${what} ${after[field] ? "on" : "off"}.`;
    });

  const columns: Column<AdminTrader>[] = [
    {
      key: "trader",
      label: "Trader",
      render: (t) => (
        <>
          <strong>{nameOf(t)}</strong>
          <br />
          <small class="muted">
            #{t.id}
            {t.teamlead_id ? ` · team of user #${t.teamlead_id}` : ""}
          </small>
        </>
      ),
    },
    {
      key: "in_work",
      label: "In work",
      render: (t) => (
        <Switch
          on={t.in_work}
          busy={change.busy === t.id}
          label={`In work: ${nameOf(t)}`}
          onToggle={() => toggle(t, "in_work")}
        />
      ),
    },
    {
      key: "traffic_enabled",
      label: "Traffic",
      render: (t) => (
        <Switch
          on={t.traffic_enabled}
          busy={change.busy === t.id}
          label={`Traffic: ${nameOf(t)}`}
          onToggle={() => toggle(t, "traffic_enabled")}
        />
      ),
    },
    { key: "priority", label: "Priority", numeric: true },
    {
      key: "commission",
      label: "Commission in / out",
      numeric: true,
      render: (t) => `${bps(t.pay_in_bps)} / ${bps(t.pay_out_bps)}`,
    },
    {
      key: "available",
      label: "Deposit available",
      numeric: true,
      render: (t) => <span class="nowrap">{usdt(t.balance.available)}</span>,
    },
    {
      key: "held",
      label: "Held",
      numeric: true,
      render: (t) => <span class="nowrap">{usdt(t.balance.held)}</span>,
    },
    {
      key: "links",
      label: "See",
      render: (t) => (
        <div class="buttons">
          <a href={`#/gateway/orders?trader_id=${t.id}`}>orders</a>
          <a href={`#/gateway/requisites?status=&trader_id=${t.id}`}>requisites</a>
          <button type="button" class="link" onClick={() => setEditing(t)} aria-label={`Edit ${nameOf(t)}`}>
            edit
          </button>
        </div>
      ),
    },
  ];

  return (
    <Page title="Traders">
      <p class="muted">
        Orders reach a trader who is in work (their own switch) with traffic on (the teamlead's).
      </p>
      <Said change={change} />
      <ListTable
        list={list}
        page={page}
        pageSize={PAGE_SIZE}
        onPage={setPage}
        columns={columns}
        rowKey={(t) => t.id}
        empty="No traders yet."
      />
      {editing ? (
        <EditTrader
          trader={editing}
          onClose={() => setEditing(null)}
          onDone={(t) => change.done(`${nameOf(t)} saved: priority ${t.priority}.`)}
        />
      ) : null}
    </Page>
  );
}
