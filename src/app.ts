import { prometheus } from "@hono/prometheus";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import { pinoLogger } from "hono-pino";
import { Registry } from "prom-client";
import { consoleRoutes } from "./console/routes";
import type { AppContext } from "./context";
import { apiReferencePage, SCALAR_BUNDLE_ROUTE, scalarBundle } from "./http/api-reference";
import { identify } from "./http/auth";
import { bodyLimits } from "./http/body-limit";
import { callerKey } from "./http/caller";
import { clientIpOf } from "./http/client-ip";
import { onError, onNotFound } from "./http/errors";
import { idempotency } from "./http/idempotency";
import { jsonBodyGuard } from "./http/json-body";
import { metricsGuard } from "./http/metrics-guard";
import { finishOpenApiDocument } from "./http/openapi-doc";
import { settingRateLimit } from "./http/rate-limit";
import { edgeNode, REPLICATION_HEADER, replicationIndex } from "./http/replication";
import type { AppEnv } from "./http/types";
import { validationHook } from "./lib/openapi";
import { MODULE_ROUTERS } from "./modules";
import { ofrepRoutes } from "./modules/platform/flags/ofrep";
import { health } from "./modules/platform/system/health";
import { registerBusinessMetrics } from "./modules/platform/system/metrics";

/**
 * Canonical routes live under /api/v1; seed 001's contract is served under /api by mapping
 * /api/x to /api/v1/x before routing, and a trailing slash is dropped, so both are free.
 */
export function normalizePath(req: Request): string {
  const url = req.url;
  const start = url.indexOf("/", url.indexOf("://") + 3);
  const q = url.indexOf("?", start);
  let p = start === -1 ? "/" : q === -1 ? url.slice(start) : url.slice(start, q);
  if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
  if (p === "/api" || (p.startsWith("/api/") && !p.startsWith("/api/v1/") && p !== "/api/v1"))
    p = `/api/v1${p.slice(4)}`;
  for (const [from, to] of PATH_ALIASES) {
    if (p === from || p.startsWith(`${from}/`)) return to + p.slice(from.length);
  }
  return p;
}

/** Seed 001's names for marketplace resources: appointments are orders, masters are experts. */
const PATH_ALIASES: [string, string][] = [
  ["/api/v1/appointments", "/api/v1/orders"],
  ["/api/v1/admin/appointments", "/api/v1/admin/orders"],
  ["/api/v1/admin/masters", "/api/v1/admin/experts"],
];

/** Auth calls that create accounts or send mail: limited per IP by RATE_LIMIT_AUTH. */
const AUTH_LIMITED = [
  "/api/v1/auth/register",
  "/api/v1/auth/bootstrap-admin",
  "/api/v1/auth/password/forgot",
  "/api/v1/auth/email/verification",
];

export function createApp(ctx: AppContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook, getPath: normalizePath });
  const registry = new Registry();
  const { printMetrics, registerMetrics } = prometheus({
    registry,
    collectDefaultMetrics: true,
  });

  app.onError(onError);
  app.notFound(onNotFound);

  app.use(
    "*",
    createMiddleware<AppEnv>(async (c, next) => {
      // Always souk's own id: audit rows and logs refer to it, so a client must not choose it.
      const id = crypto.randomUUID();
      c.set("requestId", id);
      c.set("ctx", ctx);
      c.header("X-Request-Id", id);
      await next();
    }),
  );
  if (ctx.logger.isLevelEnabled("info")) {
    // Access log of every request (hono-pino, with the request id).
    app.use(
      "*",
      pinoLogger({
        pino: ctx.logger,
        http: {
          // Never log headers: they carry bearer tokens and API keys.
          onReqBindings: (c) => ({ req: { method: c.req.method, path: c.req.path } }),
          onResBindings: (c) => ({ res: { status: c.res.status } }),
          onResLevel: (c) => (c.res.status >= 500 ? "error" : c.res.status >= 400 ? "warn" : "info"),
        },
      }),
    );
  } else if (ctx.logger.isLevelEnabled("warn")) {
    // At warn, only failures are logged: skip hono-pino's per-request bookkeeping (10-35 µs).
    app.use("*", async (c, next) => {
      await next();
      const status = c.res.status;
      if (status >= 400) {
        ctx.logger[status >= 500 ? "error" : "warn"](
          {
            request_id: c.get("requestId"),
            req: { method: c.req.method, path: c.req.path },
            res: { status },
          },
          "request failed",
        );
      }
    });
  }
  app.use("*", secureHeaders(), registerMetrics);
  if (ctx.env.CORS_ORIGINS.length) {
    app.use(
      "*",
      cors({
        origin: ctx.env.CORS_ORIGINS,
        credentials: true,
        exposeHeaders: ["X-Request-Id", "Retry-After", REPLICATION_HEADER],
      }),
    );
  }

  // libSQL mode: an edge node forwards writes to its primary; the primary tags writes with
  // their replication index (read-your-writes on any edge).
  if (ctx.replica && ctx.env.PRIMARY_URL) app.use("/api/*", edgeNode(ctx, ctx.env.PRIMARY_URL, ctx.fetch));
  else if (ctx.replica) app.use("/api/*", replicationIndex(ctx));

  app.get("/healthz", (c) => {
    const h = health(ctx);
    return c.json(h, h.db === "ok" ? 200 : 503);
  });
  registerBusinessMetrics(registry, ctx);
  app.get("/metrics", metricsGuard(ctx.env.METRICS_TOKEN), printMetrics);

  app.use("/api/*", bodyLimits(ctx.env), jsonBodyGuard(), identify());
  // Brute force is guarded by failed logins (login-guard.ts), not by counting every /auth call:
  // refreshes get their own looser budget, and only calls that create accounts or send mail share
  // RATE_LIMIT_AUTH per IP.
  const perIp = (c: Context<AppEnv>) => `ip:${clientIpOf(c)}`;
  app.use("/api/v1/auth/refresh", settingRateLimit("RATE_LIMIT_REFRESH", perIp, "refresh"));
  const authLimit = settingRateLimit("RATE_LIMIT_AUTH", perIp, "auth");
  for (const path of AUTH_LIMITED) app.use(path, authLimit);
  app.use("/api/*", settingRateLimit("RATE_LIMIT_DEFAULT", callerKey, "default"), idempotency());

  for (const router of MODULE_ROUTERS) app.route("/api/v1", router);
  // The admin console: a browser client of the API above, served by this process.
  app.route("/", consoleRoutes());
  // OpenFeature's remote evaluation protocol lives at /ofrep, with its own auth and error bodies.
  app.route("/", ofrepRoutes(ctx.env));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An access token from /auth/*, or an API key `sk_…`",
  });
  // Built once: regenerating per request leaked memory (honojs/middleware#1703).
  const doc = finishOpenApiDocument(
    app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "souk API", version: "1.0.0" } }),
    { aliases: PATH_ALIASES },
  );
  app.get("/openapi.json", (c) => c.json(doc));
  app.get("/docs", apiReferencePage);
  // Served by souk itself, so the reference works offline and from the compiled binary.
  app.get(SCALAR_BUNDLE_ROUTE, scalarBundle);
  return app;
}

export type App = ReturnType<typeof createApp>;
