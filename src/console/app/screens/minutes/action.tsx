import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ApiError } from "../../api";

/**
 * A button that calls the API, with the refusal shown beside it. With `confirm`, it takes two
 * clicks (for destructive actions): the first shows the `confirm` button and Cancel beside it.
 */
export function ActionButton(props: {
  children: ComponentChildren;
  onRun: () => Promise<unknown>;
  confirm?: string;
  label?: string;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const run = async () => {
    setBusy(true);
    try {
      await props.onRun();
      setError("");
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };
  return (
    <span class="minutes-action">
      {asking ? (
        <>
          <button type="button" class="danger" disabled={busy} onClick={run}>
            {props.confirm}
          </button>
          <button type="button" class="secondary" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button
          type="button"
          class={props.confirm ? "danger" : "secondary"}
          disabled={busy}
          aria-label={props.label}
          onClick={() => (props.confirm ? setAsking(true) : run())}
        >
          {props.children}
        </button>
      )}
      {error ? (
        <small class="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </span>
  );
}
