import type { createRouter } from "../../../lib/openapi";
import type { Schedule } from "../../platform/jobs/cron";
import { DAILY_METRICS_EVENT_TYPES } from "./event-types";
import { dailyMetricsRoutes } from "./routes";
import { DAILY_METRICS_SCHEDULES } from "./schedule";

/** What the daily metrics module adds to the app; modules/index.ts collects it. */
export const DAILY_METRICS_MODULE = {
  routers: [dailyMetricsRoutes] as ReturnType<typeof createRouter>[],
  schedules: DAILY_METRICS_SCHEDULES as Schedule[],
  eventTypes: DAILY_METRICS_EVENT_TYPES as Record<string, string>,
  /** Subscribes to events (onEmit) once at startup; the daily metrics read, they need no subscription. */
  register(): void {},
};
