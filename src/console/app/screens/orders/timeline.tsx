import { money, words } from "../../ui/format";
import { When } from "../../ui/when";
import { type People, Person } from "./people";
import type { Order, TimelineEvent } from "./types";

/** Payload fields that are amounts in the order's currency. */
const AMOUNTS = new Set(["amount", "price", "budget", "payout", "commission", "refunded", "client_amount"]);

const value = (k: string, v: unknown, currency: string) =>
  AMOUNTS.has(k) && typeof v === "number"
    ? money(v, currency)
    : typeof v === "string"
      ? v
      : JSON.stringify(v);

/** The order's events, oldest first: who moved it where, and what came with the move. */
export function Timeline(props: { order: Order; events: TimelineEvent[]; people: People }) {
  return (
    <section class="card" aria-labelledby="order-timeline">
      <h2 id="order-timeline" class="card-title">
        Timeline ({props.events.length})
      </h2>
      {props.events.length === 0 ? (
        <p class="muted">No event recorded.</p>
      ) : (
        <ol class="orders-timeline" aria-label="Timeline">
          {props.events.map((e) => {
            const { from, to, ...rest } = e.payload;
            return (
              <li key={e.id} data-type={e.type}>
                <When iso={e.created_at} class="orders-when muted" />
                <strong>{words(e.type.replace(/^order\./, ""))}</strong>{" "}
                {e.actor_id == null ? (
                  <span class="muted">by the system</span>
                ) : (
                  <>
                    by <Person id={e.actor_id} people={props.people} />
                  </>
                )}
                {typeof to === "string" ? (
                  <span class="muted">
                    {" "}
                    · {typeof from === "string" ? `${words(from)} → ` : ""}
                    {words(to)}
                  </span>
                ) : null}
                {Object.keys(rest).length ? (
                  <div class="muted">
                    {Object.entries(rest)
                      .map(([k, v]) => `${words(k)}: ${value(k, v, props.order.currency)}`)
                      .join(" · ")}
                  </div>
                ) : null}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
