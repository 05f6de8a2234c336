import { when, words } from "../../ui/format";
import type { SelectionAttempt } from "./types";

/** What each reason in the log means (the filters selection applies, in their order). */
export const REASONS: Record<string, string> = {
  trader_cancelled_this_order: "its trader cancelled this pay-out before",
  payment_method: "the order asks for another payment method",
  bank: "the pay-in asks for another bank",
  below_min_amount: "the amount is below the requisite's minimum",
  above_max_amount: "the amount is above the requisite's maximum",
  trader_banned: "its trader's account is banned",
  trader_not_in_work: "the trader switched themselves off",
  trader_traffic_off: "the teamlead or an admin switched the trader's traffic off",
  trader_commission_above_store: "the trader's commission would exceed the store's",
  deposit_too_low: "the trader's deposit does not cover the amount",
  daily_limit: "today's amount would pass the requisite's daily limit",
  daily_count_limit: "today's orders reached the requisite's daily count",
};

/** Each selection attempt: how many requisites were looked at, which one was chosen, why the others were not. */
export function SelectionLog(props: { log: SelectionAttempt[] }) {
  if (!props.log.length)
    return <p class="muted">No selection yet (the order never reached routing: fraud check or review).</p>;
  return (
    <ol class="gw-attempts">
      {props.log.map((a) => {
        const rejected = Object.values(a.rejected_counts).reduce((s, n) => s + n, 0);
        return (
          <li key={a.attempt} data-attempt={a.attempt}>
            <h3>
              Attempt {a.attempt} <small class="muted">{when(a.at)} UTC</small>
            </h3>
            <dl class="stats gw-counts">
              <div>
                <dt>Considered</dt>
                <dd>{a.considered}</dd>
              </div>
              <div>
                <dt>Passed over</dt>
                <dd>{rejected}</dd>
              </div>
              <div>
                <dt>Chosen</dt>
                <dd>
                  {a.chosen ? (
                    <>
                      requisite #{a.chosen.requisite_id}{" "}
                      <small class="muted">trader #{a.chosen.trader_id}</small>
                    </>
                  ) : (
                    <span class="error">none</span>
                  )}
                </dd>
              </div>
            </dl>
            {a.considered === 0 ? (
              <p class="muted">No approved requisite of this currency and direction at all.</p>
            ) : null}
            {rejected > 0 ? (
              <div class="table-wrap">
                <table class="gw-reasons">
                  <caption>Passed over, by reason</caption>
                  <thead>
                    <tr>
                      <th scope="col">reason</th>
                      <th scope="col" class="num">
                        requisites
                      </th>
                      <th scope="col">meaning</th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(a.rejected_counts).map(([reason, n]) => (
                      <tr key={reason} data-reason={reason}>
                        <td>
                          <code>{reason}</code>
                        </td>
                        <td class="num">{n}</td>
                        <td class="muted">{REASONS[reason] ?? words(reason)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
            {a.rejected.length ? (
              <details>
                <summary>
                  Requisites passed over ({a.rejected.length}
                  {a.rejected.length < rejected ? ` of ${rejected}` : ""})
                </summary>
                <div class="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">requisite</th>
                        <th scope="col">trader</th>
                        <th scope="col">reason</th>
                      </tr>
                    </thead>
                    <tbody>
                      {a.rejected.map((r) => (
                        <tr key={r.requisite_id}>
                          <td>#{r.requisite_id}</td>
                          <td>#{r.trader_id}</td>
                          <td>
                            <code>{r.reason}</code>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </details>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
