import type { InputHTMLAttributes, SelectHTMLAttributes } from "preact";
import { useState } from "preact/hooks";
import { Field } from "./form";

/**
 * A form's values as typed; `field(k, issues)` binds value `k` to a TextField or SelectField, with
 * the API's issue about it.
 */
export function useDraft<F extends Record<string, string>>(initial: F | (() => F)) {
  const [draft, setDraft] = useState<F>(initial);
  return {
    draft,
    setDraft,
    field: (k: keyof F & string, issues: Record<string, string>) => ({
      name: k,
      value: draft[k],
      error: issues[k],
      onValue: (v: string) => setDraft({ ...draft, [k]: v }),
    }),
  };
}

/** What a bound field takes: its label, its value and setter, and the API's issue with it. */
type Bound = { label: string; value: string; onValue: (v: string) => void; error?: string; hint?: string };
type Own = "id" | "label" | "value" | "onInput" | "onChange" | "aria-describedby";

/** A labelled input (text, number, date…) bound to a string, with the API's issue beneath it. */
export function TextField({
  label,
  value,
  onValue,
  error,
  hint,
  ...input
}: Bound & Omit<InputHTMLAttributes<HTMLInputElement>, Own>) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(id, describedBy) => (
        <input
          {...input}
          id={id}
          aria-describedby={describedBy}
          value={value}
          onInput={(e) => onValue(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

/** A select's options: a value shown as it is, or `[value, text]`. */
export type Options = readonly (string | readonly [string, string])[];

/** A filter on a yes/no field: either (no filter), `true` or `false`, each in the list's words. */
export const eitherOr = (either: string, yes: string, no: string): Options => [
  ["", either],
  ["true", yes],
  ["false", no],
];

/** A labelled select bound to a string, with the API's issue beneath it. */
export function SelectField({
  label,
  value,
  onValue,
  error,
  hint,
  options,
  ...select
}: Bound & { options: Options } & Omit<SelectHTMLAttributes<HTMLSelectElement>, Own>) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(id, describedBy) => (
        <select
          {...select}
          id={id}
          aria-describedby={describedBy}
          value={value}
          onChange={(e) => onValue(e.currentTarget.value)}
        >
          {options.map((o) =>
            typeof o === "string" ? (
              <option key={o} value={o}>
                {o}
              </option>
            ) : (
              <option key={o[0]} value={o[0]}>
                {o[1]}
              </option>
            ),
          )}
        </select>
      )}
    </Field>
  );
}
