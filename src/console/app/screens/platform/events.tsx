import { get, type ListPage } from "../../api";
import { TextField } from "../../ui/fields";
import { FilterBar, useFilters } from "../../ui/filters";
import { isoFromLocal } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
import { JsonCell } from "./json";
import { LogTable } from "./log-table";
import { useEventTypes } from "./rules-common";

/** A recorded event (GET /events). */
export type EventRecord = {
  id: number;
  type: string;
  actor_id: number | null;
  subject_type: string | null;
  subject_id: string | null;
  payload: Record<string, unknown>;
  created_at: string;
};

const PAGE_SIZE = 50;
const NO_FILTER = { type: "", subject_type: "", subject_id: "", actor_id: "", from: "", to: "" };

/** The platform's event log: what happened, to what, by whom; newest first. */
export function Events() {
  const f = useFilters(NO_FILTER);
  const a = f.applied;
  const list = useLoad(
    () =>
      get<ListPage<EventRecord>>("/events", {
        type: a.type.trim(),
        subject_type: a.subject_type.trim(),
        subject_id: a.subject_id.trim(),
        actor_id: a.actor_id.trim(),
        from: isoFromLocal(a.from),
        to: isoFromLocal(a.to),
        page: f.page,
        page_size: PAGE_SIZE,
      }),
    [a, f.page],
  );
  const types = useEventTypes();
  const issues = list.error?.fields ?? {};
  return (
    <Page title="Events">
      <FilterBar label="Filter events" onApply={f.apply}>
        <TextField
          label="Type"
          list="event-types"
          hint="exact, or a prefix: order."
          {...f.field("type", issues)}
        />
        <datalist id="event-types">
          {(types.data ?? []).map((t) => (
            <option key={t.type} value={t.type}>
              {t.description}
            </option>
          ))}
        </datalist>
        <TextField label="Subject type" size={12} {...f.field("subject_type", issues)} />
        <TextField label="Subject id" size={10} {...f.field("subject_id", issues)} />
        <TextField label="Actor id" size={8} {...f.field("actor_id", issues)} />
        <TextField label="From (UTC)" type="datetime-local" {...f.field("from", issues)} />
        <TextField label="To (UTC)" type="datetime-local" {...f.field("to", issues)} />
      </FilterBar>
      <LogTable<EventRecord>
        list={list}
        filters={f}
        pageSize={PAGE_SIZE}
        minWidth="52rem"
        caption="Events, newest first"
        empty="No events match."
        columns={[
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
    </Page>
  );
}
