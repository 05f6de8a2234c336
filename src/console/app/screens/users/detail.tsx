import type { ComponentChildren } from "preact";
import { get } from "../../api";
import { allowed } from "../../session";
import { whenUtc } from "../../ui/format";
import { Kv } from "../../ui/kv";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { BanCard } from "./ban";
import { GrantsCard } from "./grants";
import { RiskPill } from "./risk";
import { RoleCard } from "./role";
import { type AdminUser, fullName, nameOf } from "./types";
import "./users.css";

/** One user: profile, client risk, ban, role and granted permissions. */
export function UserDetail(props: { params: Record<string, string> }) {
  const id = Number(props.params.id);
  const user = useLoad(() => get<AdminUser>(`/admin/users/${id}`), [id]);
  const u = user.data;
  return (
    <Page
      title={u ? nameOf(u) : `User #${id}`}
      actions={
        <>
          <a href="#/users">All users</a>
          {u && allowed("orders:read_any") ? (
            <>
              <a href={`#/orders?client_id=${u.id}`}>Orders as client</a>
              {u.role === "expert" ? <a href={`#/orders?expert_id=${u.id}`}>Orders as expert</a> : null}
            </>
          ) : null}
        </>
      }
    >
      <ErrorNote error={user.error} />
      <Loading when={user.loading && !u} />
      {u ? (
        <div class="users-grid">
          <div>
            <Profile user={u} />
            <Risk user={u} />
          </div>
          <div>
            {allowed("users:ban", `users:${id}:ban`) ? <BanCard user={u} changed={user.reload} /> : null}
            {allowed("users:role", `users:${id}:role`) ? <RoleCard user={u} changed={user.reload} /> : null}
            {allowed("users:permissions", `users:${id}:permissions`) ? (
              <GrantsCard userId={u.id} role={u.role} />
            ) : null}
          </div>
        </div>
      ) : null}
    </Page>
  );
}

function Profile(props: { user: AdminUser }) {
  const u = props.user;
  const rows: [string, ComponentChildren][] = [
    ["ID", u.id],
    ["Username", u.username ?? "—"],
    ["Email", u.email ? `${u.email}${u.email_verified ? " (verified)" : " (not verified)"}` : "—"],
    ["Name", fullName(u) || "—"],
    ["Telegram ID", u.telegram_id ?? "—"],
    ["Role", <span class="pill">{u.role}</span>],
    ["Status", u.is_banned ? <span class="pill users-banned">banned</span> : "active"],
    ["Joined", whenUtc(u.created_at)],
    ["Last login", whenUtc(u.last_login_at)],
  ];
  // Expert profile fields, when the user filled them in.
  if (u.experience_years != null) rows.push(["Experience", `${u.experience_years} years`]);
  if (u.education) rows.push(["Education", u.education]);
  if (u.skills) rows.push(["Skills", u.skills]);
  if (u.bio) rows.push(["Bio", u.bio]);
  return (
    <section class="card" aria-labelledby="user-profile">
      <h2 id="user-profile" class="card-title">
        Profile
      </h2>
      <Kv class="users-kv" items={rows} />
    </section>
  );
}

function Risk(props: { user: AdminUser }) {
  const u = props.user;
  return (
    <section class="card" aria-labelledby="user-risk">
      <h2 id="user-risk" class="card-title">
        Client risk
      </h2>
      {u.risk_score == null ? (
        <p class="muted">None yet: a risk is kept for clients once they order.</p>
      ) : (
        <dl class="kv users-kv" data-risk={u.risk_score}>
          <dt>Score</dt>
          <dd>
            <RiskPill user={u} /> <span class="muted">of 100, higher is riskier</span>
          </dd>
          <dt>Updated</dt>
          <dd>{whenUtc(u.risk_updated_at)}</dd>
        </dl>
      )}
    </section>
  );
}
