import { useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { Field } from "../../ui/form";
import { when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { Table } from "../../ui/table";
import { OnOff } from "./rules-common";

type Run = {
  id: number;
  rule_id: number;
  rule_version: number;
  event_id: number;
  matched: boolean;
  applied: boolean;
  actions: { type: string; ok: boolean; error?: string }[];
  depth: number;
  replay: boolean;
  duration_us: number;
  created_at: string;
};

const SIZE = 20;

const yesNo = (b: boolean) => <OnOff on={b} on_label="yes" off_label="no" />;

/** A rule's run log, newest first: what matched, what was applied, each action's outcome. */
export function RunLog(props: { ruleId: number; version: number }) {
  const [matched, setMatched] = useState("");
  const [applied, setApplied] = useState("");
  const [page, setPage] = useState(1);
  const runs = useLoad(
    () =>
      get<ListPage<Run>>(`/admin/rules/${props.ruleId}/runs`, {
        matched: matched || undefined,
        applied: applied || undefined,
        page,
        page_size: SIZE,
      }),
    [props.ruleId, props.version, matched, applied, page],
  );
  const filter = (label: string, value: string, set: (v: string) => void) => (
    <Field label={label}>
      {(id) => (
        <select
          id={id}
          value={value}
          onChange={(e) => {
            set(e.currentTarget.value);
            setPage(1);
          }}
        >
          <option value="">any</option>
          <option value="true">yes</option>
          <option value="false">no</option>
        </select>
      )}
    </Field>
  );
  return (
    <div class="rules-runs">
      <div class="row">
        {filter("Matched", matched, setMatched)}
        {filter("Applied", applied, setApplied)}
        <button type="button" class="secondary" onClick={runs.reload}>
          Refresh
        </button>
      </div>
      <ErrorNote error={runs.error} />
      <Loading when={runs.loading && !runs.data} />
      {runs.data ? (
        <>
          <Table<Run>
            caption="Runs, newest first"
            rowKey={(r) => r.id}
            empty="No runs logged yet (runs that did not match are logged only when rules_log_unmatched is on)."
            rows={runs.data.results}
            columns={[
              { key: "created_at", label: "When", render: (r) => when(r.created_at) },
              { key: "event_id", label: "Event", numeric: true },
              { key: "rule_version", label: "Version", numeric: true },
              { key: "matched", label: "Matched", render: (r) => yesNo(r.matched) },
              { key: "applied", label: "Applied", render: (r) => yesNo(r.applied) },
              {
                key: "actions",
                label: "Actions",
                render: (r) =>
                  r.actions.length ? (
                    <ul class="rules-run-actions">
                      {r.actions.map((a, i) => (
                        <li key={i} class={a.ok ? "ok" : "error"}>
                          {a.type}: {a.ok ? "ok" : a.error}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    "—"
                  ),
              },
              { key: "depth", label: "Depth", numeric: true },
              { key: "replay", label: "Replay", render: (r) => (r.replay ? "yes" : "") },
              { key: "duration_us", label: "µs", numeric: true },
            ]}
          />
          <Pager page={page} pageSize={SIZE} count={runs.data.count} onPage={setPage} />
        </>
      ) : null}
    </div>
  );
}
