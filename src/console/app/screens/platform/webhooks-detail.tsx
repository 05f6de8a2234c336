import { useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { navigate } from "../../router";
import { allowed } from "../../session";
import { ActionButton } from "../../ui/action";
import { SelectField, TextField, useDraft } from "../../ui/fields";
import { useFilters } from "../../ui/filters";
import { FormError, useForm } from "../../ui/form";
import { when } from "../../ui/format";
import { Kv } from "../../ui/kv";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Notice, Page } from "../../ui/page";
import { type EventType, issuesOf, OnOff, useEventTypes } from "./rules-common";
import { type Delivery, type Endpoint, EventPatterns, endpointKeys, SecretDialog } from "./webhooks-form";

const SIZE = 20;
const STATUSES = [["", "all"], "pending", "succeeded", "failed"] as const;
const STATUS_CLASS = { pending: "muted", succeeded: "ok", failed: "error" } as const;

/** One endpoint: its subscription, secret rotation, a test ping, and its delivery log. */
export function WebhookDetail(props: { params: Record<string, string> }) {
  const id = Number(props.params.id);
  const loaded = useLoad(() => get<Endpoint>(`/admin/webhooks/${id}`), [id]);
  const types = useEventTypes();
  const [endpoint, setEndpoint] = useState<Endpoint | null>(null);
  const current = endpoint?.id === id ? endpoint : loaded.data;
  const canWrite = allowed("webhooks:write");
  const [secret, setSecret] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [deliveriesTick, setDeliveriesTick] = useState(0);
  const act = async (what: () => Promise<void>) => {
    setProblem(null);
    setNotice(null);
    try {
      await what();
    } catch (e) {
      setProblem(
        issuesOf(e)
          .map((i) => i.message)
          .join("; "),
      );
    }
  };
  const toggle = () =>
    act(async () => {
      const e = await api<Endpoint>("PATCH", `/admin/webhooks/${id}`, { enabled: !current!.enabled });
      setEndpoint(e);
      setNotice(e.enabled ? "Enabled." : "Disabled: nothing is sent to it until it is enabled again.");
    });
  const ping = () =>
    act(async () => {
      const d = await api<Delivery>("POST", `/admin/webhooks/${id}/test`, {});
      setNotice(`Test ping queued: delivery #${d.id} (${d.message_id}).`);
      setDeliveriesTick((t) => t + 1);
    });
  const rotate = () =>
    act(async () => {
      const e = await api<Endpoint & { secret: string }>("POST", `/admin/webhooks/${id}/rotate-secret`, {});
      setSecret(e.secret);
      setNotice("Secret rotated: deliveries are signed with the new secret from now on.");
    });
  const remove = () =>
    act(async () => {
      await api("DELETE", `/admin/webhooks/${id}`);
      navigate("/webhooks");
    });
  return (
    <Page
      title={`Webhook #${id}`}
      actions={
        current && canWrite ? (
          <>
            <button type="button" class="secondary" onClick={ping} disabled={!current.enabled}>
              Send test ping
            </button>
            <button type="button" class="secondary" onClick={toggle}>
              {current.enabled ? "Disable" : "Enable"}
            </button>
            <ActionButton
              class="secondary"
              confirm="Rotate now (the old secret stops working)"
              onRun={rotate}
            >
              Rotate secret
            </ActionButton>
            <ActionButton confirm="Delete for good" onRun={remove}>
              Delete
            </ActionButton>
          </>
        ) : null
      }
    >
      <p>
        <a href="#/webhooks">← Webhooks</a>
      </p>
      <ErrorNote error={loaded.error ?? types.error} />
      <ErrorNote error={problem} />
      <Notice>{notice}</Notice>
      {secret && current ? (
        <SecretDialog secret={secret} url={current.url} onClose={() => setSecret(null)} />
      ) : null}
      <Loading when={loaded.loading && !current} />
      {current ? (
        <Kv
          class="card rules-kv"
          items={[
            ["URL", <code>{current.url}</code>],
            ["Description", current.description || "—"],
            [
              "State",
              <>
                <OnOff on={current.enabled} />
                {current.disabled_reason ? <span class="muted"> {current.disabled_reason}</span> : null}
              </>,
            ],
            ["Event types", <code>{current.event_types.join(", ")}</code>],
            [
              "Created",
              `${when(current.created_at)}${current.created_by ? ` by user #${current.created_by}` : ""}`,
            ],
          ]}
        />
      ) : null}
      {current && types.data && canWrite ? (
        <EditEndpoint
          key={current.updated_at}
          endpoint={current}
          types={types.data}
          onSaved={(e) => {
            setEndpoint(e);
            setNotice("Saved.");
          }}
        />
      ) : null}
      {current ? (
        <section class="card" aria-labelledby="deliveries-title">
          <h2 id="deliveries-title">Deliveries</h2>
          <Deliveries endpointId={id} tick={deliveriesTick} canWrite={canWrite} />
        </section>
      ) : null}
    </Page>
  );
}

