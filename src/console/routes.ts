import { Hono } from "hono";
import type { AppEnv } from "../http/types";
import type { ConsoleBundle } from "./bundle";

// Set by scripts/build.ts (Bun.build `define`) in the compiled binary; absent when run from source.
declare const SOUK_CONSOLE_JS: string | undefined;
declare const SOUK_CONSOLE_CSS: string | undefined;

type Served = { js: Uint8Array; jsGzip: Uint8Array; css: Uint8Array; cssGzip: Uint8Array; version: string };
let loading: Promise<Served> | null = null;

async function load(): Promise<Served> {
  let bundle: ConsoleBundle;
  if (typeof SOUK_CONSOLE_JS === "string" && typeof SOUK_CONSOLE_CSS === "string") {
    bundle = { js: SOUK_CONSOLE_JS, css: SOUK_CONSOLE_CSS };
  } else {
    const { buildConsole } = await import("./bundle");
    bundle = await buildConsole();
  }
  const js = new TextEncoder().encode(bundle.js);
  const css = new TextEncoder().encode(bundle.css);
  const version = Bun.hash(bundle.js + bundle.css).toString(36);
  return { js, jsGzip: Bun.gzipSync(js), css, cssGzip: Bun.gzipSync(css), version };
}

/**
 * Everything the console loads comes from here: no CDN, no inline script or style, no frames.
 * `connect-src 'self'`: it talks to souk's own API only.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const page = (version: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>souk admin</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/admin/assets/app.css?v=${version}">
<script type="module" src="/admin/assets/app.js?v=${version}"></script>
</head>
<body><div id="app"></div></body>
</html>
`;

/** GET /admin (the page, for every path under it) and its two assets. */
export function consoleRoutes() {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    await next();
    c.header("Content-Security-Policy", CONSOLE_CSP);
  });
  const asset = (kind: "js" | "css") => async (c: import("hono").Context<AppEnv>) => {
    loading ??= load();
    const s = await loading;
    const gzip = /\bgzip\b/i.test(c.req.header("accept-encoding") ?? "");
    c.header("Content-Type", kind === "js" ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8");
    // The URL carries the bundle's hash, so a new build is a new URL.
    c.header("Cache-Control", "public, max-age=31536000, immutable");
    c.header("Vary", "Accept-Encoding");
    if (gzip) c.header("Content-Encoding", "gzip");
    const body = kind === "js" ? (gzip ? s.jsGzip : s.js) : gzip ? s.cssGzip : s.css;
    return c.body(body as Uint8Array<ArrayBuffer>);
  };
  app.get("/admin/assets/app.js", asset("js"));
  app.get("/admin/assets/app.css", asset("css"));
  const html = async (c: import("hono").Context<AppEnv>) => {
    loading ??= load();
    const s = await loading;
    c.header("Cache-Control", "no-cache");
    return c.html(page(s.version));
  };
  app.get("/admin", html);
  app.get("/admin/*", html);
  return app;
}
