import type { Screen } from "..";
import { OrderDetail } from "./detail";
import { OrdersList } from "./list";

/** The orders screens (see screens/index.ts for the fields). */
export const ORDERS_SCREENS: Screen[] = [
  { path: "/orders", title: "Orders", permission: "orders:read_any", nav: true, component: OrdersList },
  { path: "/orders/:id", title: "Order", permission: "orders:read_any", component: OrderDetail },
];
