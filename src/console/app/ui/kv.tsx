import { type ComponentChildren, Fragment } from "preact";

/** Names and values as a description list; a value left out (null) shows a dash. */
export function Kv(props: { items: [string, ComponentChildren][]; class?: string }) {
  return (
    <dl class={props.class ? `kv ${props.class}` : "kv"}>
      {props.items.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{v ?? "—"}</dd>
        </Fragment>
      ))}
    </dl>
  );
}
