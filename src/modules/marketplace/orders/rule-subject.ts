import type { OrderStatus, orders } from "../../../db/schema";
import { ApiError, notFound } from "../../../lib/errors";
import { registerSubjectHandler } from "../../platform/rules/subjects";
import { findOrder, type OrderRow } from "./access";
import { ACTIONS, type ActionName, TARGETS } from "./machine";
import { transition } from "./transition";

/**
 * The machine's edges a rule may take: those that move no money and need nothing from a party
 * (a price, a payment). Paying, accepting, confirming and resolving stay with people, so a rule
 * can never release or hold escrow.
 */
const RULE_MOVES = ["cancel", "decline", "dispute", "start", "complete", "request_revision"] as const;

/** Where an edge leads from this order: `complete` delivers an escrow order and completes a manual one. */
const targetOf = (a: ActionName, o: OrderRow): OrderStatus =>
  a === "complete" ? (o.escrowAmount > 0 ? "delivered" : "completed") : ACTIONS[a].to;

/** The statuses a rule can move an order to (a rule naming another is refused when saved). */
const RULE_TARGETS = [...new Set(RULE_MOVES.flatMap((a) => TARGETS[a]))];

type OrderSet = Partial<typeof orders.$inferInsert>;

function setFor(
  a: (typeof RULE_MOVES)[number],
  o: OrderRow,
  to: OrderStatus,
  reason: string,
  now: number,
): OrderSet {
  switch (a) {
    case "cancel":
      return { statusReason: reason, cancelledAt: now };
    case "start":
      return { startedAt: o.startedAt ?? now };
    case "complete":
      return to === "delivered" ? { deliveredAt: now } : { completedAt: now };
    default:
      return { statusReason: reason };
  }
}

/** Orders as rule subjects: their facts, their parties, and status changes through the machine. */
export function registerOrderRuleSubject() {
  registerSubjectHandler("order", {
    fields: ["status", "price", "client_id", "expert_id", "kind"],
    statuses: RULE_TARGETS,
    load(db, id) {
      const o = /^\d{1,15}$/.test(id) ? findOrder(db, Number(id)) : undefined;
      return (
        o && { status: o.status, price: o.price, client_id: o.clientId, expert_id: o.expertId, kind: o.kind }
      );
    },
    parties: (f) => ({ client: f.client_id as number | null, expert: f.expert_id as number | null }),
    changeStatus(ctx, tx, id, to, by) {
      const o = findOrder(tx, Number(id));
      if (!o) throw notFound("order");
      const move = RULE_MOVES.find(
        (a) => (ACTIONS[a].from as readonly string[]).includes(o.status) && targetOf(a, o) === to,
      );
      if (!move) {
        throw new ApiError("invalid_transition", `a rule cannot move an order from ${o.status} to ${to}`, {
          from: o.status,
          to,
        });
      }
      const reason = `rule #${by.ruleId}: ${by.ruleName}`;
      transition(ctx, tx, o, {
        action: move,
        actorId: null,
        to: to as OrderStatus,
        set: setFor(move, o, to as OrderStatus, reason, ctx.clock.now()),
        payload: {
          rule_id: by.ruleId,
          rule_event_id: by.eventId,
          ...(move === "dispute" ? { reason, opened_by: "rule" } : {}),
        },
      });
      return { from: o.status };
    },
  });
}
