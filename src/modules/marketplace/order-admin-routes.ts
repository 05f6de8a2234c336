import { createRouter } from "../../lib/openapi";

export const orderAdminRoutes = createRouter();
