import type { Screen } from "..";

/** The users screens (see screens/index.ts for the fields). */
export const USERS_SCREENS: Screen[] = [];
