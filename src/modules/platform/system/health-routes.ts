import { createRoute } from "@hono/zod-openapi";
import { createRouter, json, z } from "../../../lib/openapi";
import { health } from "./health";

const Health = z.object({ status: z.string(), db: z.string(), time: z.string() }).openapi("Health");

export const healthRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["ops"],
    summary: "Liveness and database check (also GET /healthz and /api/health)",
    responses: { 200: json(Health), 503: json(Health, "Database unavailable") },
  }),
  (c) => {
    const h = health(c.get("ctx"));
    return h.db === "ok" ? c.json(h, 200) : c.json(h, 503);
  },
);
