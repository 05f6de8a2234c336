import { createRouter } from "../../../lib/openapi";

export const requisiteRoutes = createRouter();
