import { createRouter } from "../../../lib/openapi";

export const traderOrderRoutes = createRouter();
