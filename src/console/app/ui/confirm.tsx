import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { FormState } from "./form";

/**
 * The second click of a destructive action: the question, the button that does it (focused, so
 * Enter confirms from the keyboard) and one that backs out.
 */
export function Confirm(props: {
  question?: string;
  yes: string;
  no?: string;
  busy?: boolean;
  onYes: () => void;
  onNo: () => void;
}) {
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => yes.current?.focus(), []);
  return (
    <span class="confirm">
      {props.question ? <span>{props.question}</span> : null}
      <button ref={yes} type="button" class="danger" disabled={props.busy} onClick={props.onYes}>
        {props.busy ? "Working…" : props.yes}
      </button>
      <button type="button" class="secondary" disabled={props.busy} onClick={props.onNo}>
        {props.no ?? "Cancel"}
      </button>
    </span>
  );
}

/**
 * A form's submit button for a destructive change: the form's submit only asks (it sets `asking`,
 * which the form keeps, so that changing a field can take the question back), and Yes submits it
 * for real. Asked and answered: a refusal shows its reason, and a new attempt asks again.
 */
export function ConfirmSubmit(props: {
  form: FormState;
  asking: boolean;
  setAsking: (asking: boolean) => void;
  question?: string;
  yes: string;
  children: ComponentChildren;
  class?: string;
  disabled?: boolean;
}) {
  return props.asking ? (
    <Confirm
      question={props.question}
      yes={props.yes}
      busy={props.form.busy}
      onYes={async () => {
        await props.form.submit();
        props.setAsking(false);
      }}
      onNo={() => props.setAsking(false)}
    />
  ) : (
    <button type="submit" class={props.class} disabled={props.disabled}>
      {props.children}
    </button>
  );
}
