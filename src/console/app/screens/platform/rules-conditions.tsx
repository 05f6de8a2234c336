import { useId, useState } from "preact/hooks";
import { SelectField, TextField } from "../../ui/fields";
import { Field } from "../../ui/form";
import { type Issue, messagesAt } from "./rules-common";
import {
  childrenOf,
  FACTS,
  kindOf,
  type Leaf,
  LIST_OPERATORS,
  type Node,
  newGroup,
  newLeaf,
  OPERATORS,
  regroup,
  reoperate,
} from "./rules-doc";

type Props = { value: Node; onChange: (n: Node) => void; issues: Issue[] };

const PRESENCE = [
  ["true", "present"],
  ["false", "missing"],
] as const;
const VALUE_KINDS = [
  ["text", "text"],
  ["number", "number"],
  ["boolean", "true/false"],
] as const;

/**
 * The condition tree, edited as nested groups of comparisons, or as raw JSON for what the visual
 * editor does not cover. The API's issues land on the node they name, and are listed with their
 * paths under the editor either way.
 */
export function ConditionEditor(props: Props) {
  const [mode, setMode] = useState<"visual" | "json">("visual");
  const [text, setText] = useState("");
  const [parseError, setParseError] = useState<string | null>(null);
  const factsId = useId();
  const mine = props.issues.filter((i) => i.path === "conditions" || i.path.startsWith("conditions."));
  const toJson = () => {
    setText(JSON.stringify(props.value, null, 2));
    setParseError(null);
    setMode("json");
  };
  const onText = (t: string) => {
    setText(t);
    try {
      const parsed = JSON.parse(t) as Node;
      setParseError(null);
      props.onChange(parsed);
    } catch (e) {
      setParseError(`not JSON: ${(e as Error).message}`);
    }
  };
  return (
    <div class="rules-conditions">
      <fieldset class="row rules-mode">
        <legend class="sr-only">Edit the conditions as</legend>
        <button
          type="button"
          class={mode === "visual" ? undefined : "secondary"}
          aria-pressed={mode === "visual"}
          disabled={mode === "json" && parseError !== null}
          onClick={() => setMode("visual")}
        >
          Visual
        </button>
        <button
          type="button"
          class={mode === "json" ? undefined : "secondary"}
          aria-pressed={mode === "json"}
          onClick={toJson}
        >
          JSON
        </button>
      </fieldset>
      {mode === "visual" ? (
        <>
          <datalist id={factsId}>
            {FACTS.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
          <NodeEditor
            node={props.value}
            path="conditions"
            factsId={factsId}
            issues={props.issues}
            onChange={props.onChange}
          />
        </>
      ) : (
        <Field
          label="Conditions (JSON)"
          error={parseError ?? undefined}
          hint='{"all": [...]}, {"any": [...]}, {"not": {...}} or {"fact", "operator", "value"}'
        >
          {(id, d) => (
            <textarea
              id={id}
              aria-describedby={d}
              class="rules-json"
              spellcheck={false}
              value={text}
              onInput={(e) => onText(e.currentTarget.value)}
            />
          )}
        </Field>
      )}
      {mine.length ? (
        <ul class="rules-issues error" role="alert" aria-label="Problems in the conditions">
          {mine.map((i) => (
            <li key={i.path + i.message}>
              <code>{i.path}</code>: {i.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

type NodeProps = {
  node: Node;
  path: string;
  factsId: string;
  issues: Issue[];
  onChange: (n: Node) => void;
  onRemove?: () => void;
};

function NodeEditor(props: NodeProps) {
  const kind = kindOf(props.node);
  if (kind === "leaf") return <LeafEditor {...props} leaf={props.node as Leaf} />;
  if (kind === "other") {
    return (
      <div class="rules-node rules-other" data-path={props.path}>
        <p>
          A node the visual editor cannot show; edit it as JSON: <code>{JSON.stringify(props.node)}</code>
        </p>
        <NodeIssue issues={props.issues} path={props.path} />
        {props.onRemove ? (
          <button type="button" class="link" onClick={props.onRemove}>
            Remove
          </button>
        ) : null}
      </div>
    );
  }
  return <GroupEditor {...props} kind={kind} />;
}

/** A node's own problem (not its fields'), e.g. "one of all, any, not or fact per condition". */
function NodeIssue(props: { issues: Issue[]; path: string }) {
  const own = props.issues.filter((i) => i.path === props.path);
  if (!own.length) return null;
  return (
    <small class="field-error" role="alert">
      {own.map((i) => i.message).join("; ")}
    </small>
  );
}

const GROUP_LABELS = { all: "all of these hold", any: "any of these holds", not: "this does not hold" };

function GroupEditor(props: NodeProps & { kind: "all" | "any" | "not" }) {
  const { node, path, kind } = props;
  const kids = childrenOf(node);
  const listPath = kind === "not" ? `${path}.not` : `${path}.${kind}`;
  const setKid = (i: number, n: Node) => {
    if (kind === "not") props.onChange({ not: n });
    else props.onChange({ [kind]: kids.map((k, j) => (j === i ? n : k)) } as Node);
  };
  const add = (n: Node) => props.onChange({ [kind]: [...kids, n] } as Node);
  const matchId = useId();
  return (
    <fieldset class="rules-node rules-group" data-path={path}>
      <legend>
        <label for={matchId}>Match </label>
        <select
          id={matchId}
          value={kind}
          onChange={(e) => props.onChange(regroup(node, e.currentTarget.value as "all" | "any" | "not"))}
        >
          {(["all", "any", "not"] as const).map((k) => (
            <option key={k} value={k}>
              {GROUP_LABELS[k]}
            </option>
          ))}
        </select>
      </legend>
      <NodeIssue issues={props.issues} path={path} />
      <NodeIssue issues={props.issues} path={listPath} />
      {kids.length === 0 ? (
        <p class="muted">{kind === "all" ? "No conditions: always holds." : "No conditions: never holds."}</p>
      ) : null}
      {kids.map((k, i) => (
        <NodeEditor
          key={i}
          node={k}
          path={kind === "not" ? listPath : `${listPath}.${i}`}
          factsId={props.factsId}
          issues={props.issues}
          onChange={(n) => setKid(i, n)}
          onRemove={
            kind === "not"
              ? undefined
              : () => props.onChange({ [kind]: kids.filter((_, j) => j !== i) } as Node)
          }
        />
      ))}
      <div class="row rules-group-buttons">
        {kind !== "not" ? (
          <>
            <button type="button" class="secondary" onClick={() => add(newLeaf())}>
              Add condition
            </button>
            <button type="button" class="secondary" onClick={() => add(newGroup())}>
              Add group
            </button>
          </>
        ) : null}
        {props.onRemove ? (
          <button type="button" class="link" onClick={props.onRemove}>
            Remove group
          </button>
        ) : null}
      </div>
    </fieldset>
  );
}

type ValueKind = "text" | "number" | "boolean";

const kindOfValue = (v: unknown): ValueKind =>
  typeof v === "number" ? "number" : typeof v === "boolean" ? "boolean" : "text";

function parseScalar(text: string, kind: ValueKind): unknown {
  if (kind === "boolean") return text === "true";
  if (kind === "number") return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : null;
  return text;
}

function parseValue(text: string, kind: ValueKind, list: boolean): unknown {
  if (!list) return parseScalar(text, kind);
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => parseScalar(s, kind));
}

const showValue = (v: unknown) =>
  Array.isArray(v)
    ? v.map((x) => String(x ?? "")).join(", ")
    : v === undefined || v === null
      ? ""
      : String(v);

function LeafEditor(props: NodeProps & { leaf: Leaf }) {
  const { leaf, path } = props;
  const list = LIST_OPERATORS.includes(leaf.operator);
  const sample = Array.isArray(leaf.value) ? leaf.value[0] : leaf.value;
  // What is typed stays as typed ("1," on the way to "1, 2") as long as it still reads as the value.
  const [text, setText] = useState(showValue(leaf.value));
  const [kind, setKind] = useState<ValueKind>(kindOfValue(sample));
  const sameKind = sample === undefined || sample === null || kindOfValue(sample) === kind;
  const shownKind = sameKind ? kind : kindOfValue(sample);
  const shownText =
    JSON.stringify(parseValue(text, shownKind, list)) === JSON.stringify(leaf.value)
      ? text
      : showValue(leaf.value);
  const set = (patch: Partial<Leaf>) => props.onChange({ ...leaf, ...patch } as Leaf);
  const at = (f: string) => messagesAt(props.issues, `${path}.${f}`);
  return (
    <div class="rules-node rules-leaf" data-path={path}>
      <NodeIssue issues={props.issues} path={path} />
      <div class="row">
        <TextField
          label="Fact"
          error={at("fact")}
          list={props.factsId}
          placeholder="payload.amount"
          value={leaf.fact}
          onValue={(fact) => set({ fact })}
        />
        <SelectField
          label="Operator"
          error={at("operator")}
          options={[
            // What raw JSON put there (or nothing), shown as it is.
            ...(OPERATORS.some((o) => o.op === leaf.operator) ? [] : [leaf.operator ?? ""]),
            ...OPERATORS.map((o) => [o.op, o.op === o.label ? o.op : `${o.op} (${o.label})`] as const),
          ]}
          value={leaf.operator ?? ""}
          onValue={(op) => props.onChange(reoperate(leaf, op))}
        />
        {leaf.operator === "exists" ? (
          <SelectField
            label="Value"
            error={at("value")}
            options={PRESENCE}
            value={leaf.value === false ? "false" : "true"}
            onValue={(v) =>
              props.onChange(
                v === "false"
                  ? { fact: leaf.fact, operator: "exists", value: false }
                  : { fact: leaf.fact, operator: "exists" },
              )
            }
          />
        ) : (
          <>
            <Field label={list ? "Values (comma-separated)" : "Value"} error={at("value")}>
              {(id, d) =>
                shownKind === "boolean" && !list ? (
                  <select
                    id={id}
                    aria-describedby={d}
                    value={String(leaf.value === true)}
                    onChange={(e) => set({ value: e.currentTarget.value === "true" })}
                  >
                    <option value="true">true</option>
                    <option value="false">false</option>
                  </select>
                ) : (
                  <input
                    id={id}
                    aria-describedby={d}
                    value={shownText}
                    inputMode={shownKind === "number" ? "decimal" : undefined}
                    onInput={(e) => {
                      const t = e.currentTarget.value;
                      setText(t);
                      setKind(shownKind);
                      set({ value: parseValue(t, shownKind, list) });
                    }}
                  />
                )
              }
            </Field>
            <SelectField
              label="Value type"
              options={VALUE_KINDS}
              value={shownKind}
              onValue={(v) => {
                const k = v as ValueKind;
                const t = k === "boolean" && !list ? "true" : shownText;
                setKind(k);
                setText(t);
                set({ value: parseValue(t, k, list) });
              }}
            />
          </>
        )}
        {props.onRemove ? (
          <button type="button" class="link rules-remove" onClick={props.onRemove}>
            Remove condition
          </button>
        ) : null}
      </div>
    </div>
  );
}
