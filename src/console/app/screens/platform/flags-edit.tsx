import { useState } from "preact/hooks";
import { api, get } from "../../api";
import { navigate } from "../../router";
import { allowed } from "../../session";
import { ActionButton } from "../../ui/action";
import { FormError, useForm } from "../../ui/form";
import { when } from "../../ui/format";
import { Kv } from "../../ui/kv";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Notice, Page } from "../../ui/page";
import { bodyOfFlag, draftOfFlag, type Flag, FlagFields, shownKeys } from "./flags-form";
import { OnOff } from "./rules-common";

/** One flag: its fields, rollout and targeting; saving is audited with the before and after. */
export function FlagEdit(props: { params: Record<string, string> }) {
  const key = props.params.key!;
  const path = `/admin/flags/${encodeURIComponent(key)}`;
  const loaded = useLoad(() => get<Flag>(path), [key]);
  const [flag, setFlag] = useState<Flag | null>(null);
  const current = flag?.key === key ? flag : loaded.data;
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <Page title={`Flag ${key}`}>
      <p>
        <a href="#/flags">← Feature flags</a>
      </p>
      <ErrorNote error={loaded.error} />
      <Loading when={loaded.loading && !current} />
      <Notice>{notice}</Notice>
      {current ? (
        <FlagForm
          // A save starts the form again from what the API answered.
          key={current.updated_at ?? "default"}
          flag={current}
          path={path}
          onSaved={(f) => {
            setFlag(f);
            setNotice(`Saved: ${f.enabled ? "on" : "off"}, rollout ${f.rollout_percent} %.`);
          }}
          onRemoved={() => {
            if (!current.built_in) return navigate("/flags");
            setFlag(null);
            setNotice("Returned to its default.");
            loaded.reload();
          }}
        />
      ) : null}
    </Page>
  );
}

function FlagForm(props: { flag: Flag; path: string; onSaved: (f: Flag) => void; onRemoved: () => void }) {
  const f = props.flag;
  const canWrite = allowed("flags:write");
  const [draft, setDraft] = useState(draftOfFlag(f));
  const form = useForm(async () => props.onSaved(await api<Flag>("PATCH", props.path, bodyOfFlag(draft))));
  const remove = useForm(() => api("DELETE", props.path), props.onRemoved);
  return (
    <>
      <Kv
        class="card rules-kv"
        items={[
          ["State", <OnOff on={f.enabled} on_label="on" off_label="off" />],
          [
            "Kind",
            f.built_in
              ? `built-in (default ${f.default ? "on" : "off"}${f.saved ? ", saved" : ", not saved"})`
              : "custom",
          ],
          ["Updated", `${when(f.updated_at)}${f.updated_by ? ` by user #${f.updated_by}` : ""}`],
        ]}
      />
      <form class="card" onSubmit={form.submit} novalidate aria-label={`Flag ${f.key}`}>
        <FlagFields draft={draft} onChange={setDraft} errors={form.errors} disabled={!canWrite} />
        <FormError errors={form.errors} fields={shownKeys(form.errors)} />
        {canWrite ? (
          <div class="row">
            <button type="submit" disabled={form.busy}>
              {form.busy ? "Saving…" : "Save flag"}
            </button>
            {f.saved ? (
              <ActionButton
                confirm={f.built_in ? "Return to default for good" : "Delete for good"}
                no="Keep it"
                onRun={remove.submit}
              >
                {f.built_in ? "Return to default" : "Delete"}
              </ActionButton>
            ) : null}
          </div>
        ) : null}
        <FormError errors={remove.errors} fields={[]} />
      </form>
    </>
  );
}
