import { useEffect, useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { ROLES } from "../../permissions";
import { hashQuery, setHashQuery } from "../../router";
import { Field } from "../../ui/form";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { type Column, Table } from "../../ui/table";
import { When } from "../../ui/when";
import { RiskPill } from "./risk";
import { type AdminUser, fullName, nameOf } from "./types";
import "./users.css";

const PAGE_SIZE = 25;

type Filters = { q: string; role: string; is_banned: string; page: number };

const readFilters = (): Filters => {
  const h = hashQuery();
  return {
    q: h.get("q") ?? "",
    role: h.get("role") ?? "",
    is_banned: h.get("is_banned") ?? "",
    page: Number(h.get("page")) || 1,
  };
};

const COLUMNS: Column<AdminUser>[] = [
  { key: "id", label: "ID", numeric: true },
  { key: "user", label: "User", render: (u) => <a href={`#/users/${u.id}`}>{nameOf(u)}</a> },
  { key: "email", label: "Email", render: (u) => u.email ?? "—" },
  { key: "name", label: "Name", render: (u) => fullName(u) || "—" },
  { key: "role", label: "Role", render: (u) => <span class="pill">{u.role}</span> },
  {
    key: "status",
    label: "Status",
    render: (u) => (u.is_banned ? <span class="pill users-banned">banned</span> : "active"),
  },
  { key: "risk", label: "Risk", render: (u) => <RiskPill user={u} /> },
  { key: "created", label: "Joined", render: (u) => <When iso={u.created_at} /> },
  { key: "last_login", label: "Last login", render: (u) => <When iso={u.last_login_at} /> },
];

/** Every user, searched by email, username or name and filtered by role and ban. */
export function UsersList() {
  const [filters, setFilters] = useState<Filters>(readFilters);
  const [q, setQ] = useState(filters.q);
  useEffect(() => {
    // The nav link (no query) or Back lands here with other filters: follow the hash.
    const follow = () => {
      const f = readFilters();
      setFilters(f);
      setQ(f.q);
    };
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  const apply = (next: Partial<Filters>) => {
    const f = { ...filters, page: 1, ...next };
    setFilters(f);
    setHashQuery("/users", { ...f, page: f.page > 1 ? f.page : undefined });
  };
  const list = useLoad(
    () =>
      get<ListPage<AdminUser>>("/admin/users", {
        q: filters.q,
        role: filters.role,
        is_banned: filters.is_banned,
        page: filters.page,
        page_size: PAGE_SIZE,
      }),
    [filters.q, filters.role, filters.is_banned, filters.page],
  );
  const issues = list.error?.fields ?? {};
  return (
    <Page title="Users">
      <form
        class="row card"
        aria-label="Find users"
        onSubmit={(e) => {
          e.preventDefault();
          apply({ q: q.trim() });
        }}
      >
        <Field label="Email, username or name" error={issues.q}>
          {(id, d) => (
            <input
              id={id}
              aria-describedby={d}
              type="search"
              name="q"
              value={q}
              onInput={(e) => setQ(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Role" error={issues.role}>
          {(id, d) => (
            <select
              id={id}
              aria-describedby={d}
              value={filters.role}
              onChange={(e) => apply({ role: e.currentTarget.value, q: q.trim() })}
            >
              <option value="">any</option>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Banned" error={issues.is_banned}>
          {(id, d) => (
            <select
              id={id}
              aria-describedby={d}
              value={filters.is_banned}
              onChange={(e) => apply({ is_banned: e.currentTarget.value, q: q.trim() })}
            >
              <option value="">any</option>
              <option value="true">banned</option>
              <option value="false">not banned</option>
            </select>
          )}
        </Field>
        <div class="field">
          <button type="submit">Search</button>
        </div>
      </form>
      <ErrorNote error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data ? (
        <>
          <p class="muted" aria-live="polite">
            {list.data.count} {list.data.count === 1 ? "user" : "users"}
            {list.loading ? " · loading…" : ""}
          </p>
          <Table
            caption="Users"
            columns={COLUMNS}
            rows={list.data.results}
            rowKey={(u) => u.id}
            empty="No user matches."
          />
          {list.data ? (
            <Pager
              page={filters.page}
              pageSize={PAGE_SIZE}
              count={list.data.count}
              onPage={(page) => apply({ page })}
            />
          ) : null}
        </>
      ) : null}
    </Page>
  );
}
