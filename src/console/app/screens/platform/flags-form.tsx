import { ROLES } from "../../permissions";
import { TextField } from "../../ui/fields";
import { Field } from "../../ui/form";

export type Flag = {
  key: string;
  description: string;
  enabled: boolean;
  rollout_percent: number;
  roles: string[];
  user_ids: number[];
  built_in: boolean;
  default: boolean | null;
  saved: boolean;
  created_at: string | null;
  updated_at: string | null;
  updated_by: number | null;
};

/** The flag's editable fields as the form holds them (user ids as typed). */
export type FlagDraft = {
  description: string;
  enabled: boolean;
  rollout_percent: number;
  roles: string[];
  user_ids: string;
};

export const draftOfFlag = (f: Flag): FlagDraft => ({
  description: f.description,
  enabled: f.enabled,
  rollout_percent: f.rollout_percent,
  roles: f.roles,
  user_ids: f.user_ids.join(", "),
});

/** The body the API takes; a user id that is not a number goes as typed, for the API to refuse. */
export function bodyOfFlag(d: FlagDraft) {
  const ids = d.user_ids
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  return {
    description: d.description,
    enabled: d.enabled,
    rollout_percent: d.rollout_percent,
    roles: d.roles,
    user_ids: ids,
  };
}

/** The message for `name` or any of its items (`user_ids.3`). */
export function errorOf(errors: Record<string, string>, name: string): string | undefined {
  const hit = Object.entries(errors).filter(([k]) => k === name || k.startsWith(`${name}.`));
  // `user_ids.2` is the third entry as typed.
  const label = (k: string) => `entry ${Number(k.slice(name.length + 1)) + 1}`;
  return hit.length ? hit.map(([k, v]) => (k === name ? v : `${label(k)}: ${v}`)).join("; ") : undefined;
}

const FLAG_FIELDS = ["key", "description", "enabled", "rollout_percent", "roles", "user_ids"];

/** The error keys the flag fields show themselves (FormError shows the rest). */
export const shownKeys = (errors: Record<string, string>) =>
  Object.keys(errors).filter((k) => FLAG_FIELDS.some((f) => k === f || k.startsWith(`${f}.`)));

/** Description, on/off, the rollout slider and the targeting: who may get the flag. */
export function FlagFields(props: {
  draft: FlagDraft;
  onChange: (d: FlagDraft) => void;
  errors: Record<string, string>;
  disabled?: boolean;
}) {
  const { draft: d, errors } = props;
  const set = (patch: Partial<FlagDraft>) => props.onChange({ ...d, ...patch });
  return (
    <fieldset class="flags-fields" disabled={props.disabled}>
      <TextField
        label="Description"
        error={errorOf(errors, "description")}
        class="flags-description"
        maxLength={500}
        value={d.description}
        onValue={(description) => set({ description })}
      />
      <label class="flags-check">
        <input
          type="checkbox"
          checked={d.enabled}
          onChange={(e) => set({ enabled: e.currentTarget.checked })}
        />{" "}
        Enabled (off: nobody gets it, listed users included)
      </label>
      <Field
        label="Rollout (% of users)"
        error={errorOf(errors, "rollout_percent")}
        hint="a stable share: raising it keeps the users who already have it"
      >
        {(id, dby) => (
          <div class="flags-rollout">
            <input
              id={id}
              aria-describedby={dby}
              type="range"
              min={0}
              max={100}
              step={1}
              value={d.rollout_percent}
              aria-valuetext={`${d.rollout_percent} percent`}
              onInput={(e) => set({ rollout_percent: Number(e.currentTarget.value) })}
            />
            <output for={id} class="flags-percent">
              {d.rollout_percent} %
            </output>
          </div>
        )}
      </Field>
      <fieldset class="flags-roles">
        <legend>Only these roles (none ticked: every role)</legend>
        <div class="row">
          {ROLES.map((r) => (
            <label key={r} class="flags-check">
              <input
                type="checkbox"
                value={r}
                checked={d.roles.includes(r)}
                onChange={(e) =>
                  set({
                    roles: e.currentTarget.checked ? [...d.roles, r] : d.roles.filter((x) => x !== r),
                  })
                }
              />{" "}
              {r}
            </label>
          ))}
        </div>
        {errorOf(errors, "roles") ? (
          <small class="field-error" role="alert">
            {errorOf(errors, "roles")}
          </small>
        ) : null}
      </fieldset>
      <TextField
        label="Users who always get it (ids)"
        error={errorOf(errors, "user_ids")}
        hint="comma-separated user ids, while the flag is enabled"
        class="flags-users"
        placeholder="42, 97"
        value={d.user_ids}
        onValue={(user_ids) => set({ user_ids })}
      />
    </fieldset>
  );
}
