import type { ComponentChildren } from "preact";
import { useId, useState } from "preact/hooks";
import { ApiError } from "../api";

/** A labelled control with the API's message for it underneath. */
export function Field(props: {
  label: string;
  error?: string;
  hint?: string;
  children: (id: string, describedBy: string | undefined) => ComponentChildren;
}) {
  const id = useId();
  const errId = `${id}-err`;
  return (
    <div class={`field${props.error ? " invalid" : ""}`}>
      <label for={id}>{props.label}</label>
      {props.children(id, props.error ? errId : undefined)}
      {props.hint && !props.error ? <small class="muted">{props.hint}</small> : null}
      {props.error ? (
        <small id={errId} class="field-error" role="alert">
          {props.error}
        </small>
      ) : null}
    </div>
  );
}

export type FormState = {
  busy: boolean;
  /** Messages per field name (from the API's validation issues), `_` for the form as a whole. */
  errors: Record<string, string>;
  submit: (e?: Event) => Promise<void>;
};

/**
 * Submits through `action`; an API error lands next to its field (or above the form) and the
 * form keeps what was typed. `done` runs after a success.
 */
export function useForm(action: () => Promise<unknown>, done?: () => void): FormState {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = async (e?: Event) => {
    e?.preventDefault();
    setBusy(true);
    try {
      await action();
      setErrors({});
      done?.();
    } catch (err) {
      if (err instanceof ApiError) {
        const fields = err.fields;
        setErrors(Object.keys(fields).length ? fields : { _: err.message });
      } else setErrors({ _: String(err) });
    } finally {
      setBusy(false);
    }
  };
  return { busy, errors, submit };
}

/** The error of the form as a whole, and of fields the form has no control for. */
export function FormError(props: { errors: Record<string, string>; fields: string[] }) {
  const rest = Object.entries(props.errors).filter(([k]) => !props.fields.includes(k));
  if (!rest.length) return null;
  return (
    <p class="error" role="alert">
      {rest.map(([k, v]) => (k === "_" ? v : `${k}: ${v}`)).join("; ")}
    </p>
  );
}

/** A number typed in a field: the number, or the text as typed so the API can say what is wrong. */
export function numberOrText(v: string): number | string | undefined {
  const t = v.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}
