import { PURCHASE_STATUSES } from "../../db/schema";

/** Events of purchases and top-ups through the payment providers. */
export const PAYMENT_EVENT_TYPES: Record<string, string> = {
  "purchase.created": "A purchase or wallet top-up was started",
  "purchase.checkout_created": "The provider's checkout was opened",
  "payment.succeeded": "The demo provider's page was paid",
  "payment.declined": "The demo provider's page was declined",
  ...Object.fromEntries(
    PURCHASE_STATUSES.filter((s) => s !== "pending").map((s) => [`purchase.${s}`, `A purchase became ${s}`]),
  ),
};
