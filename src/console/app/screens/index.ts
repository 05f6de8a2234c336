import type { FunctionComponent } from "preact";
import { GATEWAY_SCREENS } from "./gateway";
import { MINUTES_SCREENS } from "./minutes";
import { ORDERS_SCREENS } from "./orders";
import { Overview } from "./overview";
import { PLATFORM_SCREENS } from "./platform";
import { USERS_SCREENS } from "./users";

/**
 * Every screen: its hash path, the nav label, the permission its first call needs (the nav
 * hides screens the caller cannot use; the API refuses them anyway), and its component, which
 * gets the path's `:params`.
 */
export type Screen = {
  path: string;
  title: string;
  permission: string;
  /** Listed in the nav (detail pages are reached from their list). */
  nav?: boolean;
  component: FunctionComponent<{ params: Record<string, string> }>;
};

export const SCREENS: Screen[] = [
  { path: "/", title: "Overview", permission: "analytics:read", nav: true, component: Overview },
  ...USERS_SCREENS,
  ...ORDERS_SCREENS,
  ...MINUTES_SCREENS,
  ...PLATFORM_SCREENS,
  ...GATEWAY_SCREENS,
];
