import type { createRouter } from "../../lib/openapi";
import type { Schedule } from "../platform/jobs/cron";
import type { JobHandler } from "../platform/jobs/queue";
import { GATEWAY_EVENT_TYPES } from "./event-types";
import { customerOrderRoutes } from "./orders/customer-routes";
import { expireGatewayOrders } from "./orders/expiry";
import { gatewayOrderRoutes } from "./orders/merchant-routes";
import { receiptRoutes } from "./orders/receipt-routes";
import { GATEWAY_RETRY_JOB, retryGatewayOrderJob } from "./orders/retry";
import { registerGatewayOrderRuleSubject } from "./orders/rule-subject";
import { supportOrderRoutes } from "./orders/support-routes";
import { traderOrderRoutes } from "./orders/trader-routes";
import { rateRoutes } from "./rates/routes";
import { requisiteRoutes } from "./requisites/routes";
import { adminStaffRoutes } from "./staff/admin-routes";
import { teamleadStaffRoutes } from "./staff/teamlead-routes";
import { storeRoutes } from "./stores/routes";
import { traderRoutes } from "./traders/routes";

/** What the payment gateway adds to the app; modules/index.ts collects it. */
export const GATEWAY_MODULE = {
  routers: [
    storeRoutes,
    traderRoutes,
    requisiteRoutes,
    rateRoutes,
    gatewayOrderRoutes,
    customerOrderRoutes,
    receiptRoutes,
    traderOrderRoutes,
    supportOrderRoutes,
    teamleadStaffRoutes,
    adminStaffRoutes,
  ] as ReturnType<typeof createRouter>[],
  schedules: [
    {
      name: "gateway-expire",
      pattern: "* * * * *",
      description: "Expire gateway orders whose payment window passed and release their holds",
      run: (ctx) => expireGatewayOrders(ctx),
    },
  ] as Schedule[],
  jobs: { [GATEWAY_RETRY_JOB]: retryGatewayOrderJob } as Record<string, JobHandler>,
  eventTypes: GATEWAY_EVENT_TYPES,
  register(): void {
    registerGatewayOrderRuleSubject();
  },
};
