import type { ListPage } from "../../api";
import { when } from "../../ui/format";
import { ListTable } from "../../ui/list";
import type { Loaded } from "../../ui/load";
import type { Column } from "../../ui/table";

/**
 * A log the API pages through, newest first (events, the audit log, critical errors): each row's
 * number and time, then `columns`. Its filter bar shows the API's issues beside the filters.
 */
export function LogTable<T extends { id: number; created_at: string }>(props: {
  list: Loaded<ListPage<T>>;
  filters: { page: number; setPage: (page: number) => void };
  pageSize: number;
  caption: string;
  empty: string;
  minWidth: string;
  columns: Column<T>[];
}) {
  return (
    <div class="card">
      <ListTable<T>
        list={props.list}
        page={props.filters.page}
        pageSize={props.pageSize}
        onPage={props.filters.setPage}
        issuesBeside
        class="part1-table"
        minWidth={props.minWidth}
        caption={props.caption}
        rowKey={(e) => e.id}
        empty={props.empty}
        columns={[
          { key: "id", label: "#", numeric: true },
          { key: "created_at", label: "At (UTC)", render: (e) => when(e.created_at) },
          ...props.columns,
        ]}
      />
    </div>
  );
}
