import type { createRouter } from "../../lib/openapi";
import type { Schedule } from "../platform/jobs/cron";

/** What the analytics module adds to the app; modules/index.ts collects it. */
export const ANALYTICS_MODULE = {
  routers: [] as ReturnType<typeof createRouter>[],
  schedules: [] as Schedule[],
  eventTypes: {} as Record<string, string>,
  /** Subscribes to events (onEmit) once at startup. */
  register(): void {},
};
