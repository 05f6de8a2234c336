/**
 * Builds the single binary dist/souk (`npm run build`): the CLI and its two worker threads.
 *
 * libsql picks its native module at run time (`require(\`@libsql/${target}\`)`), which the
 * bundler cannot follow, so the compiled binary would not find it. The plugin below rewrites
 * that one call into a static require of this machine's build, which `--compile` embeds.
 */
import { readFileSync } from "node:fs";
import { familySync, GLIBC } from "detect-libc";
import { buildConsole } from "../src/console/bundle";

const ENTRIES = [
  "src/index.ts",
  "src/db/checkpoint-worker.ts",
  "src/modules/platform/webhooks/send-worker.ts",
];

function libsqlTarget(): string {
  const libc = process.platform === "linux" ? (familySync() === GLIBC ? "-gnu" : "-musl") : "";
  return `${process.platform}-${process.arch}${libc}`;
}

const libsqlNative: Bun.BunPlugin = {
  name: "libsql-native",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]libsql[\\/]index\.js$/ }, ({ path }) => {
      const source = readFileSync(path, "utf8");
      // biome-ignore lint/suspicious/noTemplateCurlyInString: libsql's source text, matched literally
      const dynamic = "return require(`@libsql/${target}`);";
      if (!source.includes(dynamic))
        throw new Error("libsql's native loader changed: update scripts/build.ts");
      const pinned = source.replace(dynamic, `return require("@libsql/${libsqlTarget()}/index.node");`);
      return { contents: pinned, loader: "js" };
    });
  },
};

// The admin console, built for browsers first and embedded as two strings (src/console/routes.ts).
const console_ = await buildConsole();
const result = await Bun.build({
  entrypoints: ENTRIES,
  define: { SOUK_CONSOLE_JS: JSON.stringify(console_.js), SOUK_CONSOLE_CSS: JSON.stringify(console_.css) },
  compile: { outfile: "dist/souk" },
  minify: true,
  sourcemap: "linked",
  plugins: [libsqlNative],
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`console: ${console_.js.length} bytes of script, ${console_.css.length} of style`);
console.log(`built ${result.outputs.map((o) => o.path).join(", ")}`);
