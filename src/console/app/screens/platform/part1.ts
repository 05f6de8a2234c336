import type { Screen } from "..";
import "./part1.css";
import { AuditLog } from "./audit";
import { CriticalErrors } from "./errors";
import { Events } from "./events";
import { SettingsScreen } from "./settings";

/** Platform screens: settings, the event log, the audit log and critical errors. */
export const PLATFORM_PART1: Screen[] = [
  { path: "/settings", title: "Settings", permission: "settings:read", nav: true, component: SettingsScreen },
  { path: "/events", title: "Events", permission: "events:read", nav: true, component: Events },
  { path: "/audit", title: "Audit log", permission: "audit:read", nav: true, component: AuditLog },
  {
    path: "/errors",
    title: "Critical errors",
    permission: "system:read",
    nav: true,
    component: CriticalErrors,
  },
];
