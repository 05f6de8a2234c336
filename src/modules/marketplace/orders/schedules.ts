import { and, eq, isNotNull, isNull, lte, ne, notInArray, or } from "drizzle-orm";
import type { AppContext } from "../../../context";
import { type OrderStatus, orders } from "../../../db/schema";
import { DAY, iso } from "../../../lib/time";
import { emit } from "../../platform/events/service";
import type { Schedule } from "../../platform/jobs/cron";
import { FINAL_STATUSES } from "./access";
import { autoAccept } from "./actions";
import { notifyParties } from "./transition";

/** Delivered orders older than `auto_accept_days` accept themselves; one transaction per order. */
export function runAutoAccept(ctx: AppContext) {
  const cutoff = ctx.clock.now() - ctx.settings.get("auto_accept_days") * DAY;
  const due = ctx.db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.status, "delivered"), lte(orders.deliveredAt, cutoff)))
    .all();
  let accepted = 0;
  for (const { id } of due) if (autoAccept(ctx, id)) accepted++;
  return { accepted };
}

// Past these the SLA no longer binds: the work is delivered or the order is over.
const SLA_DONE: OrderStatus[] = ["delivered", ...FINAL_STATUSES];

/** Records each order whose SLA passed (once), on its timeline, and tells both parties. */
export function runSlaSweep(ctx: AppContext) {
  const now = ctx.clock.now();
  return ctx.db.transaction(
    (tx) => {
      const due = tx
        .select()
        .from(orders)
        .where(
          and(
            isNull(orders.slaBreachedAt),
            isNotNull(orders.slaDueAt),
            lte(orders.slaDueAt, now),
            notInArray(orders.status, SLA_DONE),
            // A session's time is when it must start: one that started is on time while it runs.
            or(ne(orders.kind, "session"), isNull(orders.startedAt)),
          ),
        )
        .all();
      for (const o of due) {
        tx.update(orders).set({ slaBreachedAt: now }).where(eq(orders.id, o.id)).run();
        emit(tx, now, {
          type: "order.sla_breached",
          subjectType: "order",
          subjectId: o.id,
          payload: { status: o.status, sla_due_at: iso(o.slaDueAt!) },
        });
        notifyParties(ctx, tx, o, null, "order_sla_breached", { status: o.status });
      }
      return { breached: due.length };
    },
    { behavior: "immediate" },
  );
}

export const MARKETPLACE_SCHEDULES: Schedule[] = [
  {
    name: "orders-auto-accept",
    pattern: "*/10 * * * *",
    description: "Accept delivered orders the client left alone for auto_accept_days (releases escrow)",
    run: runAutoAccept,
  },
  {
    name: "orders-sla-breach",
    pattern: "*/5 * * * *",
    description:
      "Record and notify work past its deadline before delivery, and sessions not started by their time",
    run: runSlaSweep,
  },
];
