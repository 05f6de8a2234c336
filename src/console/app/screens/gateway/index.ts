import "./gateway.css";
import type { Screen } from "..";
import { PlatformBalance } from "./balance";
import { OnlineRequisites } from "./online";
import { GatewayOrder } from "./order-detail";
import { GatewayOrders } from "./orders";
import { RequisiteQueue } from "./requisites";
import { Traders } from "./traders";

/**
 * The gateway screens (see screens/index.ts for the fields). Support holds `gateway:support:*`
 * and `requisites:{id}:moderate`: the queue, the orders and the online requisites; traders and
 * the platform's money are admins'.
 */
export const GATEWAY_SCREENS: Screen[] = [
  {
    path: "/gateway/requisites",
    title: "Requisite queue",
    permission: "requisites:{id}:moderate",
    nav: true,
    component: RequisiteQueue,
  },
  {
    path: "/gateway/orders",
    title: "Gateway orders",
    permission: "gateway:support:orders",
    nav: true,
    component: GatewayOrders,
  },
  {
    path: "/gateway/orders/:id",
    title: "Gateway order",
    permission: "gateway:support:orders",
    component: GatewayOrder,
  },
  {
    path: "/gateway/online",
    title: "Online requisites",
    permission: "gateway:support:requisites",
    nav: true,
    component: OnlineRequisites,
  },
  {
    path: "/gateway/traders",
    title: "Traders",
    permission: "gateway:admin:traders",
    nav: true,
    component: Traders,
  },
  {
    path: "/gateway/balance",
    title: "Platform balance",
    permission: "gateway:admin:stats",
    nav: true,
    component: PlatformBalance,
  },
];
