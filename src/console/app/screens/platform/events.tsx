import { useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { isoFromLocal, when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { Table } from "../../ui/table";
import { FilterField, JsonCell } from "./part1-ui";

type Event = {
  id: number;
  type: string;
  actor_id: number | null;
  subject_type: string | null;
  subject_id: string | null;
  payload: Record<string, unknown>;
  created_at: string;
};
type EventType = { type: string; module: string; description: string };

const PAGE_SIZE = 50;
const NO_FILTER = { type: "", subject_type: "", subject_id: "", actor_id: "", from: "", to: "" };
type Filter = typeof NO_FILTER;

/** The platform's event log: what happened, to what, by whom; newest first. */
export function Events() {
  const [draft, setDraft] = useState<Filter>(NO_FILTER);
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  const [page, setPage] = useState(1);
  const list = useLoad(
    () =>
      get<ListPage<Event>>("/events", {
        type: filter.type.trim(),
        subject_type: filter.subject_type.trim(),
        subject_id: filter.subject_id.trim(),
        actor_id: filter.actor_id.trim(),
        from: isoFromLocal(filter.from),
        to: isoFromLocal(filter.to),
        page,
        page_size: PAGE_SIZE,
      }),
    [filter, page],
  );
  const types = useLoad(() => get<{ results: EventType[] }>("/admin/event-types"), []);
  const errors = list.error?.fields ?? {};
  const field = (k: keyof Filter) => ({
    name: k,
    value: draft[k],
    error: errors[k],
    onValue: (v: string) => setDraft({ ...draft, [k]: v }),
  });
  return (
    <Page title="Events">
      <form
        class="card row part1-filters"
        aria-label="Filter events"
        novalidate
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          setPage(1);
        }}
      >
        <FilterField label="Type" list="event-types" hint="exact, or a prefix: order." {...field("type")} />
        <datalist id="event-types">
          {(types.data?.results ?? []).map((t) => (
            <option key={t.type} value={t.type}>
              {t.description}
            </option>
          ))}
        </datalist>
        <FilterField label="Subject type" size={12} {...field("subject_type")} />
        <FilterField label="Subject id" size={10} {...field("subject_id")} />
        <FilterField label="Actor id" size={8} {...field("actor_id")} />
        <FilterField label="From (UTC)" type="datetime-local" {...field("from")} />
        <FilterField label="To (UTC)" type="datetime-local" {...field("to")} />
        <div class="part1-apply">
          <button type="submit">Apply</button>
        </div>
      </form>
      <div class="card">
        {Object.keys(errors).length ? null : <ErrorNote error={list.error} />}
        <Loading when={list.loading && !list.data} />
        {list.data && !list.error ? (
          <>
            <div class="part1-table" style={{ "--table-min": "52rem" }}>
              <Table<Event>
                caption="Events, newest first"
                rowKey={(e) => e.id}
                rows={list.data.results}
                empty="No events match."
                columns={[
                  { key: "id", label: "#", numeric: true },
                  { key: "created_at", label: "At (UTC)", render: (e) => when(e.created_at) },
                  { key: "type", label: "Type", render: (e) => <code>{e.type}</code> },
                  { key: "actor_id", label: "Actor", numeric: true, render: (e) => e.actor_id ?? "system" },
                  {
                    key: "subject",
                    label: "Subject",
                    render: (e) => (e.subject_type ? `${e.subject_type} ${e.subject_id ?? ""}` : ""),
                  },
                  { key: "payload", label: "Payload", render: (e) => <JsonCell value={e.payload} /> },
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
