import { useState } from "preact/hooks";
import { api } from "../../api";
import { ConfirmSubmit } from "../../ui/confirm";
import { TextField } from "../../ui/fields";
import { FormError, useForm } from "../../ui/form";
import { whenUtc } from "../../ui/format";
import { type AdminUser, nameOf } from "./types";

/** Ban (sessions end at once, sign-in refused) after a second click; unban in one. */
export function BanCard(props: { user: AdminUser; changed: () => void }) {
  const u = props.user;
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const ban = useForm(
    () => api("POST", `/admin/users/${u.id}/ban`, reason.trim() ? { reason: reason.trim() } : {}),
    () => {
      setConfirming(false);
      setReason("");
      props.changed();
    },
  );
  const unban = useForm(() => api("POST", `/admin/users/${u.id}/unban`, {}), props.changed);
  return (
    <section class="card" aria-labelledby="user-ban">
      <h2 id="user-ban" class="card-title">
        Access
      </h2>
      {u.is_banned ? (
        <>
          <p>
            <span class="pill users-banned">banned</span> since {whenUtc(u.banned_at)}
            {u.ban_reason ? <> · reason: {u.ban_reason}</> : null}
          </p>
          <FormError errors={unban.errors} fields={[]} />
          <button type="button" class="secondary" disabled={unban.busy} onClick={unban.submit}>
            {unban.busy ? "Unbanning…" : "Unban"}
          </button>
        </>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setConfirming(true);
          }}
        >
          <TextField
            label="Ban reason"
            hint="Optional; kept in the audit log"
            error={ban.errors.reason}
            maxLength={500}
            value={reason}
            onValue={setReason}
          />
          <FormError errors={ban.errors} fields={["reason"]} />
          <ConfirmSubmit
            form={ban}
            asking={confirming}
            setAsking={setConfirming}
            question={`Ban ${nameOf(u)}? Their sessions end now and they cannot sign in.`}
            yes={`Yes, ban ${nameOf(u)}`}
            class="danger"
          >
            Ban…
          </ConfirmSubmit>
        </form>
      )}
    </section>
  );
}
