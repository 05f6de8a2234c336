import type { ComponentChildren } from "preact";
import type { ApiError } from "../api";

export function Page(props: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">{props.title}</h1>
        {props.actions ? <div class="actions">{props.actions}</div> : null}
      </header>
      {props.children}
    </section>
  );
}

/** An API error as the API worded it (or a refusal already put in words). */
export function ErrorNote(props: { error: ApiError | string | null | undefined }) {
  const e = props.error;
  if (!e) return null;
  return (
    <p class="error" role="alert">
      {typeof e === "string" ? e : e.message}
      {typeof e !== "string" && e.code ? <code> ({e.code})</code> : null}
    </p>
  );
}

/** What just happened, for the user to read (and hear): nothing while there is nothing to say. */
export function Notice(props: { children: ComponentChildren }) {
  return props.children ? (
    <p class="ok" role="status">
      {props.children}
    </p>
  ) : null;
}

export function Loading(props: { when: boolean }) {
  return props.when ? (
    <p class="muted" aria-live="polite">
      Loading…
    </p>
  ) : null;
}
