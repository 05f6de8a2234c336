/** Events of minutes: grants, usage, holds, packages and promo codes. */
export const BILLING_EVENT_TYPES = {
  "grant.created": "Minutes were granted (a paid purchase or an admin grant)",
  "grant.expired": "A grant reached its expiry with seconds left",
  "grant.revoked": "A grant was revoked (refund or admin)",
  "minutes.adjusted": "Staff added or removed minutes",
  "usage.recorded": "Usage was billed",
  "usage.batch_recorded": "A batch of usage was billed",
  "hold.created": "Seconds were reserved for a session",
  "hold.released": "A hold was released",
  "holds.expired": "Holds passed their TTL and were closed",
  "package.created": "A minute package was created",
  "package.updated": "A minute package was changed",
  "package.deactivated": "A minute package was taken off sale",
  "promo_code.created": "A promo code was created",
  "promo_code.updated": "A promo code was changed",
  "promo_code.deactivated": "A promo code was switched off",
};
