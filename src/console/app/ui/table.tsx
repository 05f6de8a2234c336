import type { ComponentChildren } from "preact";

export type Column<T> = {
  key: string;
  label: string;
  render?: (row: T) => ComponentChildren;
  numeric?: boolean;
};

export type TableProps<T> = {
  columns: Column<T>[];
  rows: T[];
  caption?: string;
  empty?: string;
  rowKey?: (row: T) => string | number;
  /** Keeps the columns readable: below this width the table scrolls sideways. */
  minWidth?: string;
  /** A class for the scroll box, for a screen's own rules. */
  class?: string;
};

/** A plain table that scrolls sideways on narrow screens instead of squeezing its columns. */
export function Table<T>(props: TableProps<T>) {
  return (
    <div class={props.class ? `table-wrap ${props.class}` : "table-wrap"}>
      <table style={props.minWidth ? { minWidth: props.minWidth } : undefined}>
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
