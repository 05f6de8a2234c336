import { createRouter } from "../../lib/openapi";

export const chatRoutes = createRouter();
