import type { Screen } from "..";
import { Flags } from "./flags";
import { FlagEdit } from "./flags-edit";
import { PLATFORM_PART1 } from "./part1";
import { Rules } from "./rules";
import { RuleDetail, RuleNew } from "./rules-edit";
import { Webhooks } from "./webhooks";
import { WebhookDetail } from "./webhooks-detail";

/** The platform screens (see screens/index.ts for the fields). */
export const PLATFORM_SCREENS: Screen[] = [
  ...PLATFORM_PART1,
  { path: "/rules", title: "Rules", permission: "rules:read", nav: true, component: Rules },
  // Before /rules/:id, which would take "new" for an id.
  { path: "/rules/new", title: "New rule", permission: "rules:write", component: RuleNew },
  { path: "/rules/:id", title: "Rule", permission: "rules:read", component: RuleDetail },
  { path: "/flags", title: "Feature flags", permission: "flags:read", nav: true, component: Flags },
  { path: "/flags/:key", title: "Flag", permission: "flags:read", component: FlagEdit },
  { path: "/webhooks", title: "Webhooks", permission: "webhooks:read", nav: true, component: Webhooks },
  { path: "/webhooks/:id", title: "Webhook", permission: "webhooks:read", component: WebhookDetail },
];
