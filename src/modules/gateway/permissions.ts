/**
 * Permission strings of the payment gateway. Merchants, traders and teamleads hold their
 * `gateway:<role>:*` through the role; support holds `gateway:support:*`; admins hold everything.
 * Requisite moderation is per requisite (`requisites:{id}:moderate`), so one id can be granted.
 */
export const GW = {
  /** Merchant: stores, their balances and orders (also an API key scope). */
  merchantStores: "gateway:merchant:stores",
  merchantOrders: "gateway:merchant:orders",
  /** Trader: requisites, balance, the in-work switch, orders assigned to them. */
  traderRequisites: "gateway:trader:requisites",
  traderOrders: "gateway:trader:orders",
  traderBalance: "gateway:trader:balance",
  traderWork: "gateway:trader:work",
  /** Teamlead: their team's traffic. */
  teamleadTraffic: "gateway:teamlead:traffic",
  teamleadRead: "gateway:teamlead:read",
  /** Support: any gateway order with its selection log; disputes and fraud reviews. */
  supportOrders: "gateway:support:orders",
  supportResolve: "gateway:support:resolve",
  supportReview: "gateway:support:review",
  /** Admin: traders, store commissions, rates, deposits and withdrawals. */
  adminTraders: "gateway:admin:traders",
  adminStores: "gateway:admin:stores",
  adminRates: "gateway:admin:rates",
  adminMoney: "gateway:admin:money",
  requisiteModerate: "requisites:{id}:moderate",
  /** Admin: the platform balance and the statistics of merchants, traders, teamleads and supports. */
  adminStats: "gateway:admin:stats",
  /** Staff: every online requisite (support holds it through `gateway:support:*`). */
  onlineRequisites: "gateway:support:requisites",
} as const;
