import { useEffect, useRef } from "preact/hooks";

/**
 * The second click of a destructive action: the question, the button that does it (focused, so
 * Enter confirms from the keyboard) and one that backs out.
 */
export function Confirm(props: {
  question: string;
  yes: string;
  busy: boolean;
  onYes: () => void;
  onNo: () => void;
}) {
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => yes.current?.focus(), []);
  return (
    <div class="users-confirm">
      <span>{props.question}</span>
      <button ref={yes} type="button" class="danger" disabled={props.busy} onClick={props.onYes}>
        {props.busy ? "Working…" : props.yes}
      </button>
      <button type="button" class="secondary" disabled={props.busy} onClick={props.onNo}>
        Cancel
      </button>
    </div>
  );
}
