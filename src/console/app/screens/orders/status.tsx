import { words } from "../../ui/format";
import type { Status } from "./types";

/** An order status, coloured by where it stands (final, waiting on money, in trouble). */
export function StatusPill(props: { status: Status }) {
  return <span class={`pill orders-status orders-${props.status}`}>{words(props.status)}</span>;
}
