import { createRouter } from "../../../lib/openapi";

export const storeRoutes = createRouter();
