import type { Screen } from "..";

/** The gateway screens (see screens/index.ts for the fields). */
export const GATEWAY_SCREENS: Screen[] = [];
