/** Events of feature flags: each carries the flag's state before and after the change. */
export const FLAG_EVENT_TYPES: Record<string, string> = {
  "flag.created": "An admin created a feature flag",
  "flag.updated": "An admin changed a feature flag (or saved a built-in one for the first time)",
  "flag.deleted": "An admin deleted a feature flag (a built-in one returns to its default)",
};
