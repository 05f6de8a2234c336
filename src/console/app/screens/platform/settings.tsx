import type { ComponentChild } from "preact";
import { useState } from "preact/hooks";
import { ApiError, api, get } from "../../api";
import { allowed } from "../../session";
import { TextField } from "../../ui/fields";
import { Field, FormError, useForm } from "../../ui/form";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Notice, Page } from "../../ui/page";

/** The subset of JSON Schema the settings use (GET /admin/system/settings gives one per key). */
type Schema = {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  maxLength?: number;
  items?: Schema;
};
type Definition = { key: string; default: unknown; description: string; schema: Schema };
type Settings = { values: Record<string, unknown>; definitions: Definition[] };

type Kind = "boolean" | "integer" | "number" | "enum" | "cron" | "text" | "list" | "json";

function kindOf(s: Schema): Kind {
  if (s.enum) return "enum";
  if (s.type === "boolean" || s.type === "integer" || s.type === "number") return s.type;
  if (s.type === "string") return s.format === "cron" ? "cron" : "text";
  if (s.type === "array" && s.items?.type === "string") return "list";
  return "json";
}

/** A value as its control holds it (a string, "true"/"false" for a checkbox, an enum's index). */
function toText(kind: Kind, s: Schema, v: unknown): string {
  switch (kind) {
    case "boolean":
      return v ? "true" : "false";
    case "enum":
      return String(
        Math.max(
          0,
          (s.enum ?? []).findIndex((e) => JSON.stringify(e) === JSON.stringify(v)),
        ),
      );
    case "list":
      return ((v as string[] | null) ?? []).join("\n");
    case "json":
      return JSON.stringify(v, null, 2);
    default:
      return v === null || v === undefined ? "" : String(v);
  }
}

/**
 * The control's text back to a value. A number that is not one is sent as typed, so the API's own
 * message explains it; only JSON that does not parse is stopped here (there is nothing to send).
 */
