/**
 * Reading the daily metrics: staff only. Admins hold it through `*`; an analyst or support lead
 * can be granted it alone (granted_permissions), or as `metrics:*`.
 */
export const DAILY_METRICS_PERMISSION = "metrics:read";
