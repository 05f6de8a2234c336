/** Previous / next through a paginated API list, with where we are in it. */
export function Pager(props: {
  page: number;
  pageSize: number;
  count: number;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(props.count / props.pageSize));
  return (
    <nav class="row pager" aria-label="Pages">
      <button
        type="button"
        class="secondary"
        disabled={props.page <= 1}
        onClick={() => props.onPage(props.page - 1)}
      >
        Previous
      </button>
      <span class="muted" aria-live="polite">
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
    </nav>
  );
}
