import { get, type ListPage } from "../../api";
import { SelectField, TextField } from "../../ui/fields";
import { FilterBar, useFilters } from "../../ui/filters";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
import { JsonCell } from "./json";
import { LogTable } from "./log-table";

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
const KINDS = [
  ["", "any"],
  ["http", "http (5xx answers)"],
  ["job", "job (failed for good)"],
] as const;
const NO_FILTER = { kind: "", from: "", to: "", route: "", request_id: "", job_type: "" };

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
  const f = useFilters(NO_FILTER);
  const list = useLoad(
    () =>
      get<ListPage<CriticalError>>("/admin/logs/critical-errors", {
        ...Object.fromEntries(Object.entries(f.applied).map(([k, v]) => [k, v.trim()])),
        page: f.page,
        page_size: PAGE_SIZE,
      }),
    [f.applied, f.page],
  );
  const issues = list.error?.fields ?? {};
  return (
    <Page title="Critical errors">
      <FilterBar label="Filter critical errors" onApply={f.apply}>
        <SelectField label="Kind" options={KINDS} {...f.field("kind", issues)} />
        <TextField label="From" type="date" {...f.field("from", issues)} />
        <TextField label="To" type="date" {...f.field("to", issues)} />
        <TextField label="Route" hint="as listed, e.g. /api/v1/orders/:id" {...f.field("route", issues)} />
        <TextField label="Request id" {...f.field("request_id", issues)} />
        <TextField label="Job type" size={12} {...f.field("job_type", issues)} />
      </FilterBar>
      <LogTable<CriticalError>
        list={list}
        filters={f}
        pageSize={PAGE_SIZE}
        minWidth="40rem"
        caption="Critical errors, newest first"
        empty="No critical errors recorded. Nothing has failed."
        columns={[
          { key: "origin", label: "Where", render: origin },
          { key: "message", label: "Error", render: (e) => <Detail e={e} /> },
        ]}
      />
    </Page>
  );
}
