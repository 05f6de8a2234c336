import { useState } from "preact/hooks";
import { api } from "../../api";
import { allowed } from "../../session";
import { ConfirmSubmit } from "../../ui/confirm";
import { SelectField, TextField } from "../../ui/fields";
import { FormError, useForm } from "../../ui/form";
import { money, whenUtc, words } from "../../ui/format";
import { type People, Person } from "./people";
import type { Order, TimelineEvent } from "./types";

/** Where an order may be disputed from (by its client or expert; staff only resolve). */
const DISPUTABLE = ["paid", "in_progress", "delivered", "revision"];

const OUTCOMES = {
  refund: "Refund: everything held back to the client (order cancelled)",
  release: "Release: everything to the expert, minus commission (order completed)",
  split: "Split: part back to the client, the rest to the expert (order completed)",
} as const;
type Outcome = keyof typeof OUTCOMES;

/** The order's disputes from its timeline, and the resolution of an open one. */
export function Disputes(props: {
  order: Order;
  events: TimelineEvent[];
  people: People;
  changed: () => void;
}) {
  const o = props.order;
  const history = props.events.filter((e) => e.type === "order.dispute" || e.type === "order.resolve");
  return (
    <section class="card" aria-labelledby="order-disputes">
      <h2 id="order-disputes" class="card-title">
        Dispute
      </h2>
      {o.status === "disputed" ? (
        <p>
          <span class="pill orders-disputed">open</span> {o.status_reason ? `“${o.status_reason}”` : null}
          <span class="muted"> · held in escrow: {money(o.escrow_amount, o.currency)}</span>
        </p>
      ) : (
        <p class="muted">
          No open dispute. The order's client or expert opens one while it is{" "}
          {DISPUTABLE.map(words).join(", ")}; arbitrators and admins resolve it here.
        </p>
      )}
      {history.length ? (
        <ul aria-label="Dispute history">
          {history.map((e) => (
            <li key={e.id}>
              {whenUtc(e.created_at)}:{" "}
              {e.type === "order.dispute" ? "opened" : `resolved (${String(e.payload.outcome)})`} by{" "}
              {e.actor_id == null ? "the system" : <Person id={e.actor_id} people={props.people} />}
              {typeof e.payload.reason === "string" ? ` — ${e.payload.reason}` : ""}
              {typeof e.payload.note === "string" ? ` — ${e.payload.note}` : ""}
            </li>
          ))}
        </ul>
      ) : null}
      {o.status === "disputed" && allowed("disputes:resolve") ? (
        <Resolve order={o} changed={props.changed} />
      ) : null}
    </section>
  );
}

function Resolve(props: { order: Order; changed: () => void }) {
  const o = props.order;
  const [outcome, setOutcome] = useState<Outcome>("refund");
  const [amount, setAmount] = useState("");
  const [note, setNote] = useState("");
  const [confirming, setConfirming] = useState(false);
  const form = useForm(
    () =>
      api("POST", `/orders/${o.id}/resolve`, {
        outcome,
        ...(outcome === "split" ? { client_amount: amount.trim() === "" ? undefined : Number(amount) } : {}),
        ...(note.trim() ? { note: note.trim() } : {}),
      }),
    () => {
      setConfirming(false);
      props.changed();
    },
  );
  return (
    <form
      novalidate
      onSubmit={(e) => {
        e.preventDefault();
        setConfirming(true);
      }}
    >
      <SelectField
        label="Outcome"
        error={form.errors.outcome}
        name="outcome"
        options={Object.entries(OUTCOMES)}
        value={outcome}
        onValue={(v) => {
          setOutcome(v as Outcome);
          setConfirming(false);
        }}
      />
      {outcome === "split" ? (
        <TextField
          label={`Back to the client, in minor units (${o.currency} cents/kopecks)`}
          hint={`Held: ${o.escrow_amount} = ${money(o.escrow_amount, o.currency)}`}
          error={form.errors.client_amount}
          name="client_amount"
          inputMode="numeric"
          value={amount}
          onValue={setAmount}
        />
      ) : null}
      <TextField
        label="Note"
        hint="Optional, kept on the timeline"
        error={form.errors.note}
        name="note"
        maxLength={2000}
        value={note}
        onValue={setNote}
      />
      <FormError errors={form.errors} fields={["outcome", "client_amount", "note"]} />
      <ConfirmSubmit
        form={form}
        asking={confirming}
        setAsking={setConfirming}
        question={`Resolve the dispute on order #${o.id}: ${outcome}? Money moves at once.`}
        yes={`Yes, ${outcome}`}
      >
        Resolve…
      </ConfirmSubmit>
    </form>
  );
}
