import type { ListPage } from "../api";
import type { Loaded } from "./load";
import { ErrorNote, Loading } from "./page";
import { Pager } from "./pager";
import { Table, type TableProps } from "./table";

/**
 * A page of an API list: its table and pager, the API's error above them, "Loading…" until the
 * first page is in. With `issuesBeside` the list's filters show the API's issues next to
 * themselves: the note says only what no filter can, and an error hides the rows it left.
 * `noun` (one, many) adds a live count above the table.
 */
export function ListTable<T>(
  props: Omit<TableProps<T>, "rows"> & {
    list: Loaded<ListPage<T>>;
    page: number;
    pageSize: number;
    onPage: (page: number) => void;
    issuesBeside?: boolean;
    noun?: [string, string];
  },
) {
  const { list, page, pageSize, onPage, issuesBeside, noun, ...table } = props;
  const beside = issuesBeside && list.error && Object.keys(list.error.fields).length > 0;
  const data = issuesBeside && list.error ? null : list.data;
  return (
    <>
      {beside ? null : <ErrorNote error={list.error} />}
      <Loading when={list.loading && !list.data} />
      {data ? (
        <>
          {noun ? (
            <p class="muted" aria-live="polite">
              {data.count} {data.count === 1 ? noun[0] : noun[1]}
              {list.loading ? " · loading…" : ""}
            </p>
          ) : null}
          <Table {...table} rows={data.results} />
          <Pager page={page} pageSize={pageSize} count={data.count} onPage={onPage} />
        </>
      ) : null}
    </>
  );
}
