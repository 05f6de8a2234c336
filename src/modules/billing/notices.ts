import type { Schedule } from "../platform/cron";

/** Billing schedules: expiry and balance notices, hold and grant expiry. */
export const BILLING_SCHEDULES: Schedule[] = [];
