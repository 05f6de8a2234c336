import { useState } from "preact/hooks";
import { api } from "../../api";
import { ConfirmSubmit } from "../../ui/confirm";
import { SelectField, TextField } from "../../ui/fields";
import { FormError, useForm } from "../../ui/form";
import { words } from "../../ui/format";
import { type Order, STATUSES } from "./types";

/**
 * The admin override (POST /admin/orders/{id}/set-status): audited, moves no money. The API
 * refuses what would strand escrow or reopen a settled order, and says why.
 */
export function SetStatus(props: { order: Order; changed: () => void }) {
  const o = props.order;
  const [status, setStatus] = useState("");
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const form = useForm(
    () => api("POST", `/admin/orders/${o.id}/set-status`, { status, reason }),
    () => {
      setConfirming(false);
      setStatus("");
      setReason("");
      props.changed();
    },
  );
  return (
    <section class="card" aria-labelledby="order-set-status">
      <h2 id="order-set-status" class="card-title">
        Set status
      </h2>
      <form
        novalidate
        onSubmit={(e) => {
          e.preventDefault();
          setConfirming(true);
        }}
      >
        <div class="row">
          <SelectField
            label="New status"
            error={form.errors.status}
            name="status"
            options={[
              ["", "choose…"],
              ...STATUSES.filter((s) => s !== o.status).map((s) => [s, words(s)] as const),
            ]}
            value={status}
            onValue={(s) => {
              setStatus(s);
              setConfirming(false);
            }}
          />
          <TextField
            label="Reason"
            hint="Shown to both parties and kept in the audit log"
            error={form.errors.reason}
            name="reason"
            maxLength={2000}
            value={reason}
            onValue={setReason}
          />
        </div>
        <FormError errors={form.errors} fields={["status", "reason"]} />
        <ConfirmSubmit
          form={form}
          asking={confirming}
          setAsking={setConfirming}
          question={`Move order #${o.id} from ${words(o.status)} to ${words(status) || "?"}?`}
          yes="Yes, set status"
          class="secondary"
          disabled={!status}
        >
          Set status…
        </ConfirmSubmit>
      </form>
    </section>
  );
}
