import { useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { navigate } from "../../router";
import { allowed } from "../../session";
import { TextField } from "../../ui/fields";
import { FormError, useForm } from "../../ui/form";
import { when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Table } from "../../ui/table";
import { bodyOfFlag, errorOf, type Flag, type FlagDraft, FlagFields, shownKeys } from "./flags-form";
import { OnOff } from "./rules-common";

const NEW: FlagDraft = { description: "", enabled: false, rollout_percent: 0, roles: [], user_ids: "" };

/** Every flag, the built-in ones included, with a switch each and a form for a new one. */
export function Flags() {
  const list = useLoad(() => get<ListPage<Flag>>("/admin/flags", { page_size: 100 }), []);
  const canWrite = allowed("flags:write");
  const [creating, setCreating] = useState(false);
  const [toggleError, setToggleError] = useState<string | null>(null);
  const toggle = async (f: Flag) => {
    setToggleError(null);
    try {
      await api("PATCH", `/admin/flags/${encodeURIComponent(f.key)}`, { enabled: !f.enabled });
      list.reload();
    } catch (e) {
      setToggleError(`${f.key}: ${(e as Error).message}`);
    }
  };
  return (
    <Page
      title="Feature flags"
      actions={
        canWrite && !creating ? (
          <button type="button" onClick={() => setCreating(true)}>
            New flag
          </button>
        ) : null
      }
    >
      {creating ? <NewFlag onDone={() => setCreating(false)} /> : null}
      <ErrorNote error={list.error} />
      <ErrorNote error={toggleError} />
      <Loading when={list.loading && !list.data} />
      {list.data ? (
        <Table<Flag>
          caption="Flags by key"
          rowKey={(f) => f.key}
          empty="No flags."
          rows={list.data.results}
          columns={[
            {
              key: "key",
              label: "Key",
              render: (f) => (
                <a href={`#/flags/${encodeURIComponent(f.key)}`}>
                  <code>{f.key}</code>
                </a>
              ),
            },
            { key: "description", label: "Description" },
            {
              key: "enabled",
              label: "State",
              render: (f) => <OnOff on={f.enabled} on_label="on" off_label="off" />,
            },
            {
              key: "rollout_percent",
              label: "Rollout",
              render: (f) => (
                <span class="flags-bar" title={`${f.rollout_percent} %`}>
                  <span class="flags-bar-track">
                    <span class="flags-bar-fill" style={{ width: `${f.rollout_percent}%` }} />
                  </span>
                  <span class="num">{f.rollout_percent} %</span>
                </span>
              ),
            },
            { key: "roles", label: "Roles", render: (f) => f.roles.join(", ") || "any" },
            { key: "user_ids", label: "Listed users", numeric: true, render: (f) => f.user_ids.length },
            {
              key: "built_in",
              label: "Kind",
              render: (f) => (f.built_in ? (f.saved ? "built-in, saved" : "built-in, default") : "custom"),
            },
            { key: "updated_at", label: "Updated", render: (f) => when(f.updated_at) },
            ...(canWrite
              ? [
                  {
                    key: "switch",
                    label: "Switch",
                    render: (f: Flag) => (
                      // Named in full for screen readers (an sr-only span would widen the page: it is
                      // positioned outside the table's scroll box).
                      <button
                        type="button"
                        class="secondary"
                        aria-label={`${f.enabled ? "Disable" : "Enable"} ${f.key}`}
                        onClick={() => toggle(f)}
                      >
                        {f.enabled ? "Disable" : "Enable"}
                      </button>
                    ),
                  },
                ]
              : []),
          ]}
        />
      ) : null}
    </Page>
  );
}

function NewFlag(props: { onDone: () => void }) {
  const [key, setKey] = useState("");
  const [draft, setDraft] = useState<FlagDraft>(NEW);
  const form = useForm(
    () => api<Flag>("POST", "/admin/flags", { key, ...bodyOfFlag(draft) }),
    () => navigate(`/flags/${encodeURIComponent(key)}`),
  );
  return (
    <form class="card flags-new" onSubmit={form.submit} novalidate aria-labelledby="new-flag-title">
      <h2 id="new-flag-title">New flag</h2>
      <TextField
        label="Key"
        error={errorOf(form.errors, "key")}
        hint="a lowercase letter, then up to 63 of a-z 0-9 _ . -"
        class="flags-key"
        value={key}
        onValue={setKey}
      />
      <FlagFields draft={draft} onChange={setDraft} errors={form.errors} />
      <FormError errors={form.errors} fields={shownKeys(form.errors)} />
      <div class="row">
        <button type="submit" disabled={form.busy}>
          {form.busy ? "Creating…" : "Create flag"}
        </button>
        <button type="button" class="secondary" onClick={props.onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
