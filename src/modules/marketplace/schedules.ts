import type { Schedule } from "../platform/cron";

export const MARKETPLACE_SCHEDULES: Schedule[] = [];
