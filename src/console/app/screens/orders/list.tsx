import { useEffect, useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { hashQuery, setHashQuery } from "../../router";
import { Field } from "../../ui/form";
import { money, words } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { type Column, Table } from "../../ui/table";
import { When } from "../../ui/when";
import { type People, Person, resolvePerson, usePeople } from "./people";
import { StatusPill } from "./status";
import { type Order, STATUSES } from "./types";
import "./orders.css";

const PAGE_SIZE = 25;
const KEYS = ["status", "kind", "client_id", "expert_id", "date_from", "date_to", "sla_breached"] as const;
type Filters = Record<(typeof KEYS)[number], string> & { page: number };

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
  const [filters, setFilters] = useState<Filters>(readFilters);
  const [client, setClient] = useState(filters.client_id);
  const [expert, setExpert] = useState(filters.expert_id);
  const [from, setFrom] = useState(filters.date_from);
  const [to, setTo] = useState(filters.date_to);
  const [local, setLocal] = useState<Record<string, string>>({});
  useEffect(() => {
    // The nav link (no query), a user's "orders as client" link or Back: follow the hash.
    const follow = () => {
      const f = readFilters();
      setFilters(f);
      setClient(f.client_id);
      setExpert(f.expert_id);
      setFrom(f.date_from);
      setTo(f.date_to);
      setLocal({});
    };
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  const apply = (next: Partial<Filters>) => {
    const f = { ...filters, page: 1, ...next };
    setFilters(f);
    setHashQuery("/orders", { ...f, page: f.page > 1 ? f.page : undefined });
  };
  /** The typed fields: a name that matches nobody is said here, before asking the API. */
  const submit = (e: Event) => {
    e.preventDefault();
    const errors: Record<string, string> = {};
    const ids: Record<string, string> = {};
    for (const [key, text] of [
      ["client_id", client],
      ["expert_id", expert],
    ] as const) {
      const id = resolvePerson(text, people);
      if (text.trim() && id == null) errors[key] = `no user with the id, username or email “${text.trim()}”`;
      ids[key] = id == null ? "" : String(id);
    }
    setLocal(errors);
    if (Object.keys(errors).length) return;
    apply({ client_id: ids.client_id, expert_id: ids.expert_id, date_from: from, date_to: to });
  };
  const list = useLoad(
    () => get<ListPage<Order>>("/admin/orders", { ...filters, page_size: PAGE_SIZE }),
    KEYS.map((k) => filters[k]).concat(String(filters.page)),
  );
  const issues = { ...(list.error?.fields ?? {}), ...local };
  const select = (key: "status" | "kind" | "sla_breached", text: string, options: [string, string][]) => (
    <Field label={text} error={issues[key]}>
      {(id, d) => (
        <select
          id={id}
          aria-describedby={d}
          name={key}
          value={filters[key]}
          onChange={(e) => apply({ [key]: e.currentTarget.value })}
        >
          <option value="">any</option>
          {options.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  return (
    <Page title="Orders">
      <form class="card" aria-label="Filter orders" onSubmit={submit} novalidate>
        <div class="row">
          {select(
            "status",
            "Status",
            STATUSES.map((s) => [s, words(s)]),
          )}
          {select("kind", "Kind", [
            ["work", "work"],
            ["session", "session"],
          ])}
          {select("sla_breached", "SLA", [
            ["true", "breached"],
            ["false", "not breached"],
          ])}
        </div>
        <div class="row">
          <Field label="Client (id, username or email)" error={issues.client_id}>
            {(id, d) => (
              <input
                id={id}
                aria-describedby={d}
                name="client"
                value={client}
                onInput={(e) => setClient(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="Expert (id, username or email)" error={issues.expert_id}>
            {(id, d) => (
              <input
                id={id}
                aria-describedby={d}
                name="expert"
                value={expert}
                onInput={(e) => setExpert(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="Created from" error={issues.date_from}>
            {(id, d) => (
              <input
                id={id}
                aria-describedby={d}
                type="date"
                name="date_from"
                value={from}
                onInput={(e) => setFrom(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="Created to" error={issues.date_to}>
            {(id, d) => (
              <input
                id={id}
                aria-describedby={d}
                type="date"
                name="date_to"
                value={to}
                onInput={(e) => setTo(e.currentTarget.value)}
              />
            )}
          </Field>
          <div class="field orders-buttons">
            <button type="submit">Apply</button>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setClient("");
                setExpert("");
                setFrom("");
                setTo("");
                setLocal({});
                apply({
                  status: "",
                  kind: "",
                  client_id: "",
                  expert_id: "",
                  date_from: "",
                  date_to: "",
                  sla_breached: "",
                });
              }}
            >
              Clear
            </button>
          </div>
        </div>
      </form>
      {list.error && !Object.keys(list.error.fields).length ? <ErrorNote error={list.error} /> : null}
      <Loading when={list.loading && !list.data} />
      {list.data ? (
        <>
          <p class="muted" aria-live="polite">
            {list.data.count} {list.data.count === 1 ? "order" : "orders"}
            {list.loading ? " · loading…" : ""}
          </p>
          <Table
            caption="Orders"
            columns={columns(people)}
            rows={list.data.results}
            rowKey={(o) => o.id}
            empty="No order matches."
          />
          {list.data ? (
            <Pager
              page={filters.page}
              pageSize={PAGE_SIZE}
              count={list.data.count}
              onPage={(page) => apply({ page })}
            />
          ) : null}
        </>
      ) : null}
    </Page>
  );
}
