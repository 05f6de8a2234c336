import { useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { ROLES } from "../../permissions";
import { hashQuery } from "../../router";
import { eitherOr, SelectField, TextField } from "../../ui/fields";
import { useHashFilters } from "../../ui/filters";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
import type { Column } from "../../ui/table";
import { When } from "../../ui/when";
import { RiskPill } from "./risk";
import { type AdminUser, fullName, nameOf } from "./types";
import "./users.css";

const PAGE_SIZE = 25;
const ANY_ROLE = [["", "any"], ...ROLES] as const;
const BANNED = eitherOr("any", "banned", "not banned");

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
  // The search as typed; the nav link (no query) or Back brings the one in the address.
  const [q, setQ] = useState(() => readFilters().q);
  const [filters, apply] = useHashFilters("/users", readFilters, (f) => setQ(f.q));
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
        <TextField
          label="Email, username or name"
          error={issues.q}
          type="search"
          name="q"
          value={q}
          onValue={setQ}
        />
        <SelectField
          label="Role"
          error={issues.role}
          options={ANY_ROLE}
          value={filters.role}
          onValue={(role) => apply({ role, q: q.trim() })}
        />
        <SelectField
          label="Banned"
          error={issues.is_banned}
          options={BANNED}
          value={filters.is_banned}
          onValue={(is_banned) => apply({ is_banned, q: q.trim() })}
        />
        <div class="field">
          <button type="submit">Search</button>
        </div>
      </form>
      <ListTable
        list={list}
        page={filters.page}
        pageSize={PAGE_SIZE}
        onPage={(page) => apply({ page })}
        noun={["user", "users"]}
        caption="Users"
        columns={COLUMNS}
        rowKey={(u) => u.id}
        empty="No user matches."
      />
    </Page>
  );
}
