import type { ComponentChildren } from "preact";

export type Column<T> = {
  key: string;
  label: string;
  render?: (row: T) => ComponentChildren;
  numeric?: boolean;
};

/** A plain table that scrolls sideways on narrow screens instead of squeezing its columns. */
export function Table<T>(props: {
  columns: Column<T>[];
  rows: T[];
  caption?: string;
  empty?: string;
  rowKey?: (row: T) => string | number;
}) {
  return (
    <div class="table-wrap">
      <table>
        {props.caption ? <caption>{props.caption}</caption> : null}
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.key} scope="col" class={c.numeric ? "num" : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} class="muted">
                {props.empty ?? "Nothing here."}
              </td>
            </tr>
          ) : (
            props.rows.map((row, i) => (
              <tr key={props.rowKey ? props.rowKey(row) : i}>
                {props.columns.map((c) => (
                  <td key={c.key} class={c.numeric ? "num" : undefined}>
                    {c.render ? c.render(row) : String((row as Record<string, unknown>)[c.key] ?? "")}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
