import type { Screen } from "..";
import { UserDetail } from "./detail";
import { UsersList } from "./list";

/** The users screens (see screens/index.ts for the fields). */
export const USERS_SCREENS: Screen[] = [
  { path: "/users", title: "Users", permission: "users:read", nav: true, component: UsersList },
  { path: "/users/:id", title: "User", permission: "users:read", component: UserDetail },
];
