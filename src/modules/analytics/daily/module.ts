import type { createRouter } from "../../../lib/openapi";
import type { Schedule } from "../../platform/jobs/cron";

/** What the daily metrics module adds to the app; modules/index.ts collects it. */
export const DAILY_METRICS_MODULE = {
  routers: [] as ReturnType<typeof createRouter>[],
  schedules: [] as Schedule[],
  eventTypes: {} as Record<string, string>,
  /** Subscribes to events (onEmit) once at startup. */
  register(): void {},
};
