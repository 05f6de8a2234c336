import { createRouter } from "../../lib/openapi";

export const expertRoutes = createRouter();
