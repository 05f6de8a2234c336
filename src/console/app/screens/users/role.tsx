import { useState } from "preact/hooks";
import { api } from "../../api";
import { ROLES } from "../../permissions";
import { ConfirmSubmit } from "../../ui/confirm";
import { SelectField } from "../../ui/fields";
import { FormError, useForm } from "../../ui/form";
import { type AdminUser, nameOf } from "./types";

/** A new role (its default permissions come with it; grants stay) after a second click. */
export function RoleCard(props: { user: AdminUser; changed: () => void }) {
  const u = props.user;
  const [role, setRole] = useState(u.role);
  const [confirming, setConfirming] = useState(false);
  const form = useForm(
    () => api("POST", `/admin/users/${u.id}/role`, { role }),
    () => {
      setConfirming(false);
      props.changed();
    },
  );
  return (
    <section class="card" aria-labelledby="user-role">
      <h2 id="user-role" class="card-title">
        Role
      </h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (role !== u.role) setConfirming(true);
        }}
      >
        <SelectField
          label="New role"
          error={form.errors.role}
          options={ROLES}
          value={role}
          onValue={(r) => {
            setRole(r);
            setConfirming(false);
          }}
        />
        <FormError errors={form.errors} fields={["role"]} />
        <ConfirmSubmit
          form={form}
          asking={confirming}
          setAsking={setConfirming}
          question={`Make ${nameOf(u)} ${role}? They get that role's permissions at once.`}
          yes={`Yes, make ${role}`}
          class="secondary"
          disabled={role === u.role}
        >
          Change role…
        </ConfirmSubmit>
      </form>
    </section>
  );
}
