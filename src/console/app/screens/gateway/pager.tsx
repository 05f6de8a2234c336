/** Previous / next over a paginated list, with where we are. */
export function Pager(props: {
  page: number;
  pageSize: number;
  count: number;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(props.count / props.pageSize));
  if (pages <= 1) return <p class="muted gw-pager">{props.count} in all</p>;
  return (
    <div class="gw-pager">
      <button
        type="button"
        class="secondary"
        disabled={props.page <= 1}
        onClick={() => props.onPage(props.page - 1)}
      >
        Previous
      </button>
      <span class="muted">
        Page {props.page} of {pages} · {props.count} in all
      </span>
      <button
        type="button"
        class="secondary"
        disabled={props.page >= pages}
        onClick={() => props.onPage(props.page + 1)}
      >
        Next
      </button>
    </div>
  );
}
