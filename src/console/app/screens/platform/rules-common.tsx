/**
 * Pieces the rules, flags and webhooks screens share: the declared event types (what rules and
 * webhook subscriptions may name), the API's issues by path, and an on/off pill.
 */
import { ApiError, get } from "../../api";
import { eitherOr } from "../../ui/fields";
import { useLoad } from "../../ui/load";
import "./rules.css";

export type EventType = { type: string; module: string; description: string };

/** The API's validation issues with the body prefix taken off: `conditions.all.0.operator`. */
export type Issue = { path: string; message: string };

export function issuesOf(e: unknown): Issue[] {
  if (!(e instanceof ApiError)) return [{ path: "", message: String(e) }];
  const raw = (e.details.issues as Issue[] | undefined) ?? [];
  if (!raw.length) return [{ path: "", message: e.message }];
  return raw.map((i) => ({ path: i.path.replace(/^(json|param|query)\.?/, ""), message: i.message }));
}

/** The messages of the issues at `path` or below it, joined; undefined when there are none. */
export function messagesAt(issues: Issue[], path: string): string | undefined {
  const own = issues.filter((i) => i.path === path || i.path.startsWith(`${path}.`));
  return own.length ? own.map((i) => i.message).join("; ") : undefined;
}

/** The declared event types, loaded once per screen. */
export function useEventTypes() {
  return useLoad(async () => (await get<{ results: EventType[] }>("/admin/event-types")).results, []);
}

/** `*`, then one `<prefix>.*` per subject that has more than one type: the patterns worth offering. */
export function patternsOf(types: EventType[]): string[] {
  const counts = new Map<string, number>();
  for (const t of types) {
    const prefix = t.type.split(".")[0]!;
    counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  }
  return [
    "*",
    ...[...counts]
      .filter(([, n]) => n > 1)
      .map(([p]) => `${p}.*`)
      .sort(),
  ];
}

/** The state filter of a list of things switched on or off. */
export const ENABLED = eitherOr("all", "enabled", "disabled");

/** An on/off pill. */
export function OnOff(props: { on: boolean; on_label?: string; off_label?: string }) {
  return (
    <span class={`pill ${props.on ? "ok" : "muted"}`}>
      {props.on ? (props.on_label ?? "enabled") : (props.off_label ?? "disabled")}
    </span>
  );
}
