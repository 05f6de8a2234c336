import { useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { Table } from "../../ui/table";
import { FilterField, JsonCell } from "./part1-ui";

type Entry = {
  id: number;
  actor_id: number | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  request_id: string | null;
  created_at: string;
};

const PAGE_SIZE = 50;
const NO_FILTER = { actor_id: "", target_type: "", target_id: "" };
type Filter = typeof NO_FILTER;

/** Staff actions, logins and gateway status changes, newest first. */
export function AuditLog() {
  const [draft, setDraft] = useState<Filter>(NO_FILTER);
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  const [page, setPage] = useState(1);
  const list = useLoad(
    () =>
      get<ListPage<Entry>>("/admin/audit-log", {
        actor_id: filter.actor_id.trim(),
        target_type: filter.target_type.trim(),
        target_id: filter.target_id.trim(),
        page,
        page_size: PAGE_SIZE,
      }),
    [filter, page],
  );
  const errors = list.error?.fields ?? {};
  const field = (k: keyof Filter) => ({
    name: k,
    value: draft[k],
    error: errors[k],
    onValue: (v: string) => setDraft({ ...draft, [k]: v }),
  });
  return (
    <Page title="Audit log">
      <form
        class="card row part1-filters"
        aria-label="Filter the audit log"
        novalidate
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          setPage(1);
        }}
      >
        <FilterField label="Actor id" size={8} {...field("actor_id")} />
        <FilterField label="Target type" size={12} hint="user, order, settings…" {...field("target_type")} />
        <FilterField label="Target id" size={10} {...field("target_id")} />
        <div class="part1-apply">
          <button type="submit">Apply</button>
        </div>
      </form>
      <div class="card">
        {Object.keys(errors).length ? null : <ErrorNote error={list.error} />}
        <Loading when={list.loading && !list.data} />
        {list.data && !list.error ? (
          <>
            <div class="part1-table" style={{ "--table-min": "56rem" }}>
              <Table<Entry>
                caption="Audit log, newest first"
                rowKey={(e) => e.id}
                rows={list.data.results}
                empty="Nothing logged matches."
                columns={[
                  { key: "id", label: "#", numeric: true },
                  { key: "created_at", label: "At (UTC)", render: (e) => when(e.created_at) },
                  { key: "actor_id", label: "Actor", numeric: true, render: (e) => e.actor_id ?? "system" },
                  { key: "action", label: "Action", render: (e) => <code>{e.action}</code> },
                  {
                    key: "target",
                    label: "Target",
                    render: (e) => (e.target_type ? `${e.target_type} ${e.target_id ?? ""}` : ""),
                  },
                  { key: "details", label: "Details", render: (e) => <JsonCell value={e.details} /> },
                  { key: "ip", label: "IP" },
                  {
                    key: "request_id",
                    label: "Request",
                    render: (e) =>
                      e.request_id ? <code title={e.request_id}>{e.request_id.slice(0, 8)}</code> : "",
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
