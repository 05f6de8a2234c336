import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { setHashQuery } from "../router";
import { useDraft } from "./fields";

/**
 * A list's filters and page. Filters typed into a draft (`field` binds one to its control, as
 * useDraft does) are applied together; one bound with `now` applies as it changes. Either way the
 * list reloads from its first page.
 */
export function useFilters<F extends Record<string, string>>(initial: F | (() => F)) {
  const { draft, setDraft, field } = useDraft(initial);
  const [applied, setApplied] = useState<F>(draft);
  const [page, setPage] = useState(1);
  const apply = (next: F = draft) => {
    setDraft(next);
    setApplied({ ...next });
    setPage(1);
  };
  return {
    draft,
    applied,
    page,
    setPage,
    field,
    now: (k: keyof F & string, issues: Record<string, string> = {}) => ({
      name: k,
      value: applied[k],
      error: issues[k],
      onValue: (v: string) => apply({ ...applied, [k]: v }),
    }),
    apply,
  };
}

/** The filter fields of a list in a row, and the button that applies them (Enter does too). */
export function FilterBar(props: { label: string; onApply: () => void; children: ComponentChildren }) {
  return (
    <form
      class="card row filter-bar"
      aria-label={props.label}
      novalidate
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply();
      }}
    >
      {props.children}
      <div class="filter-apply">
        <button type="submit">Apply</button>
      </div>
    </form>
  );
}

/**
 * A list's filters and page kept in the address (`#/orders?status=paid`), so a reload, a link or
 * Back shows the same list. `read` takes them from the address; `follow` runs when the address
 * brings others (the nav link, a link from another screen, Back). `apply` starts again at page 1.
 */
export function useHashFilters<F extends Record<string, string | number> & { page: number }>(
  path: string,
  read: () => F,
  follow?: (f: F) => void,
) {
  const [filters, setFilters] = useState<F>(read);
  useEffect(() => {
    const onHash = () => {
      const f = read();
      setFilters(f);
      follow?.(f);
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  const apply = (next: Partial<F>) => {
    const f = { ...filters, page: 1, ...next };
    setFilters(f);
    setHashQuery(path, { ...f, page: f.page > 1 ? f.page : undefined });
  };
  return [filters, apply] as const;
}
