import { get, type ListPage } from "../../api";
import { allowed } from "../../session";
import { SelectField } from "../../ui/fields";
import { useFilters } from "../../ui/filters";
import { Field } from "../../ui/form";
import { when } from "../../ui/format";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
import { ENABLED, OnOff } from "./rules-common";
import type { Rule } from "./rules-doc";

const SIZE = 50;

/** The rules in evaluation order (priority, then id), filtered by event type and state. */
export function Rules() {
  const f = useFilters({ event_type: "", enabled: "" });
  const list = useLoad(
    () =>
      get<ListPage<Rule>>("/admin/rules", {
        event_type: f.applied.event_type.trim(),
        enabled: f.applied.enabled,
        page: f.page,
        page_size: SIZE,
      }),
    [f.applied, f.page],
  );
  const canWrite = allowed("rules:write");
  return (
    <Page
      title="Rules"
      actions={
        canWrite ? (
          <a class="rules-new" href="#/rules/new">
            New rule
          </a>
        ) : null
      }
    >
      <div class="row">
        <Field label="Event type (exact)">
          {(id) => (
            <input
              id={id}
              value={f.applied.event_type}
              placeholder="order.cancel"
              // On change, not on each key: the list reloads once the type is typed.
              onChange={(e) => f.now("event_type").onValue(e.currentTarget.value)}
            />
          )}
        </Field>
        <SelectField label="State" options={ENABLED} {...f.now("enabled")} />
      </div>
      <ListTable<Rule>
        list={list}
        page={f.page}
        pageSize={SIZE}
        onPage={f.setPage}
        caption="Rules, highest priority first"
        rowKey={(r) => r.id}
        empty="No rules yet."
        columns={[
          { key: "name", label: "Name", render: (r) => <a href={`#/rules/${r.id}`}>{r.name}</a> },
          { key: "event_type", label: "Event type", render: (r) => <code>{r.event_type}</code> },
          { key: "enabled", label: "State", render: (r) => <OnOff on={r.enabled} /> },
          { key: "priority", label: "Priority", numeric: true },
          {
            key: "actions",
            label: "Actions",
            render: (r) => r.actions.map((a) => a.type).join(", ") || "—",
          },
          { key: "version", label: "Version", numeric: true },
          { key: "updated_at", label: "Updated", render: (r) => when(r.updated_at) },
        ]}
      />
    </Page>
  );
}
