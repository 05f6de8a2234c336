/** Events of the platform itself: settings and staff-run schedules. */
export const PLATFORM_EVENT_TYPES: Record<string, string> = {
  "settings.updated": "An admin changed settings",
  "system.action_run": "An admin ran a schedule now",
};
