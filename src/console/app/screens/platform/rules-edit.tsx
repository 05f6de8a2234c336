import { useState } from "preact/hooks";
import { api, get } from "../../api";
import { navigate } from "../../router";
import { allowed } from "../../session";
import { ActionButton } from "../../ui/action";
import { TextField } from "../../ui/fields";
import { Field } from "../../ui/form";
import { when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Notice, Page } from "../../ui/page";
import { ActionsEditor } from "./rules-actions";
import {
  type EventType,
  type Issue,
  issuesOf,
  messagesAt,
  OnOff,
  patternsOf,
  useEventTypes,
} from "./rules-common";
import { ConditionEditor } from "./rules-conditions";
import type { Action, Node, Rule } from "./rules-doc";
import { DryRun } from "./rules-dry-run";
import { RunLog } from "./rules-runs";

type Draft = {
  name: string;
  event_type: string;
  enabled: boolean;
  priority: string;
  stop_processing: boolean;
  conditions: Node;
  actions: Action[];
};

const draftOf = (r: Rule): Draft => ({
  name: r.name,
  event_type: r.event_type,
  enabled: r.enabled,
  priority: String(r.priority),
  stop_processing: r.stop_processing,
  conditions: r.conditions,
  actions: r.actions,
});

const EMPTY: Draft = {
  name: "",
  event_type: "",
  enabled: true,
  priority: "0",
  stop_processing: false,
  conditions: { all: [] },
  actions: [],
};

/** Fields the form shows itself; other issues are listed under the save button. */
const SHOWN = ["name", "event_type", "priority", "enabled", "stop_processing", "conditions", "actions"];

const canWrite = () => allowed("rules:write");

/** A new rule: the same editor, created on save. */
export function RuleNew() {
  const types = useEventTypes();
  return (
    <Page title="New rule">
      <ErrorNote error={types.error} />
      <Loading when={types.loading} />
      {types.data ? (
        <RuleForm
          initial={EMPTY}
          types={types.data}
          save={(body) => api<Rule>("POST", "/admin/rules", body)}
          onSaved={(r) => navigate(`/rules/${r.id}`)}
        />
      ) : null}
    </Page>
  );
}

