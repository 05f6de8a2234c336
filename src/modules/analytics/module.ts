import type { createRouter } from "../../lib/openapi";
import { onEmit } from "../platform/events/service";
import type { Schedule } from "../platform/jobs/cron";
import { invalidateAnalytics } from "./invalidate";
import { analyticsRoutes } from "./routes";

/** What the analytics module adds to the app; modules/index.ts collects it. */
export const ANALYTICS_MODULE = {
  routers: [analyticsRoutes] as ReturnType<typeof createRouter>[],
  schedules: [] as Schedule[],
  eventTypes: {} as Record<string, string>,
  /** Subscribes to events (onEmit) once at startup: changes clear the cached figures they affect. */
  register(): void {
    onEmit(invalidateAnalytics);
  },
};
