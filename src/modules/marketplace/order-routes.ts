import { createRouter } from "../../lib/openapi";

export const orderRoutes = createRouter();
