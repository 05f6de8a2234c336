import type { Screen } from "..";

/** The orders screens (see screens/index.ts for the fields). */
export const ORDERS_SCREENS: Screen[] = [];
