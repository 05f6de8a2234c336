import { createRouter } from "../../lib/openapi";

/** Purchases, wallet top-ups and provider webhooks. */
export const paymentRoutes = createRouter();
