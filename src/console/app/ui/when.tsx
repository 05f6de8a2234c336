import { whenUtc } from "./format";

/** An API instant in a <time> element, kept on one line: `2026-12-02 13:22 UTC`, or a dash. */
export function When(props: { iso: string | null | undefined; class?: string }) {
  return props.iso ? (
    <time class={`nowrap${props.class ? ` ${props.class}` : ""}`} dateTime={props.iso}>
      {whenUtc(props.iso)}
    </time>
  ) : (
    <span class="muted">—</span>
  );
}
