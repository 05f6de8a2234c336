import { Scalar } from "@scalar/hono-api-reference";
import type { Context } from "hono";
// The package's exports map hides its browser build, hence the relative paths. `bun build --compile`
// embeds the file in the binary; from source it is read where npm put it.
import bundlePath from "../../node_modules/@scalar/api-reference/dist/browser/standalone.js" with {
  type: "file",
};
import scalarPackage from "../../node_modules/@scalar/api-reference/package.json" with { type: "json" };

export const SCALAR_BUNDLE_ROUTE = "/docs/scalar.js";
// The version in the URL lets browsers keep the bundle for a year and still see an upgrade.
const bundleUrl = `${SCALAR_BUNDLE_ROUTE}?v=${scalarPackage.version}`;

/** The API reference page: Scalar from souk itself, with no fonts, telemetry or CDN from outside. */
export const apiReferencePage = Scalar({
  url: "/openapi.json",
  pageTitle: "souk API",
  cdn: bundleUrl,
  withDefaultFonts: false,
  telemetry: false,
  // Scalar's hosted extras (AI agent, SDK generation, config sharing) need its cloud: left out.
  agent: { disabled: true },
  showDeveloperTools: "never",
});

type Bundle = { raw: Uint8Array<ArrayBuffer>; gzip: Uint8Array<ArrayBuffer> };
let loading: Promise<Bundle> | null = null;

// Read and compressed once per process, on first use: the bundle is 4.8 MB, 1.3 MB gzipped.
async function load(): Promise<Bundle> {
  const raw = await Bun.file(bundlePath).bytes();
  return { raw, gzip: Bun.gzipSync(raw) };
}

/** GET /docs/scalar.js: the Scalar standalone bundle, gzipped when the client accepts it. */
export async function scalarBundle(c: Context) {
  loading ??= load();
  const bundle = await loading;
  const gzip = /\bgzip\b/i.test(c.req.header("accept-encoding") ?? "");
  c.header("Content-Type", "text/javascript; charset=utf-8");
  c.header("Cache-Control", "public, max-age=31536000, immutable");
  c.header("Vary", "Accept-Encoding");
  if (gzip) c.header("Content-Encoding", "gzip");
  return c.body(gzip ? bundle.gzip : bundle.raw);
}
