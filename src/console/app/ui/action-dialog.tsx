import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { Dialog, useDialog } from "./dialog";
import { Field, FormError, type FormState, useForm } from "./form";

/** A dialog form's buttons: the one that sends it, and Cancel, which closes it unchanged. */
export function DialogButtons(props: {
  form: FormState;
  label: string;
  danger?: boolean;
  onCancel: () => void;
}) {
  return (
    <div class="row buttons">
      <button type="submit" class={props.danger ? "danger" : undefined} disabled={props.form.busy}>
        {props.form.busy ? "Working…" : props.label}
      </button>
      <button type="button" class="secondary" onClick={props.onCancel}>
        Cancel
      </button>
    </div>
  );
}

/**
 * A decision that needs a second look (block, deny, resolve, refund): a modal <dialog> with a
 * reason (optional unless the API asks for one). The API's message lands next to the reason (or
 * above the buttons); nothing is sent until the confirming button is pressed. Escape or Cancel
 * closes it unchanged.
 */
export function ActionDialog(props: {
  title: string;
  children: ComponentChildren;
  submitLabel: string;
  danger?: boolean;
  reasonLabel?: string;
  action: (reason: string | undefined) => Promise<unknown>;
  onClose: () => void;
  /** After the action succeeded and the dialog closed. */
  onDone?: () => void;
}) {
  const dialog = useDialog();
  const [reason, setReason] = useState("");
  const form = useForm(
    () => props.action(reason.trim() ? reason : undefined),
    () => {
      dialog.close();
      props.onDone?.();
    },
  );
  return (
    <Dialog dialog={dialog} title={props.title} class="action-dialog" onClose={props.onClose}>
      <form onSubmit={form.submit} novalidate>
        {props.children}
        <Field label={props.reasonLabel ?? "Reason (optional)"} error={form.errors.reason}>
          {(id, d) => (
            <textarea
              id={id}
              aria-describedby={d}
              value={reason}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          )}
        </Field>
        <FormError errors={form.errors} fields={["reason"]} />
        <DialogButtons form={form} label={props.submitLabel} danger={props.danger} onCancel={dialog.close} />
      </form>
    </Dialog>
  );
}
