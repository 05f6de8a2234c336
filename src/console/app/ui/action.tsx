import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ApiError } from "../api";
import { Confirm } from "./confirm";

/**
 * A button that calls the API, with the refusal shown beside it. With `confirm`, it takes two
 * clicks (for destructive actions): the first shows the `confirm` button and a way back (`no`).
 */
export function ActionButton(props: {
  children: ComponentChildren;
  onRun: () => unknown;
  confirm?: string;
  no?: string;
  /** The first button's class: danger when it asks first, secondary otherwise. */
  class?: string;
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
    <span class="action">
      {asking && props.confirm ? (
        <Confirm yes={props.confirm} no={props.no} busy={busy} onYes={run} onNo={() => setAsking(false)} />
      ) : (
        <button
          type="button"
          class={props.class ?? (props.confirm ? "danger" : "secondary")}
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
