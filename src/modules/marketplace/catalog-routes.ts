import { createRouter } from "../../lib/openapi";

export const catalogRoutes = createRouter();
