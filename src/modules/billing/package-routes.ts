import { createRouter } from "../../lib/openapi";

/** Public package list and admin CRUD of packages and promo codes. */
export const packageRoutes = createRouter();
