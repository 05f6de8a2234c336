import { join } from "node:path";

export type ConsoleBundle = { js: string; css: string };

/**
 * Builds the console (Preact + uPlot, src/console/app) for browsers: one script and one
 * stylesheet, minified. `scripts/build.ts` runs it before compiling the binary and embeds the
 * result; from source (`npm start`, tests) the server runs it once, on the first /admin request.
 */
export async function buildConsole(): Promise<ConsoleBundle> {
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, "app", "main.tsx")],
    target: "browser",
    format: "esm",
    minify: true,
  });
  if (!result.success) throw new AggregateError(result.logs, "the admin console did not build");
  let js = "";
  let css = "";
  for (const out of result.outputs) {
    if (out.path.endsWith(".js")) js += await out.text();
    else if (out.path.endsWith(".css")) css += await out.text();
  }
  return { js, css };
}
