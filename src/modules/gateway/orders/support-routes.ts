import { createRouter } from "../../../lib/openapi";

export const supportOrderRoutes = createRouter();
