import { useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { SelectField, TextField } from "../../ui/fields";
import { Field, FormError, useForm } from "../../ui/form";
import { when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import type { EventRecord } from "./events";
import type { EventType } from "./rules-common";
import type { Action, Rule } from "./rules-doc";

type TraceRow = {
  path: string;
  fact: string;
  operator: string;
  value: unknown;
  actual: unknown;
  result: boolean;
};
type Result = { matched: boolean; event_type_matched: boolean; trace: TraceRow[]; actions: Action[] };
const show = (v: unknown) => (v === null || v === undefined ? "missing" : JSON.stringify(v));

const matchesPattern = (pattern: string, type: string) =>
  pattern === "*" || (pattern.endsWith(".*") ? type.startsWith(pattern.slice(0, -1)) : pattern === type);

/**
 * Evaluates the saved rule on a recorded event or a made-up one (nothing is written) and shows
 * every comparison: the fact's value at that moment and whether it held.
 */
export function DryRun(props: { rule: Rule; types: EventType[] }) {
  const { rule } = props;
  const [mode, setMode] = useState<"recorded" | "sample">("recorded");
  const [eventId, setEventId] = useState("");
  const candidates = props.types.filter((t) => matchesPattern(rule.event_type, t.type));
  const [type, setType] = useState(candidates[0]?.type ?? "");
  const [actorId, setActorId] = useState("");
  const [subjectType, setSubjectType] = useState("order");
  const [subjectId, setSubjectId] = useState("");
  const [payload, setPayload] = useState("{}");
  const [result, setResult] = useState<Result | null>(null);
  // Recent events of the rule's type, to pick one from (the log needs events:read).
  const recent = useLoad(
    () => get<ListPage<EventRecord>>("/events", { type: rule.event_type, page_size: 8 }).catch(() => null),
    [rule.event_type],
  );
  const form = useForm(async () => {
    setResult(null);
    let body: unknown;
    if (mode === "recorded") body = { event_id: /^\d+$/.test(eventId.trim()) ? Number(eventId) : eventId };
    else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload);
      } catch (e) {
        throw new Error(`the payload is not JSON: ${(e as Error).message}`);
      }
      const sid = subjectId.trim();
      body = {
        event: {
          type,
          actor_id: actorId.trim() ? Number(actorId) : null,
          subject_type: subjectType.trim() || null,
          subject_id: sid ? (/^\d+$/.test(sid) ? Number(sid) : sid) : null,
          payload: parsed,
        },
      };
    }
    setResult(await api<Result>("POST", `/admin/rules/${rule.id}/test`, body));
  });
  const e = form.errors;
  return (
    <div class="rules-dry-run">
      <p class="muted">
        Evaluates the saved rule (version {rule.version}); nothing is written and no action runs.
      </p>
      <form onSubmit={form.submit} novalidate aria-label="Dry run">
        <fieldset class="rules-choice">
          <legend>Event</legend>
          <label>
            <input
              type="radio"
              name="dry-run-mode"
              checked={mode === "recorded"}
              onChange={() => setMode("recorded")}
            />{" "}
            a recorded event
          </label>
          <label>
            <input
              type="radio"
              name="dry-run-mode"
              checked={mode === "sample"}
              onChange={() => setMode("sample")}
            />{" "}
            a sample event
          </label>
        </fieldset>
        {mode === "recorded" ? (
          <>
            <TextField
              label="Event id"
              error={e.event_id}
              class="rules-event-id"
              inputMode="numeric"
              value={eventId}
              onValue={setEventId}
            />
            {recent.data?.results.length ? (
              <div class="rules-recent">
                <p class="muted">Recent {rule.event_type} events:</p>
                <ul>
                  {recent.data.results.map((ev) => (
                    <li key={ev.id}>
                      <button type="button" class="link" onClick={() => setEventId(String(ev.id))}>
                        #{ev.id}
                      </button>{" "}
                      <code>{ev.type}</code> {ev.subject_type ?? ""} {ev.subject_id ?? ""}{" "}
                      <span class="muted">{when(ev.created_at)}</span>
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
          </>
        ) : (
          <>
            <div class="row">
              <SelectField
                label="Type"
                error={e["event.type"]}
                options={candidates.map((t) => t.type)}
                value={type}
                onValue={setType}
              />
              <TextField
                label="Actor id"
                error={e["event.actor_id"]}
                hint="empty: the system"
                inputMode="numeric"
                value={actorId}
                onValue={setActorId}
              />
              <TextField
                label="Subject type"
                error={e["event.subject_type"]}
                value={subjectType}
                onValue={setSubjectType}
              />
              <TextField
                label="Subject id"
                error={e["event.subject_id"]}
                value={subjectId}
                onValue={setSubjectId}
              />
            </div>
            <Field label="Payload (JSON)" error={e["event.payload"]}>
              {(id, d) => (
                <textarea
                  id={id}
                  aria-describedby={d}
                  class="rules-json rules-payload"
                  spellcheck={false}
                  value={payload}
                  onInput={(ev) => setPayload(ev.currentTarget.value)}
                />
              )}
            </Field>
          </>
        )}
        <FormError
          errors={e}
          fields={[
            "event_id",
            "event.type",
            "event.actor_id",
            "event.subject_type",
            "event.subject_id",
            "event.payload",
          ]}
        />
        <button type="submit" disabled={form.busy}>
          {form.busy ? "Running…" : "Run dry run"}
        </button>
      </form>
      {result ? <Outcome result={result} rule={rule} /> : null}
    </div>
  );
}

function Outcome(props: { result: Result; rule: Rule }) {
  const r = props.result;
  return (
    <section class="rules-outcome" aria-label="Dry run result" aria-live="polite">
      <p class={`rules-verdict ${r.matched ? "ok" : "error"}`}>
        <strong>{r.matched ? "Matched" : "Not matched"}</strong>
        {r.event_type_matched ? null : (
          <span> — the event's type does not match {props.rule.event_type}</span>
        )}
      </p>
      <div class="table-wrap">
        <table class="rules-trace">
          <caption>Every comparison, in order</caption>
          <thead>
            <tr>
              <th scope="col">Condition</th>
              <th scope="col">Fact</th>
              <th scope="col">Operator</th>
              <th scope="col">Expected</th>
              <th scope="col">Fact's value</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {r.trace.length === 0 ? (
              <tr>
                <td colSpan={6} class="muted">
                  No comparisons (an empty condition list).
                </td>
              </tr>
            ) : (
              r.trace.map((t) => (
                <tr key={t.path} data-result={String(t.result)}>
                  <td>
                    <code>{t.path}</code>
                    {t.path.endsWith(".not") ? <small class="muted"> (negated by not)</small> : null}
                  </td>
                  <td>
                    <code>{t.fact}</code>
                  </td>
                  <td>{t.operator}</td>
                  <td>
                    <code>
                      {t.operator === "exists" ? (t.value === false ? "missing" : "present") : show(t.value)}
                    </code>
                  </td>
                  <td>
                    <code>{show(t.actual)}</code>
                  </td>
                  <td>
                    <span class={`pill rules-${t.result ? "true" : "false"}`}>
                      {t.result ? "✓ true" : "✗ false"}
                    </span>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      {r.matched ? (
        <div>
          <h3 class="card-title">It would run</h3>
          {r.actions.length ? (
            <ol>
              {r.actions.map((a, i) => (
                <li key={i}>
                  <code>{a.type}</code> {JSON.stringify(a.params)}
                </li>
              ))}
            </ol>
          ) : (
            <p class="muted">No actions: the match would only be logged.</p>
          )}
        </div>
      ) : null}
    </section>
  );
}
