/** A JSON value in a table cell: inline when short, folded (summary + full text) when long. */
export function JsonCell(props: { value: unknown; inline?: number }) {
  const v = props.value;
  if (v === null || v === undefined) return null;
  if (typeof v === "object" && Object.keys(v).length === 0) return <span class="muted">{"{}"}</span>;
  const flat = JSON.stringify(v);
  const limit = props.inline ?? 70;
  if (flat.length <= limit) return <code class="part1-json">{flat}</code>;
  return (
    <details class="part1-json">
      <summary>
        <code>{flat.slice(0, limit - 10)}…</code>
      </summary>
      <pre>{JSON.stringify(v, null, 2)}</pre>
    </details>
  );
}
