import { createRouter } from "../../../lib/openapi";

export const traderRoutes = createRouter();
