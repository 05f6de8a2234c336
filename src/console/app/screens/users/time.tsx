import { when } from "./format";
import "./users.css";

/** A time from the API, kept on one line in tables. */
export function Time(props: { iso: string | null | undefined }) {
  return props.iso ? (
    <time class="users-nowrap" dateTime={props.iso}>
      {when(props.iso)}
    </time>
  ) : (
    <span class="muted">—</span>
  );
}
