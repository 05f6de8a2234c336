import { createRouter } from "../../lib/openapi";

export const courseRoutes = createRouter();