function EditEndpoint(props: { endpoint: Endpoint; types: EventType[]; onSaved: (e: Endpoint) => void }) {
  const e = props.endpoint;
  const { draft, field } = useDraft({ url: e.url, description: e.description });
  const [patterns, setPatterns] = useState(e.event_types);
  const form = useForm(async () => {
    const patch: Record<string, unknown> = {};
    if (draft.url !== e.url) patch.url = draft.url;
    if (draft.description !== e.description) patch.description = draft.description;
    if (JSON.stringify(patterns) !== JSON.stringify(e.event_types)) patch.event_types = patterns;
    if (!Object.keys(patch).length) return;
    props.onSaved(await api<Endpoint>("PATCH", `/admin/webhooks/${e.id}`, patch));
  });
  return (
    <form class="card" onSubmit={form.submit} novalidate aria-labelledby="edit-endpoint-title">
      <h2 id="edit-endpoint-title">Subscription</h2>
      <TextField label="URL" type="url" class="webhooks-url" {...field("url", form.errors)} />
      <TextField label="Description" class="webhooks-description" {...field("description", form.errors)} />
      <EventPatterns value={patterns} onChange={setPatterns} types={props.types} errors={form.errors} />
      <FormError errors={form.errors} fields={endpointKeys(form.errors)} />
      <button type="submit" disabled={form.busy}>
        {form.busy ? "Saving…" : "Save subscription"}
      </button>
    </form>
  );
}

function Deliveries(props: { endpointId: number; tick: number; canWrite: boolean }) {
  const f = useFilters({ status: "" });
  const [problem, setProblem] = useState<string | null>(null);
  const [queued, setQueued] = useState<number | null>(null);
  const list = useLoad(
    () =>
      get<ListPage<Delivery>>(`/admin/webhooks/${props.endpointId}/deliveries`, {
        ...f.applied,
        page: f.page,
        page_size: SIZE,
      }),
    [props.endpointId, props.tick, f.applied, f.page],
  );
  const redeliver = async (d: Delivery) => {
    setProblem(null);
    setQueued(null);
    try {
      await api("POST", `/admin/webhooks/deliveries/${d.id}/redeliver`, {});
      setQueued(d.id);
      list.reload();
    } catch (e) {
      setProblem(
        `#${d.id}: ${issuesOf(e)
          .map((i) => i.message)
          .join("; ")}`,
      );
    }
  };
  return (
    <>
      <div class="row">
        <SelectField label="Status" options={STATUSES} {...f.now("status")} />
        <button type="button" class="secondary" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <ErrorNote error={problem} />
      <Notice>{queued !== null ? `Delivery #${queued} queued again with the same webhook-id.` : null}</Notice>
      <ListTable<Delivery>
        list={list}
        page={f.page}
        pageSize={SIZE}
        onPage={f.setPage}
        caption="Deliveries, newest first"
        rowKey={(d) => d.id}
        empty="Nothing delivered to this endpoint yet."
        columns={[
          { key: "id", label: "#", numeric: true },
          { key: "created_at", label: "Created", render: (d) => when(d.created_at) },
          { key: "event_type", label: "Event", render: (d) => <code>{d.event_type}</code> },
          {
            key: "status",
            label: "Status",
            render: (d) => <span class={`pill ${STATUS_CLASS[d.status]}`}>{d.status}</span>,
          },
          { key: "attempts", label: "Attempts", numeric: true },
          { key: "last_status_code", label: "HTTP", numeric: true },
          { key: "last_error", label: "Last error", render: (d) => d.last_error ?? "" },
          { key: "last_duration_ms", label: "ms", numeric: true },
          { key: "delivered_at", label: "Delivered", render: (d) => when(d.delivered_at) },
          { key: "message_id", label: "webhook-id", render: (d) => <code>{d.message_id}</code> },
          ...(props.canWrite
            ? [
                {
                  key: "redeliver",
                  label: "",
                  render: (d: Delivery) => (
                    <button
                      type="button"
                      class="secondary"
                      disabled={d.status === "pending"}
                      title={d.status === "pending" ? "still being delivered" : undefined}
                      aria-label={`Redeliver #${d.id}`}
                      onClick={() => redeliver(d)}
                    >
                      Redeliver
                    </button>
                  ),
                },
              ]
            : []),
        ]}
      />
    </>
  );
}
