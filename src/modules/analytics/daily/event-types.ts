/** Events of the daily metrics: a webhook or rule can react when a day's figures are ready. */
export const DAILY_METRICS_EVENT_TYPES: Record<string, string> = {
  "metrics.daily_computed":
    "The daily metrics of a date were computed (a recomputation replaces the day's row)",
};
