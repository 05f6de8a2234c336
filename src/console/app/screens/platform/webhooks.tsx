import { useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { allowed } from "../../session";
import { SelectField, TextField, useDraft } from "../../ui/fields";
import { useFilters } from "../../ui/filters";
import { FormError, useForm } from "../../ui/form";
import { when } from "../../ui/format";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { ErrorNote, Page } from "../../ui/page";
import { ENABLED, type EventType, OnOff, useEventTypes } from "./rules-common";
import { type Endpoint, EventPatterns, endpointKeys, SecretDialog } from "./webhooks-form";

const SIZE = 50;

/** Outgoing webhook endpoints; a new one's signing secret is shown once, right after it is made. */
export function Webhooks() {
  const f = useFilters({ enabled: "" });
  const list = useLoad(
    () => get<ListPage<Endpoint>>("/admin/webhooks", { ...f.applied, page: f.page, page_size: SIZE }),
    [f.applied, f.page],
  );
  const types = useEventTypes();
  const canWrite = allowed("webhooks:write");
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ secret: string; url: string } | null>(null);
  return (
    <Page
      title="Webhooks"
      actions={
        canWrite && !creating ? (
          <button type="button" onClick={() => setCreating(true)}>
            New endpoint
          </button>
        ) : null
      }
    >
      {creating && types.data ? (
        <NewEndpoint
          types={types.data}
          onCancel={() => setCreating(false)}
          onCreated={(e) => {
            setCreating(false);
            setSecret({ secret: e.secret, url: e.url });
            list.reload();
          }}
        />
      ) : null}
      {secret ? (
        <SecretDialog secret={secret.secret} url={secret.url} onClose={() => setSecret(null)} />
      ) : null}
      <div class="row">
        <SelectField label="State" options={ENABLED} {...f.now("enabled")} />
      </div>
      <ErrorNote error={types.error} />
      <ListTable<Endpoint>
        list={list}
        page={f.page}
        pageSize={SIZE}
        onPage={f.setPage}
        caption="Endpoints, newest first"
        rowKey={(e) => e.id}
        empty="No endpoints yet."
        columns={[
          { key: "url", label: "URL", render: (e) => <a href={`#/webhooks/${e.id}`}>{e.url}</a> },
          { key: "description", label: "Description" },
          {
            key: "event_types",
            label: "Event types",
            render: (e) => <code>{e.event_types.join(", ")}</code>,
          },
          {
            key: "enabled",
            label: "State",
            render: (e) => (
              <>
                <OnOff on={e.enabled} />
                {e.disabled_reason ? <small class="muted"> {e.disabled_reason}</small> : null}
              </>
            ),
          },
          { key: "created_at", label: "Created", render: (e) => when(e.created_at) },
        ]}
      />
    </Page>
  );
}

function NewEndpoint(props: {
  types: EventType[];
  onCancel: () => void;
  onCreated: (e: Endpoint & { secret: string }) => void;
}) {
  const { draft, field } = useDraft({ url: "", description: "" });
  const [patterns, setPatterns] = useState<string[]>([]);
  const [enabled, setEnabled] = useState(true);
  const form = useForm(async () =>
    props.onCreated(
      await api<Endpoint & { secret: string }>("POST", "/admin/webhooks", {
        ...draft,
        event_types: patterns,
        enabled,
      }),
    ),
  );
  return (
    <form class="card" onSubmit={form.submit} novalidate aria-labelledby="new-endpoint-title">
      <h2 id="new-endpoint-title">New endpoint</h2>
      <TextField
        label="URL"
        hint="https, on a public address"
        type="url"
        class="webhooks-url"
        placeholder="https://hooks.example.com/souk"
        {...field("url", form.errors)}
      />
      <TextField label="Description" class="webhooks-description" {...field("description", form.errors)} />
      <EventPatterns value={patterns} onChange={setPatterns} types={props.types} errors={form.errors} />
      <label class="webhooks-check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />{" "}
        Enabled
      </label>
      <FormError errors={form.errors} fields={endpointKeys(form.errors)} />
      <div class="row">
        <button type="submit" disabled={form.busy}>
          {form.busy ? "Creating…" : "Create endpoint"}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
