import { createRouter } from "../../../lib/openapi";

export const rateRoutes = createRouter();
