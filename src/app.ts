import { prometheus } from "@hono/prometheus";
import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { pinoLogger } from "hono-pino";
import { Registry } from "prom-client";
import type { AppContext } from "./context";
import { identify } from "./http/auth";
import { clientIpOf } from "./http/client-ip";
import { onError, onNotFound } from "./http/errors";
import { idempotency } from "./http/idempotency";
import { callerKey, settingRateLimit } from "./http/rate-limit";
import type { AppEnv } from "./http/types";
import { ApiError } from "./lib/errors";
import { isMultipart } from "./lib/files";
import { validationHook } from "./lib/openapi";
import { MODULE_ROUTERS } from "./modules";
import { health } from "./modules/platform/health";

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

export function createApp(ctx: AppContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook, getPath: normalizePath });
  const { printMetrics, registerMetrics } = prometheus({
    registry: new Registry(),
    collectDefaultMetrics: true,
  });

  app.onError(onError);
  app.notFound(onNotFound);

  app.use(
    "*",
    requestId(),
    createMiddleware<AppEnv>(async (c, next) => {
      c.set("ctx", ctx);
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
        exposeHeaders: ["X-Request-Id", "Retry-After"],
      }),
    );
  }

  app.get("/healthz", (c) => {
    const h = health(ctx);
    return c.json(h, h.db === "ok" ? 200 : 503);
  });
  app.get("/metrics", printMetrics);

  const limitTo = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("payload_too_large", `request body exceeds ${maxSize} bytes`);
      },
    });
  const jsonLimit = limitTo(ctx.env.BODY_LIMIT_BYTES);
  // Room for the multipart framing around a file of UPLOAD_MAX_BYTES; the file itself is checked again.
  const uploadLimit = limitTo(ctx.env.UPLOAD_MAX_BYTES + 64 * 1024);
  app.use(
    "/api/*",
    (c, next) => (isMultipart(c.req.header("content-type")) ? uploadLimit(c, next) : jsonLimit(c, next)),
    identify(),
  );
  // Brute-force guard on login/register/refresh, per IP, before the per-caller default.
  app.use(
    "/api/v1/auth/*",
    settingRateLimit("RATE_LIMIT_AUTH", (c) => `ip:${clientIpOf(c)}`, "auth"),
  );
  app.use("/api/*", settingRateLimit("RATE_LIMIT_DEFAULT", callerKey, "default"), idempotency());

  for (const router of MODULE_ROUTERS) app.route("/api/v1", router);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An access JWT from /auth/login, or an API key `sk_…`",
  });
  // Built once: regenerating per request leaked memory (honojs/middleware#1703).
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "souk API",
      version: "1.0.0",
      description: "Every /api/v1 route also answers under /api.",
    },
  });
  app.get("/openapi.json", (c) => c.json(doc));
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "souk API" }));
  return app;
}

export type App = ReturnType<typeof createApp>;
