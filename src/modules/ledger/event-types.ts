/** Events of the ledger's staff operations. */
export const LEDGER_EVENT_TYPES = {
  "wallet.credited": "Staff credited a user's wallet",
};
