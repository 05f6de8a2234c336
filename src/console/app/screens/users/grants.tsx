import { useState } from "preact/hooks";
import { ApiError, api, get } from "../../api";
import { TextField } from "../../ui/fields";
import { useForm } from "../../ui/form";
import { useLoad } from "../../ui/load";
import { ErrorNote } from "../../ui/page";
import type { UserPermissions } from "./types";

/**
 * Permissions granted on top of the role (`stores:12:read`, `requisites:{id}:moderate`): the API
 * replaces the whole list, so adding or removing one sends the others along unchanged.
 */
export function GrantsCard(props: { userId: number; role: string }) {
  const perms = useLoad(
    () => get<UserPermissions>(`/admin/users/${props.userId}/permissions`),
    [props.userId, props.role],
  );
  const [grant, setGrant] = useState("");
  const [removal, setRemoval] = useState<{ busy: boolean; error: string | null }>({
    busy: false,
    error: null,
  });
  const granted = perms.data?.granted_permissions ?? [];
  const put = (list: string[]) =>
    api<UserPermissions>("PUT", `/admin/users/${props.userId}/permissions`, { granted_permissions: list });
  const add = useForm(
    () => put([...granted, grant.trim()]),
    () => {
      setGrant("");
      perms.reload();
    },
  );
  const remove = async (g: string) => {
    setRemoval({ busy: true, error: null });
    try {
      await put(granted.filter((x) => x !== g));
      setRemoval({ busy: false, error: null });
      perms.reload();
    } catch (e) {
      setRemoval({ busy: false, error: e instanceof ApiError ? e.message : String(e) });
    }
  };
  // Whatever refused the new grant (its validation issue, or a 403 beyond the caller's own
  // permissions) is said next to its field.
  const addError = Object.entries(add.errors).find(
    ([k]) => k === "_" || k.startsWith("granted_permissions"),
  )?.[1];
  return (
    <section class="card" aria-labelledby="user-grants">
      <h2 id="user-grants" class="card-title">
        Granted permissions
      </h2>
      <ErrorNote error={perms.error} />
      {perms.data ? (
        <>
          {granted.length ? (
            <ul class="users-grants" aria-label="Granted permissions">
              {granted.map((g) => (
                <li key={g}>
                  <code>{g}</code>
                  <button
                    type="button"
                    class="link"
                    aria-label={`Remove ${g}`}
                    disabled={removal.busy}
                    onClick={() => remove(g)}
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">Nothing granted beyond the role.</p>
          )}
          <ErrorNote error={removal.error} />
          <form onSubmit={add.submit} novalidate>
            <div class="row">
              <TextField
                label="Grant a permission"
                hint="resource:action, resource:{id}:action or resource:*, e.g. stores:12:read"
                error={addError}
                name="grant"
                autocomplete="off"
                spellcheck={false}
                value={grant}
                onValue={setGrant}
              />
              <div class="field">
                <button type="submit" disabled={add.busy || !grant.trim()}>
                  {add.busy ? "Granting…" : "Grant"}
                </button>
              </div>
            </div>
          </form>
          <details>
            <summary>
              What the role {perms.data.role} holds ({perms.data.role_permissions.length})
            </summary>
            <p class="users-role-perms">
              {perms.data.role_permissions.map((p) => (
                <code key={p}>{p} </code>
              ))}
            </p>
          </details>
        </>
      ) : null}
    </section>
  );
}
