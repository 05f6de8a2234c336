import { useRef, useState } from "preact/hooks";
import { ApiError, api, get } from "../../api";
import { allowed } from "../../session";
import { ConfirmSubmit } from "../../ui/confirm";
import { SelectField, TextField, useDraft } from "../../ui/fields";
import { FormError, numberOrText, useForm } from "../../ui/form";
import { minutes, when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { Page } from "../../ui/page";
import { MinutesTabs } from "./tabs";

type Result = {
  user_id: number;
  seconds: number;
  reason: string;
  grant: { id: number; total_seconds: number; expires_at: string } | null;
  removed_seconds: number;
  remaining_seconds: number;
  held_seconds: number;
};
type User = { id: number; username: string | null; email: string | null; role: string };

const FIELDS = ["user_id", "seconds", "validity_days", "reason"];
const MODES = [
  ["give", "give minutes (a new grant)"],
  ["take", "take back free minutes"],
] as const;
const EMPTY = { user_id: "", mode: "give", seconds: "", validity_days: "30", reason: "" };

/** Who a typed user id is, when the caller may read users: a check before giving them minutes. */
function useUserName(raw: string): string | undefined {
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : 0;
  const mayRead = allowed("users:read");
  const user = useLoad(async () => (id && mayRead ? get<User>(`/admin/users/${id}`) : null), [id, mayRead]);
  if (!id || !mayRead || user.loading) return undefined;
  if (user.error) return user.error.status === 404 ? "no such user" : undefined;
  return user.data
    ? `${user.data.username ?? user.data.email ?? `#${user.data.id}`} · ${user.data.role}`
    : undefined;
}

/**
 * Gives a user minutes (a grant valid for some days) or takes free ones back, with a reason the
 * audit log keeps. Taking back asks for a second click.
 */
export function GrantMinutes() {
  const { draft: d, setDraft, field } = useDraft(EMPTY);
  // Taking back is confirmed for the values it asked about: an edit asks again.
  const [asked, setAsked] = useState<typeof EMPTY | null>(null);
  const confirming = asked === d;
  const [result, setResult] = useState<Result | null>(null);
  const who = useUserName(d.user_id.trim());
  const take = d.mode === "take";
  const last = useRef<Result | null>(null);
  const form = useForm(
    async () => {
      const userId = d.user_id.trim();
      if (!/^\d+$/.test(userId))
        throw new ApiError(400, "validation_failed", "a user id", {
          issues: [{ path: "user_id", message: "a user id (a whole number)" }],
        });
      const n = numberOrText(d.seconds);
      try {
        last.current = await api<Result>("POST", `/admin/users/${userId}/minutes`, {
          seconds: typeof n === "number" ? (take ? -n : n) : n,
          reason: d.reason,
          validity_days: take ? undefined : numberOrText(d.validity_days),
        });
      } catch (e) {
        // A missing user, or too few free minutes, belong to their fields.
        if (e instanceof ApiError && (e.status === 404 || e.status === 402)) {
          const path = e.status === 404 ? "user_id" : "seconds";
          throw new ApiError(e.status, e.code, e.message, { issues: [{ path, message: e.message }] });
        }
        throw e;
      }
    },
    () => {
      setResult(last.current);
      setDraft({ ...EMPTY, user_id: d.user_id, mode: d.mode });
    },
  );
  const secs = Number(d.seconds);
  const issues = form.errors;
  return (
    <Page title="Give or take minutes">
      <MinutesTabs />
      <form
        class="card minutes-form"
        novalidate
        aria-label="Give or take minutes"
        onSubmit={(e) => {
          e.preventDefault();
          if (take && !confirming) setAsked(d);
          else void form.submit();
        }}
      >
        <div class="row">
          <TextField label="User id" hint={who} inputMode="numeric" size={10} {...field("user_id", issues)} />
          <SelectField label="Action" options={MODES} {...field("mode", issues)} />
          <TextField
            label="Seconds"
            hint={Number.isInteger(secs) && secs > 0 ? minutes(secs) : "whole seconds"}
            inputMode="numeric"
            size={10}
            {...field("seconds", issues)}
          />
          {take ? null : (
            <TextField
              label="Valid for (days)"
              inputMode="numeric"
              size={6}
              {...field("validity_days", issues)}
            />
          )}
        </div>
        <TextField
          label="Reason"
          hint="kept in the audit log"
          class="minutes-wide"
          {...field("reason", issues)}
        />
        <FormError errors={form.errors} fields={FIELDS} />
        <div class="row">
          <ConfirmSubmit
            form={form}
            asking={confirming}
            setAsking={(a) => setAsked(a ? d : null)}
            yes={`Confirm: take ${Number.isFinite(secs) ? minutes(secs) : d.seconds} from user #${d.user_id}`}
            class={take ? "danger" : undefined}
            disabled={form.busy}
          >
            {take ? "Take back minutes" : "Give minutes"}
          </ConfirmSubmit>
        </div>
      </form>
      {result ? (
        <div class="card" role="status">
          <h2 class="card-title">
            {result.seconds > 0 ? "Given" : "Taken back"}: {minutes(Math.abs(result.seconds))} (user #
            {result.user_id})
          </h2>
          <dl class="kv">
            {result.grant ? (
              <>
                <dt>Grant</dt>
                <dd>
                  #{result.grant.id}, {minutes(result.grant.total_seconds)}, expires{" "}
                  {when(result.grant.expires_at)} UTC
                </dd>
              </>
            ) : (
              <>
                <dt>Removed</dt>
                <dd>{minutes(result.removed_seconds)}</dd>
              </>
            )}
            <dt>Free now</dt>
            <dd>{minutes(result.remaining_seconds)}</dd>
            <dt>Held</dt>
            <dd>{minutes(result.held_seconds)}</dd>
            <dt>Reason</dt>
            <dd>{result.reason}</dd>
          </dl>
        </div>
      ) : null}
    </Page>
  );
}
