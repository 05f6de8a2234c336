import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { Field, FormError, useForm } from "../../ui/form";

/**
 * A decision that needs a second look (block, deny, resolve): a modal <dialog> with an optional
 * reason. The API's message lands next to the reason (or above the buttons); nothing is sent until
 * the confirming button is pressed. Escape or Cancel closes it unchanged.
 */
export function ActionDialog(props: {
  title: string;
  children: ComponentChildren;
  submitLabel: string;
  danger?: boolean;
  reasonLabel?: string;
  action: (reason: string | undefined) => Promise<unknown>;
  onClose: () => void;
  onDone: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [reason, setReason] = useState("");
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const form = useForm(
    () => props.action(reason.trim() ? reason : undefined),
    () => {
      ref.current?.close();
      props.onDone();
    },
  );
  return (
    <dialog ref={ref} class="gw-dialog" aria-labelledby={titleId} onClose={props.onClose}>
      <form onSubmit={form.submit} novalidate>
        <h2 id={titleId}>{props.title}</h2>
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
        <div class="row gw-buttons">
          <button type="submit" class={props.danger ? "danger" : undefined} disabled={form.busy}>
            {form.busy ? "Working…" : props.submitLabel}
          </button>
          <button type="button" class="secondary" onClick={() => ref.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
