import { useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { allowed } from "../../session";
import { Field } from "../../ui/form";
import { when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { Table } from "../../ui/table";
import { OnOff } from "./rules-common";
import type { Rule } from "./rules-doc";

const SIZE = 50;

/** The rules in evaluation order (priority, then id), filtered by event type and state. */
export function Rules() {
  const [eventType, setEventType] = useState("");
  const [enabled, setEnabled] = useState("");
  const [page, setPage] = useState(1);
  const list = useLoad(
    () =>
      get<ListPage<Rule>>("/admin/rules", {
        event_type: eventType.trim() || undefined,
        enabled: enabled || undefined,
        page,
        page_size: SIZE,
      }),
    [eventType, enabled, page],
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
              value={eventType}
              placeholder="order.cancel"
              onChange={(e) => {
                setEventType(e.currentTarget.value);
                setPage(1);
              }}
            />
          )}
        </Field>
        <Field label="State">
          {(id) => (
            <select
              id={id}
              value={enabled}
              onChange={(e) => {
                setEnabled(e.currentTarget.value);
                setPage(1);
              }}
            >
              <option value="">all</option>
              <option value="true">enabled</option>
              <option value="false">disabled</option>
            </select>
          )}
        </Field>
      </div>
      <ErrorNote error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data ? (
        <>
          <Table<Rule>
            caption="Rules, highest priority first"
            rowKey={(r) => r.id}
            empty="No rules yet."
            rows={list.data.results}
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
          <Pager page={page} pageSize={SIZE} count={list.data.count} onPage={setPage} />
        </>
      ) : null}
    </Page>
  );
}