function parseText(kind: Kind, s: Schema, text: string): unknown {
  switch (kind) {
    case "boolean":
      return text === "true";
    case "enum":
      return s.enum?.[Number(text)];
    case "integer":
    case "number": {
      const t = text.trim();
      return t !== "" && Number.isFinite(Number(t)) ? Number(t) : t;
    }
    case "list":
      return text
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
    case "json":
      return JSON.parse(text);
    default:
      return text;
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function hintOf(kind: Kind, s: Schema): string {
  const max = s.maximum !== undefined && s.maximum < 1e15 ? s.maximum : undefined;
  const range =
    s.minimum !== undefined && max !== undefined
      ? `, ${s.minimum} to ${max}`
      : s.minimum !== undefined
        ? `, at least ${s.minimum}`
        : max !== undefined
          ? `, at most ${max}`
          : "";
  switch (kind) {
    case "integer":
      return `whole number${range}`;
    case "number":
      return `number${range}`;
    case "cron":
      return "minute hour day month weekday";
    case "list":
      return "one per line";
    case "json":
      return "JSON";
    default:
      return s.pattern?.includes("second|minute|hour|day") ? "count/second, minute, hour or day" : "";
  }
}

const shown = (v: unknown) => (typeof v === "string" ? (v === "" ? "empty" : v) : JSON.stringify(v));

function Control(props: {
  def: Definition;
  kind: Kind;
  text: string;
  error?: string;
  onText: (t: string) => void;
  readOnly: boolean;
}) {
  const { def, kind, text } = props;
  const s = def.schema;
  const changedFromDefault = !same(
    (() => {
      try {
        return parseText(kind, s, text);
      } catch {
        return undefined;
      }
    })(),
    def.default,
  );
  return (
    <div class="settings-item" data-setting={def.key}>
      <Field label={def.key} error={props.error}>
        {(id, dby) => {
          const describedBy = [`${id}-about`, dby].filter(Boolean).join(" ");
          const common = {
            id,
            name: def.key,
            "aria-describedby": describedBy,
            disabled: props.readOnly,
          };
          const onInput = (e: Event) => props.onText((e.currentTarget as HTMLInputElement).value);
          let control: ComponentChild;
          if (kind === "boolean")
            control = (
              <input
                {...common}
                type="checkbox"
                checked={text === "true"}
                onChange={(e) => props.onText(e.currentTarget.checked ? "true" : "false")}
              />
            );
          else if (kind === "enum")
            control = (
              <select {...common} value={text} onChange={onInput}>
                {(s.enum ?? []).map((e, i) => (
                  <option key={String(e)} value={String(i)}>
                    {String(e)}
                  </option>
                ))}
              </select>
            );
          else if (kind === "integer" || kind === "number")
            control = (
              <input
                {...common}
                type="number"
                step={kind === "integer" ? 1 : "any"}
                min={s.minimum}
                max={s.maximum !== undefined && s.maximum < 1e15 ? s.maximum : undefined}
                value={text}
                onInput={onInput}
              />
            );
          else if (kind === "list" || kind === "json")
            control = (
              <textarea
                {...common}
                rows={kind === "json" ? 6 : 3}
                spellcheck={false}
                value={text}
                onInput={onInput}
              />
            );
          else
            control = (
              <input
                {...common}
                spellcheck={false}
                placeholder={kind === "cron" ? "0 3 * * *" : undefined}
                class={kind === "cron" ? "settings-cron" : undefined}
                value={text}
                onInput={onInput}
              />
            );
          const hint = hintOf(kind, s);
          // The meaning first, then the control with its error right under it (Field adds it).
          return (
            <>
              <small id={`${id}-about`} class="muted">
                {def.description} ({hint ? `${hint}; ` : ""}default {shown(def.default)})
              </small>
              <div class="settings-control">
                {control}
                {changedFromDefault && !props.readOnly ? (
                  <button
                    type="button"
                    class="link settings-default"
                    onClick={() => props.onText(toText(kind, s, def.default))}
                  >
                    Default
                    <span class="sr-only"> for {def.key}</span>
                  </button>
                ) : null}
              </div>
            </>
          );
        }}
      </Field>
    </div>
  );
}

const textsOf = (s: Settings) =>
  Object.fromEntries(s.definitions.map((d) => [d.key, toText(kindOf(d.schema), d.schema, s.values[d.key])]));

/** The loaded settings as a form; a save sends only the keys that changed. */
function SettingsForm(props: { settings: Settings; onSaved: (s: Settings) => void }) {
  const { definitions, values } = props.settings;
  const kinds = Object.fromEntries(definitions.map((d) => [d.key, kindOf(d.schema)])) as Record<string, Kind>;
  const [texts, setTexts] = useState<Record<string, string>>(() => textsOf(props.settings));
  const [find, setFind] = useState("");
  const [note, setNote] = useState("");
  const readOnly = !allowed("settings:write");

  /** The changed keys with their values; JSON that does not parse is refused here, per key. */
  const changes = () => {
    const body: Record<string, unknown> = {};
    const issues: { path: string; message: string }[] = [];
    for (const d of definitions) {
      let v: unknown;
      try {
        v = parseText(kinds[d.key]!, d.schema, texts[d.key] ?? "");
      } catch (e) {
        issues.push({ path: d.key, message: `not valid JSON (${(e as Error).message})` });
        continue;
      }
      if (!same(v, values[d.key])) body[d.key] = v;
    }
    return { body, issues };
  };
  const pending = Object.keys(changes().body);

  const form = useForm(async () => {
    setNote("");
    const { body, issues } = changes();
    if (issues.length) throw new ApiError(400, "validation_failed", "invalid settings", { issues });
    const keys = Object.keys(body);
    if (!keys.length) {
      setNote("Nothing changed.");
      return;
    }
    const saved = await api<Settings>("PATCH", "/admin/system/settings", body);
    // The values as the server keeps them (a list trimmed, a number normalised).
    setTexts(textsOf(saved));
    setNote(`Saved ${keys.join(", ")}.`);
    props.onSaved(saved);
  });

  const q = find.trim().toLowerCase();
  const visible = definitions.filter(
    (d) =>
      !q || form.errors[d.key] || d.key.toLowerCase().includes(q) || d.description.toLowerCase().includes(q),
  );
  return (
    <form id="settings-form" onSubmit={form.submit} novalidate aria-label="Settings">
      <div class="card settings-bar">
        <TextField label="Find a setting" type="search" value={find} onValue={setFind} />
        {readOnly ? (
          <p class="muted">You may read the settings; changing them needs settings:write.</p>
        ) : (
          <div class="row">
            <button type="submit" disabled={form.busy}>
              {pending.length ? `Save ${pending.length} change${pending.length > 1 ? "s" : ""}` : "Save"}
            </button>
            {pending.length ? (
              <button type="button" class="secondary" onClick={() => setTexts(textsOf(props.settings))}>
                Undo changes
              </button>
            ) : null}
          </div>
        )}
        <Notice>{note}</Notice>
        <FormError errors={form.errors} fields={definitions.map((d) => d.key)} />
      </div>
      <div class="card settings-grid">
        {visible.map((d) => (
          <Control
            key={d.key}
            def={d}
            kind={kinds[d.key]!}
            text={texts[d.key] ?? ""}
            error={form.errors[d.key]}
            readOnly={readOnly}
            onText={(t) => setTexts({ ...texts, [d.key]: t })}
          />
        ))}
        {visible.length ? null : <p class="muted">No setting matches.</p>}
      </div>
    </form>
  );
}

/** Every setting souk reads from its database, each with the control its type calls for. */
export function SettingsScreen() {
  const loaded = useLoad(() => get<Settings>("/admin/system/settings"), []);
  const [saved, setSaved] = useState<Settings | null>(null);
  const settings = saved ?? loaded.data;
  return (
    <Page title="Settings">
      <ErrorNote error={loaded.error} />
      <Loading when={loaded.loading && !settings} />
      {settings ? <SettingsForm settings={settings} onSaved={setSaved} /> : null}
    </Page>
  );
}
