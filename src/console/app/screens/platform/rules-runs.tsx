import { get, type ListPage } from "../../api";
import { eitherOr, SelectField } from "../../ui/fields";
import { useFilters } from "../../ui/filters";
import { when } from "../../ui/format";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
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
const YES_NO = eitherOr("any", "yes", "no");

const yesNo = (b: boolean) => <OnOff on={b} on_label="yes" off_label="no" />;

/** A rule's run log, newest first: what matched, what was applied, each action's outcome. */
export function RunLog(props: { ruleId: number; version: number }) {
  const f = useFilters({ matched: "", applied: "" });
  const runs = useLoad(
    () =>
      get<ListPage<Run>>(`/admin/rules/${props.ruleId}/runs`, {
        ...f.applied,
        page: f.page,
        page_size: SIZE,
      }),
    [props.ruleId, props.version, f.applied, f.page],
  );
  return (
    <div class="rules-runs">
      <div class="row">
        <SelectField label="Matched" options={YES_NO} {...f.now("matched")} />
        <SelectField label="Applied" options={YES_NO} {...f.now("applied")} />
        <button type="button" class="secondary" onClick={runs.reload}>
          Refresh
        </button>
      </div>
      <ListTable<Run>
        list={runs}
        page={f.page}
        pageSize={SIZE}
        onPage={f.setPage}
        caption="Runs, newest first"
        rowKey={(r) => r.id}
        empty="No runs logged yet (runs that did not match are logged only when rules_log_unmatched is on)."
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
    </div>
  );
}
