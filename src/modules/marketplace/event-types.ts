import { ACTIONS } from "./orders/machine";

const CATALOG_ENTITIES = ["subject", "work_type", "complexity"];

/** Events of orders (their timeline), chat, reviews, experts and the catalog. */
export const MARKETPLACE_EVENT_TYPES: Record<string, string> = {
  "order.created": "A client created an order",
  ...Object.fromEntries(
    Object.keys(ACTIONS).map((a) => [`order.${a}`, `Order action: ${a.replace(/_/g, " ")}`]),
  ),
  "order.status_overridden": "Staff set an order's status",
  "order.payment_proof_replaced": "The client replaced the payment proof",
  "order.sla_breached": "An order passed its deadline undelivered",
  "order.message_sent": "A chat message was sent",
  "order.message_deleted": "A chat message was deleted",
  "order.messages_read": "A participant read the chat",
  "order.review_created": "A review was left on a completed order",
  "expert_application.submitted": "A client applied to become an expert",
  "expert_application.approved": "Staff approved an expert application",
  "expert_application.rejected": "Staff rejected an expert application",
  "expert_document.uploaded": "An expert uploaded a document",
  "expert_document.verified": "Staff verified an expert's document",
  "expert_specialization.added": "An expert added a specialization",
  "expert_specialization.removed": "An expert removed a specialization",
  "expert_specialization.verified": "Staff verified a specialization",
  "expert.activated": "Staff activated an expert",
  "expert.suspended": "Staff suspended an expert",
  ...Object.fromEntries(
    CATALOG_ENTITIES.flatMap((e) => [
      [`${e}.created`, `A catalog ${e.replace("_", " ")} was created`],
      [`${e}.updated`, `A catalog ${e.replace("_", " ")} was changed`],
      [`${e}.deactivated`, `A catalog ${e.replace("_", " ")} was switched off`],
    ]),
  ),
};