/** One rule: edit it, switch it on or off, dry-run it, read its run log. */
export function RuleDetail(props: { params: Record<string, string> }) {
  const id = Number(props.params.id);
  const loaded = useLoad(() => get<Rule>(`/admin/rules/${id}`), [id]);
  const types = useEventTypes();
  const [rule, setRule] = useState<Rule | null>(null);
  const current = rule?.id === id ? rule : loaded.data;
  const [toggleError, setToggleError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const changed = (r: Rule, what: string) => {
    setRule(r);
    setNotice(`${what} (version ${r.version}).`);
  };
  const toggle = async () => {
    if (!current) return;
    setToggleError(null);
    setNotice(null);
    try {
      const r = await api<Rule>("PATCH", `/admin/rules/${id}`, { enabled: !current.enabled });
      changed(r, r.enabled ? "Enabled" : "Disabled");
    } catch (e) {
      setToggleError(
        issuesOf(e)
          .map((i) => i.message)
          .join("; "),
      );
    }
  };
  const remove = async () => {
    try {
      await api("DELETE", `/admin/rules/${id}`);
      navigate("/rules");
    } catch (e) {
      setToggleError(
        issuesOf(e)
          .map((i) => i.message)
          .join("; "),
      );
    }
  };
  return (
    <Page
      title={current ? current.name : "Rule"}
      actions={
        current && canWrite() ? (
          <>
            <button type="button" class="secondary" onClick={toggle}>
              {current.enabled ? "Disable" : "Enable"}
            </button>
            <ActionButton confirm="Delete for good" no="Keep it" onRun={remove}>
              Delete
            </ActionButton>
          </>
        ) : null
      }
    >
      <p>
        <a href="#/rules">← Rules</a>
      </p>
      <ErrorNote error={loaded.error ?? types.error} />
      <ErrorNote error={toggleError} />
      <Loading when={loaded.loading && !current} />
      {current && types.data ? (
        <>
          <p class="muted rules-meta">
            <OnOff on={current.enabled} /> version {current.version} · updated {when(current.updated_at)} · #
            {current.id}
          </p>
          <Notice>{notice}</Notice>
          <RuleForm
            // A new version (a toggle, a save) starts the form from what the API answered.
            key={current.version}
            initial={draftOf(current)}
            types={types.data}
            save={(body) => api<Rule>("PATCH", `/admin/rules/${id}`, body)}
            onSaved={(r) => changed(r, "Saved")}
            onRefused={() => setNotice(null)}
          />
          <section class="card" aria-labelledby="dry-run-title">
            <h2 id="dry-run-title">Dry run</h2>
            <DryRun key={current.version} rule={current} types={types.data} />
          </section>
          <section class="card" aria-labelledby="runs-title">
            <h2 id="runs-title">Run log</h2>
            <RunLog ruleId={id} version={current.version} />
          </section>
        </>
      ) : null}
    </Page>
  );
}

function EventTypeSelect(props: {
  id: string;
  describedBy?: string;
  value: string;
  types: EventType[];
  onChange: (v: string) => void;
}) {
  const modules = [...new Set(props.types.map((t) => t.module))].sort();
  const patterns = patternsOf(props.types);
  const known = patterns.includes(props.value) || props.types.some((t) => t.type === props.value);
  return (
    <select
      id={props.id}
      aria-describedby={props.describedBy}
      value={props.value}
      onChange={(e) => props.onChange(e.currentTarget.value)}
    >
      {props.value === "" ? <option value="">choose an event type…</option> : null}
      {known || props.value === "" ? null : <option value={props.value}>{props.value}</option>}
      <optgroup label="Patterns">
        {patterns.map((p) => (
          <option key={p} value={p}>
            {p === "*" ? "* (every event)" : p}
          </option>
        ))}
      </optgroup>
      {modules.map((m) => (
        <optgroup key={m} label={m}>
          {props.types
            .filter((t) => t.module === m)
            .map((t) => (
              <option key={t.type} value={t.type}>
                {t.type}
              </option>
            ))}
        </optgroup>
      ))}
    </select>
  );
}

function RuleForm(props: {
  initial: Draft;
  types: EventType[];
  save: (body: unknown) => Promise<Rule>;
  onSaved: (r: Rule) => void;
  onRefused?: () => void;
}) {
  const [d, setD] = useState<Draft>(props.initial);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<Draft>) => setD({ ...d, ...patch });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const rule = await props.save({
        name: d.name,
        event_type: d.event_type,
        enabled: d.enabled,
        priority: /^-?\d+$/.test(d.priority.trim()) ? Number(d.priority) : d.priority,
        stop_processing: d.stop_processing,
        conditions: d.conditions,
        actions: d.actions,
      });
      setIssues([]);
      props.onSaved(rule);
    } catch (err) {
      setIssues(issuesOf(err));
      props.onRefused?.();
    } finally {
      setBusy(false);
    }
  };
  const description = props.types.find((t) => t.type === d.event_type)?.description;
  const other = issues.filter((i) => !SHOWN.some((f) => i.path === f || i.path.startsWith(`${f}.`)));
  const readOnly = !canWrite();
  return (
    <form class="rules-form" onSubmit={submit} novalidate aria-label="Rule">
      <section class="card">
        <h2>Rule</h2>
        <div class="row">
          <TextField
            label="Name"
            error={messagesAt(issues, "name")}
            class="rules-name"
            value={d.name}
            onValue={(name) => set({ name })}
          />
          <Field label="Event type" error={messagesAt(issues, "event_type")} hint={description}>
            {(id, dby) => (
              <EventTypeSelect
                id={id}
                describedBy={dby}
                value={d.event_type}
                types={props.types}
                onChange={(v) => set({ event_type: v })}
              />
            )}
          </Field>
          <TextField
            label="Priority"
            error={messagesAt(issues, "priority")}
            hint="-1000 to 1000, higher first"
            type="number"
            min={-1000}
            max={1000}
            value={d.priority}
            onValue={(priority) => set({ priority })}
          />
        </div>
        <div class="row">
          <label class="rules-check">
            <input
              type="checkbox"
              checked={d.enabled}
              onChange={(e) => set({ enabled: e.currentTarget.checked })}
            />{" "}
            Enabled
          </label>
          <label class="rules-check">
            <input
              type="checkbox"
              checked={d.stop_processing}
              onChange={(e) => set({ stop_processing: e.currentTarget.checked })}
            />{" "}
            Stop processing lower-priority rules when this one matches
          </label>
        </div>
      </section>
      <section class="card" aria-labelledby="conditions-title">
        <h2 id="conditions-title">Conditions</h2>
        <ConditionEditor value={d.conditions} onChange={(c) => set({ conditions: c })} issues={issues} />
      </section>
      <section class="card" aria-labelledby="actions-title">
        <h2 id="actions-title">Actions</h2>
        <ActionsEditor value={d.actions} onChange={(a) => set({ actions: a })} issues={issues} />
      </section>
      {issues.length ? (
        <div class="error rules-refused" role="alert">
          <p>
            Not saved: {issues.length === 1 ? "1 problem" : `${issues.length} problems`}, shown next to
            {issues.length === 1 ? " its field" : " their fields"}.
          </p>
          {other.length ? (
            <ul>
              {other.map((i) => (
                <li key={i.path + i.message}>
                  {i.path ? <code>{i.path}: </code> : null}
                  {i.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {readOnly ? null : (
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save rule"}
        </button>
      )}
    </form>
  );
}
