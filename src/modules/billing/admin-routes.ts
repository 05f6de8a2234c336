import { createRouter } from "../../lib/openapi";

/** Admin views of purchases and usage, manual minute adjustments. */
export const billingAdminRoutes = createRouter();
