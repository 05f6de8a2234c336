import { useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { allowed } from "../../session";
import { Field, FormError, useForm } from "../../ui/form";
import { when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { Table } from "../../ui/table";
import { type EventType, OnOff, useEventTypes } from "./rules-common";
import { type Endpoint, EventPatterns, endpointKeys, SecretDialog } from "./webhooks-form";

const SIZE = 50;

/** Outgoing webhook endpoints; a new one's signing secret is shown once, right after it is made. */
export function Webhooks() {
  const [enabled, setEnabled] = useState("");
  const [page, setPage] = useState(1);
  const list = useLoad(
    () =>
      get<ListPage<Endpoint>>("/admin/webhooks", { enabled: enabled || undefined, page, page_size: SIZE }),
    [enabled, page],
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
      <ErrorNote error={list.error ?? types.error} />
      <Loading when={list.loading && !list.data} />
      {list.data ? (
        <>
          <Table<Endpoint>
            caption="Endpoints, newest first"
            rowKey={(e) => e.id}
            empty="No endpoints yet."
            rows={list.data.results}
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
          <Pager page={page} pageSize={SIZE} count={list.data.count} onPage={setPage} />
        </>
      ) : null}
    </Page>
  );
}

function NewEndpoint(props: {
  types: EventType[];
  onCancel: () => void;
  onCreated: (e: Endpoint & { secret: string }) => void;
}) {
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [patterns, setPatterns] = useState<string[]>([]);
  const [enabled, setEnabled] = useState(true);
  const form = useForm(async () =>
    props.onCreated(
      await api<Endpoint & { secret: string }>("POST", "/admin/webhooks", {
        url,
        description,
        event_types: patterns,
        enabled,
      }),
    ),
  );
  return (
    <form class="card" onSubmit={form.submit} novalidate aria-labelledby="new-endpoint-title">
      <h2 id="new-endpoint-title">New endpoint</h2>
      <Field label="URL" error={form.errors.url} hint="https, on a public address">
        {(id, d) => (
          <input
            id={id}
            aria-describedby={d}
            type="url"
            class="webhooks-url"
            value={url}
            placeholder="https://hooks.example.com/souk"
            onInput={(e) => setUrl(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Description" error={form.errors.description}>
        {(id, d) => (
          <input
            id={id}
            aria-describedby={d}
            class="webhooks-description"
            value={description}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        )}
      </Field>
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
