import { get, type ListPage } from "../../api";
import { TextField } from "../../ui/fields";
import { FilterBar, useFilters } from "../../ui/filters";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
import { JsonCell } from "./json";
import { LogTable } from "./log-table";

/** An entry of the audit log (GET /admin/audit-log). */
export type AuditEntry = {
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

/** Staff actions, logins and gateway status changes, newest first. */
export function AuditLog() {
  const f = useFilters(NO_FILTER);
  const list = useLoad(
    () =>
      get<ListPage<AuditEntry>>("/admin/audit-log", {
        actor_id: f.applied.actor_id.trim(),
        target_type: f.applied.target_type.trim(),
        target_id: f.applied.target_id.trim(),
        page: f.page,
        page_size: PAGE_SIZE,
      }),
    [f.applied, f.page],
  );
  const issues = list.error?.fields ?? {};
  return (
    <Page title="Audit log">
      <FilterBar label="Filter the audit log" onApply={f.apply}>
        <TextField label="Actor id" size={8} {...f.field("actor_id", issues)} />
        <TextField
          label="Target type"
          size={12}
          hint="user, order, settings…"
          {...f.field("target_type", issues)}
        />
        <TextField label="Target id" size={10} {...f.field("target_id", issues)} />
      </FilterBar>
      <LogTable<AuditEntry>
        list={list}
        filters={f}
        pageSize={PAGE_SIZE}
        minWidth="56rem"
        caption="Audit log, newest first"
        empty="Nothing logged matches."
        columns={[
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
            render: (e) => (e.request_id ? <code title={e.request_id}>{e.request_id.slice(0, 8)}</code> : ""),
          },
        ]}
      />
    </Page>
  );
}
