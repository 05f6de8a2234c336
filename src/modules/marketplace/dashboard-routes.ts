import { createRouter } from "../../lib/openapi";

export const dashboardRoutes = createRouter();
