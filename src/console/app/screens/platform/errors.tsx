import { useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { Field } from "../../ui/form";
import { when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { Table } from "../../ui/table";
import { FilterField, JsonCell } from "./part1-ui";

type CriticalError = {
  id: number;
  kind: "http" | "job";
  message: string;
  error_name: string | null;
  stack: string | null;
  request_id: string | null;
  method: string | null;
  route: string | null;
  status: number | null;
  actor_id: number | null;
  job_id: number | null;
  job_type: string | null;
  details: Record<string, unknown>;
  created_at: string;
};

const PAGE_SIZE = 25;
const NO_FILTER = { kind: "", from: "", to: "", route: "", request_id: "", job_type: "" };
type Filter = typeof NO_FILTER;

/** Where it failed: the route of a 5xx answer, or the job that failed for good. */
function origin(e: CriticalError) {
  if (e.kind === "http")
    return (
      <>
        <span class="pill">{e.status ?? "5xx"}</span>{" "}
        <code>{`${e.method ?? ""} ${e.route ?? ""}`.trim()}</code>
      </>
    );
  return (
    <>
      <span class="pill">job</span> <code>{e.job_type ?? ""}</code>
      {e.job_id ? ` #${e.job_id}` : ""}
    </>
  );
}

/** The error with what is known about it, unfolded on demand (the list holds the whole row). */
function Detail(props: { e: CriticalError }) {
  const e = props.e;
  return (
    <details class="errors-detail">
      <summary>
        {e.error_name ? <strong>{e.error_name}: </strong> : null}
        {e.message}
      </summary>
      <dl class="kv">
        {e.request_id ? (
          <>
            <dt>Request id</dt>
            <dd>
              <code>{e.request_id}</code>
            </dd>
          </>
        ) : null}
        {e.actor_id ? (
          <>
            <dt>Caller</dt>
            <dd>user #{e.actor_id}</dd>
          </>
        ) : null}
        {Object.keys(e.details).length ? (
          <>
            <dt>Details</dt>
            <dd>
              <JsonCell value={e.details} inline={0} />
            </dd>
          </>
        ) : null}
      </dl>
      {e.stack ? <pre class="errors-stack">{e.stack}</pre> : <p class="muted">No stack recorded.</p>}
    </details>
  );
}

/**
 * Unhandled 5xx answers and jobs that failed for good. The API keeps them as a log (no resolve
 * state): filter by time, route, request id or job type to find the one a user reported.
 */
export function CriticalErrors() {
  const [draft, setDraft] = useState<Filter>(NO_FILTER);
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  const [page, setPage] = useState(1);
  const list = useLoad(
    () =>
      get<ListPage<CriticalError>>("/admin/logs/critical-errors", {
        ...Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, v.trim()])),
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
    <Page title="Critical errors">
      <form
        class="card row part1-filters"
        aria-label="Filter critical errors"
        novalidate
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          setPage(1);
        }}
      >
        <Field label="Kind" error={errors.kind}>
          {(id, dby) => (
            <select
              id={id}
              name="kind"
              aria-describedby={dby}
              value={draft.kind}
              onChange={(e) => setDraft({ ...draft, kind: e.currentTarget.value })}
            >
              <option value="">any</option>
              <option value="http">http (5xx answers)</option>
              <option value="job">job (failed for good)</option>
            </select>
          )}
        </Field>
        <FilterField label="From" type="date" {...field("from")} />
        <FilterField label="To" type="date" {...field("to")} />
        <FilterField label="Route" hint="as listed, e.g. /api/v1/orders/:id" {...field("route")} />
        <FilterField label="Request id" {...field("request_id")} />
        <FilterField label="Job type" size={12} {...field("job_type")} />
        <div class="part1-apply">
          <button type="submit">Apply</button>
        </div>
      </form>
      <div class="card">
        {Object.keys(errors).length ? null : <ErrorNote error={list.error} />}
        <Loading when={list.loading && !list.data} />
        {list.data && !list.error ? (
          <>
            <div class="part1-table" style={{ "--table-min": "40rem" }}>
              <Table<CriticalError>
                caption="Critical errors, newest first"
                rowKey={(e) => e.id}
                rows={list.data.results}
                empty="No critical errors recorded. Nothing has failed."
                columns={[
                  { key: "id", label: "#", numeric: true },
                  { key: "created_at", label: "At (UTC)", render: (e) => when(e.created_at) },
                  { key: "origin", label: "Where", render: origin },
                  { key: "message", label: "Error", render: (e) => <Detail e={e} /> },
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
