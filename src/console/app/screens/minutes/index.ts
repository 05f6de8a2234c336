import type { Screen } from "..";
import "./minutes.css";
import { GrantMinutes } from "./grant";
import { Packages } from "./packages";
import { PromoCodes } from "./promo-codes";
import { Purchases } from "./purchases";

/**
 * The minutes screens (see screens/index.ts for the fields): one nav entry, "Minutes", and tabs
 * inside it (tabs.tsx) for packages, promo codes, purchases and manual grants.
 */
export const MINUTES_SCREENS: Screen[] = [
  { path: "/minutes", title: "Minutes", permission: "packages:read_all", nav: true, component: Packages },
  {
    path: "/minutes/promo-codes",
    title: "Promo codes",
    permission: "packages:read_all",
    component: PromoCodes,
  },
  { path: "/minutes/purchases", title: "Purchases", permission: "purchases:read_all", component: Purchases },
  {
    path: "/minutes/grant",
    title: "Give or take minutes",
    permission: "minutes:adjust",
    component: GrantMinutes,
  },
];
