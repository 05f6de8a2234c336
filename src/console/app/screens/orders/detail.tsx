import type { ComponentChildren } from "preact";
import { get } from "../../api";
import { allowed } from "../../session";
import { money, whenUtc } from "../../ui/format";
import { Kv } from "../../ui/kv";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { RiskPill } from "../users/risk";
import { Chat } from "./chat";
import { Disputes } from "./dispute";
import { type People, Person, usePeople } from "./people";
import { SetStatus } from "./set-status";
import { StatusPill } from "./status";
import { Timeline } from "./timeline";
import type { Order, TimelineEvent } from "./types";
import "./orders.css";

/** One order: what it is, its timeline, its chat (read-only), status override and dispute. */
export function OrderDetail(props: { params: Record<string, string> }) {
  const id = Number(props.params.id);
  const people = usePeople();
  const order = useLoad(async () => {
    const [o, t] = await Promise.all([
      get<Order>(`/orders/${id}`),
      get<{ results: TimelineEvent[] }>(`/orders/${id}/events`),
    ]);
    return { order: o, events: t.results };
  }, [id]);
  const d = order.data;
  return (
    <Page
      title={`Order #${id}`}
      actions={
        <>
          {d ? <StatusPill status={d.order.status} /> : null}
          <a href="#/orders">All orders</a>
        </>
      }
    >
      <ErrorNote error={order.error} />
      <Loading when={order.loading && !d} />
      {d ? (
        <div class="orders-grid">
          <div>
            <Summary order={d.order} people={people} />
            <Timeline order={d.order} events={d.events} people={people} />
          </div>
          <div>
            <Disputes order={d.order} events={d.events} people={people} changed={order.reload} />
            {allowed("orders:manage") ? (
              <SetStatus key={d.order.status} order={d.order} changed={order.reload} />
            ) : null}
            <Chat order={d.order} people={people} />
          </div>
        </div>
      ) : null}
    </Page>
  );
}

function Summary(props: { order: Order; people: People }) {
  const o = props.order;
  const rows: [string, ComponentChildren][] = [
    ["Title", o.title],
    ["Kind", o.kind],
    ["Status", <StatusPill status={o.status} />],
    ["Client", <Person id={o.client_id} people={props.people} />],
    ["Expert", <Person id={o.expert_id} people={props.people} />],
    ["Budget", money(o.budget, o.currency)],
    ["Price", money(o.price, o.currency)],
    ["Payment", o.payment_method ?? "—"],
    ["Held in escrow", money(o.escrow_amount, o.currency)],
  ];
  if (o.client_risk) rows.push(["Client risk", <RiskPill user={o.client_risk} />]);
  if (o.status_reason) rows.push(["Status reason", o.status_reason]);
  if (o.description) rows.push(["Description", o.description]);
  if (o.scheduled_at)
    rows.push([
      "Scheduled",
      `${whenUtc(o.scheduled_at)}${o.duration_minutes ? `, ${o.duration_minutes} min` : ""}`,
    ]);
  if (o.deadline) rows.push(["Deadline", whenUtc(o.deadline)]);
  if (o.sla_due_at || o.sla_breached_at)
    rows.push([
      "SLA",
      o.sla_breached_at ? (
        <span class="pill orders-late">breached {whenUtc(o.sla_breached_at)}</span>
      ) : (
        `due ${whenUtc(o.sla_due_at)}`
      ),
    ]);
  const dates = {
    created_at: "Created",
    taken_at: "Taken",
    paid_at: "Paid",
    started_at: "Started",
    delivered_at: "Delivered",
    completed_at: "Completed",
    cancelled_at: "Cancelled",
  } as const;
  for (const [k, name] of Object.entries(dates) as [keyof typeof dates, string][])
    if (o[k]) rows.push([name, whenUtc(o[k])]);
  return (
    <section class="card" aria-labelledby="order-summary">
      <h2 id="order-summary" class="card-title">
        Order
      </h2>
      <Kv class="orders-kv" items={rows} />
    </section>
  );
}
