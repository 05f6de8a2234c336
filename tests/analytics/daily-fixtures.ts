/** Every figure of a day without activity, as the API and the CLI show it (no date, currency or times). */
export const ZERO_DAY = {
  new_users: 0,
  active_users: 0,
  orders_created: 0,
  orders_completed: 0,
  orders_cancelled: 0,
  disputes_opened: 0,
  gmv: 0,
  platform_revenue: 0,
  purchases_count: 0,
  purchases_amount: 0,
  minutes_purchased_seconds: 0,
  minutes_used_seconds: 0,
  avg_rating: null,
  sla_breaches: 0,
};
