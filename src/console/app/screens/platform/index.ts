import type { Screen } from "..";

/** The platform screens (see screens/index.ts for the fields). */
export const PLATFORM_SCREENS: Screen[] = [];
