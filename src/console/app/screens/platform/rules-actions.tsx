import { SelectField } from "../../ui/fields";
import { Field } from "../../ui/form";
import { type Issue, messagesAt } from "./rules-common";
import { ACTION_PARAMS, type Action } from "./rules-doc";

const TYPES = Object.keys(ACTION_PARAMS);

/** The actions a rule runs in order when it matches; each one's parameters by its type. */
export function ActionsEditor(props: { value: Action[]; onChange: (a: Action[]) => void; issues: Issue[] }) {
  const { value } = props;
  const set = (i: number, a: Action) => props.onChange(value.map((x, j) => (j === i ? a : x)));
  const move = (i: number) => {
    const next = [...value];
    [next[i - 1], next[i]] = [next[i]!, next[i - 1]!];
    props.onChange(next);
  };
  const listIssue = props.issues.filter((i) => i.path === "actions");
  // An action's issues that no field shows: the action itself, its params object, unknown keys.
  const rest = (i: number, keys: string[]) => {
    const shown = new Set([`actions.${i}.type`, ...keys.map((k) => `actions.${i}.params.${k}`)]);
    const left = props.issues.filter(
      (x) => (x.path === `actions.${i}` || x.path.startsWith(`actions.${i}.`)) && !shown.has(x.path),
    );
    return left.length ? left.map((x) => `${x.path}: ${x.message}`).join("; ") : null;
  };
  return (
    <div class="rules-actions">
      {listIssue.length ? (
        <p class="error" role="alert">
          {listIssue.map((i) => i.message).join("; ")}
        </p>
      ) : null}
      {value.length === 0 ? <p class="muted">No actions: a match is only logged.</p> : null}
      <ol>
        {value.map((a, i) => {
          const at = (p: string) => messagesAt(props.issues, `actions.${i}${p}`);
          const spec = ACTION_PARAMS[a.type] ?? [];
          return (
            <li key={i} class="rules-action" data-path={`actions.${i}`}>
              <div class="row">
                <SelectField
                  label={`Action ${i + 1}`}
                  error={at(".type")}
                  options={TYPES.includes(a.type) ? TYPES : [a.type ?? "", ...TYPES]}
                  value={a.type ?? ""}
                  onValue={(type) => {
                    const params = Object.fromEntries((ACTION_PARAMS[type] ?? []).map((p) => [p.key, ""]));
                    set(i, { type, params });
                  }}
                />
                {spec.map((p) => (
                  <Field key={p.key} label={p.key} hint={p.hint} error={at(`.params.${p.key}`)}>
                    {(id, d) => {
                      const v = String(a.params[p.key] ?? "");
                      const onInput = (e: { currentTarget: { value: string } }) =>
                        set(i, { ...a, params: { ...a.params, [p.key]: e.currentTarget.value } });
                      return p.long ? (
                        <textarea
                          id={id}
                          aria-describedby={d}
                          class="rules-param"
                          value={v}
                          onInput={onInput}
                        />
                      ) : (
                        <input id={id} aria-describedby={d} value={v} onInput={onInput} />
                      );
                    }}
                  </Field>
                ))}
              </div>
              {rest(
                i,
                spec.map((p) => p.key),
              ) ? (
                <small class="field-error" role="alert">
                  {rest(
                    i,
                    spec.map((p) => p.key),
                  )}
                </small>
              ) : null}
              <div class="row">
                {i > 0 ? (
                  <button type="button" class="link" onClick={() => move(i)}>
                    Move up
                  </button>
                ) : null}
                <button
                  type="button"
                  class="link"
                  onClick={() => props.onChange(value.filter((_, j) => j !== i))}
                >
                  Remove action
                </button>
              </div>
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        class="secondary"
        disabled={value.length >= 10}
        onClick={() =>
          props.onChange([...value, { type: "request_admin_attention", params: { reason: "" } }])
        }
      >
        Add action
      </button>
    </div>
  );
}
