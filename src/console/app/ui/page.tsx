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

/** An API error as the API worded it. */
export function ErrorNote(props: { error: ApiError | null }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {props.error.message}
      {props.error.code ? <code> ({props.error.code})</code> : null}
    </p>
  );
}

export function Loading(props: { when: boolean }) {
  return props.when ? (
    <p class="muted" aria-live="polite">
      Loading…
    </p>
  ) : null;
}
