import { createRouter } from "../../../lib/openapi";

export const gatewayOrderRoutes = createRouter();
