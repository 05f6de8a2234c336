import { createRouter } from "../../lib/openapi";

export const reviewRoutes = createRouter();
