import type { Screen } from "..";

/** The minutes screens (see screens/index.ts for the fields). */
export const MINUTES_SCREENS: Screen[] = [];
