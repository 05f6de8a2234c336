import { useId, useState } from "preact/hooks";
import { Dialog, useDialog } from "../../ui/dialog";
import { type EventType, patternsOf } from "./rules-common";

export type Endpoint = {
  id: number;
  url: string;
  description: string;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  created_by: number | null;
  created_at: string;
  updated_at: string;
};

export type Delivery = {
  id: number;
  endpoint_id: number;
  message_id: string;
  event_id: number | null;
  event_type: string;
  status: "pending" | "succeeded" | "failed";
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
};

/** The error keys the endpoint form shows next to its fields. */
export const endpointKeys = (errors: Record<string, string>) =>
  Object.keys(errors).filter(
    (k) => ["url", "description", "enabled"].includes(k) || k.startsWith("event_types"),
  );

/**
 * The event types an endpoint subscribes to: exact types, `prefix.*` patterns or `*`, picked from
 * the declared list or typed. Each entry's problem (`event_types.1`) shows next to it.
 */
export function EventPatterns(props: {
  value: string[];
  onChange: (v: string[]) => void;
  types: EventType[];
  errors: Record<string, string>;
}) {
  const [typed, setTyped] = useState("");
  const inputId = useId();
  const listId = useId();
  const add = () => {
    const p = typed.trim();
    if (p && !props.value.includes(p)) props.onChange([...props.value, p]);
    setTyped("");
  };
  const whole = props.errors.event_types;
  return (
    <fieldset class="webhooks-patterns">
      <legend>Event types</legend>
      {props.value.length === 0 ? <p class="muted">None yet: add at least one.</p> : null}
      <ul>
        {props.value.map((p, i) => (
          <li key={p}>
            <code>{p}</code>{" "}
            <button
              type="button"
              class="link"
              aria-label={`Remove ${p}`}
              onClick={() => props.onChange(props.value.filter((x) => x !== p))}
            >
              Remove
            </button>
            {props.errors[`event_types.${i}`] ? (
              <small class="field-error" role="alert">
                {" "}
                {props.errors[`event_types.${i}`]}
              </small>
            ) : null}
          </li>
        ))}
      </ul>
      <div class="row">
        <div class="field">
          <label for={inputId}>Add an event type or pattern</label>
          <input
            id={inputId}
            list={listId}
            class="webhooks-pattern-input"
            value={typed}
            placeholder="order.* or order.created"
            onInput={(e) => setTyped(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                e.preventDefault();
                add();
              }
            }}
          />
          <datalist id={listId}>
            {[...patternsOf(props.types), ...props.types.map((t) => t.type)].map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </div>
        <button type="button" class="secondary webhooks-add-pattern" onClick={add}>
          Add
        </button>
      </div>
      {whole ? (
        <small class="field-error" role="alert">
          {whole}
        </small>
      ) : null}
    </fieldset>
  );
}

/**
 * A signing secret, shown once in a modal dialog; closing it forgets the secret (souk cannot show
 * it again, only rotate it).
 */
export function SecretDialog(props: { secret: string; url: string; onClose: () => void }) {
  const dialog = useDialog();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.secret);
      setCopied(true);
    } catch {
      // No clipboard (an insecure origin): the secret is selectable text.
    }
  };
  return (
    <Dialog dialog={dialog} title="Signing secret" class="webhooks-secret-dialog" onClose={props.onClose}>
      <p>
        For <code>{props.url}</code>. It is shown this once: store it now. souk keeps it sealed and cannot
        show it again; rotate it if it is lost.
      </p>
      <p class="webhooks-secret">
        <code>{props.secret}</code>
      </p>
      <div class="row">
        <button type="button" class="secondary" onClick={copy}>
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" onClick={dialog.close}>
          I have stored it
        </button>
      </div>
    </Dialog>
  );
}
