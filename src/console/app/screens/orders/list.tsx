import { useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { hashQuery } from "../../router";
import { eitherOr, type Options, SelectField, TextField, useDraft } from "../../ui/fields";
import { useHashFilters } from "../../ui/filters";
import { money, words } from "../../ui/format";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
import type { Column } from "../../ui/table";
import { When } from "../../ui/when";
import { type People, Person, resolvePerson, usePeople } from "./people";
import { StatusPill } from "./status";
import { type Order, STATUSES } from "./types";
import "./orders.css";

const PAGE_SIZE = 25;
const KEYS = ["status", "kind", "client_id", "expert_id", "date_from", "date_to", "sla_breached"] as const;
type Filters = Record<(typeof KEYS)[number], string> & { page: number };

const SELECTS: [key: "status" | "kind" | "sla_breached", label: string, options: Options][] = [
  ["status", "Status", [["", "any"], ...STATUSES.map((s) => [s, words(s)] as const)]],
  ["kind", "Kind", [["", "any"], "work", "session"]],
  ["sla_breached", "SLA", eitherOr("any", "breached", "not breached")],
];

/** The fields typed before Apply: people (by id, username or email) and the creation days. */
const typedOf = (f: Partial<Filters>) => ({
  client_id: f.client_id ?? "",
  expert_id: f.expert_id ?? "",
  date_from: f.date_from ?? "",
  date_to: f.date_to ?? "",
});

const readFilters = (): Filters => {
  const h = hashQuery();
  const f = { page: Number(h.get("page")) || 1 } as Filters;
  for (const k of KEYS) f[k] = h.get(k) ?? "";
  return f;
};

const columns = (people: People): Column<Order>[] => [
  { key: "id", label: "ID", numeric: true, render: (o) => <a href={`#/orders/${o.id}`}>{o.id}</a> },
  { key: "title", label: "Title", render: (o) => <a href={`#/orders/${o.id}`}>{o.title}</a> },
  { key: "status", label: "Status", render: (o) => <StatusPill status={o.status} /> },
  { key: "kind", label: "Kind" },
  { key: "client", label: "Client", render: (o) => <Person id={o.client_id} people={people} /> },
  { key: "expert", label: "Expert", render: (o) => <Person id={o.expert_id} people={people} /> },
  {
    key: "price",
    label: "Price",
    numeric: true,
    render: (o) =>
      money(o.price ?? o.budget, o.currency) + (o.price == null && o.budget != null ? " (budget)" : ""),
  },
  { key: "created", label: "Created", render: (o) => <When iso={o.created_at} /> },
  {
    key: "sla",
    label: "SLA",
    render: (o) =>
      o.sla_breached_at ? <span class="pill orders-late">breached</span> : <When iso={o.sla_due_at} />,
  },
];

/** Every order, newest first, filtered as GET /admin/orders allows. */
export function OrdersList() {
  const people = usePeople();
  const typed = useDraft(() => typedOf(readFilters()));
  const [local, setLocal] = useState<Record<string, string>>({});
  // The nav link (no query), a user's "orders as client" link or Back bring other filters.
  const [filters, apply] = useHashFilters("/orders", readFilters, (f) => {
    typed.setDraft(typedOf(f));
    setLocal({});
  });
  const t = typed.draft;
  /** The typed fields: a name that matches nobody is said here, before asking the API. */
  const submit = (e: Event) => {
    e.preventDefault();
    const errors: Record<string, string> = {};
    const ids: Record<string, string> = {};
    for (const key of ["client_id", "expert_id"] as const) {
      const text = t[key];
      const id = resolvePerson(text, people);
      if (text.trim() && id == null) errors[key] = `no user with the id, username or email “${text.trim()}”`;
      ids[key] = id == null ? "" : String(id);
    }
    setLocal(errors);
    if (Object.keys(errors).length) return;
    apply({ ...t, ...ids });
  };
  const list = useLoad(
    () => get<ListPage<Order>>("/admin/orders", { ...filters, page_size: PAGE_SIZE }),
    KEYS.map((k) => filters[k]).concat(String(filters.page)),
  );
  const issues = { ...(list.error?.fields ?? {}), ...local };
  return (
    <Page title="Orders">
      <form class="card" aria-label="Filter orders" onSubmit={submit} novalidate>
        <div class="row">
          {SELECTS.map(([key, label, options]) => (
            <SelectField
              key={key}
              label={label}
              name={key}
              error={issues[key]}
              options={options}
              value={filters[key]}
              onValue={(v) => apply({ [key]: v })}
            />
          ))}
        </div>
        <div class="row">
          <TextField label="Client (id, username or email)" {...typed.field("client_id", issues)} />
          <TextField label="Expert (id, username or email)" {...typed.field("expert_id", issues)} />
          <TextField label="Created from" type="date" {...typed.field("date_from", issues)} />
          <TextField label="Created to" type="date" {...typed.field("date_to", issues)} />
          <div class="field orders-buttons">
            <button type="submit">Apply</button>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                typed.setDraft(typedOf({}));
                setLocal({});
                apply({ status: "", kind: "", sla_breached: "", ...typedOf({}) });
              }}
            >
              Clear
            </button>
          </div>
        </div>
      </form>
      <ListTable
        list={list}
        page={filters.page}
        pageSize={PAGE_SIZE}
        onPage={(page) => apply({ page })}
        issuesBeside
        noun={["order", "orders"]}
        caption="Orders"
        columns={columns(people)}
        rowKey={(o) => o.id}
        empty="No order matches."
      />
    </Page>
  );
}
