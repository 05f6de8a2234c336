import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");

/** `souk <args>` as a user runs it: the real CLI in a child process, on its own DATA_DIR. */
export async function runSouk(args: string[], dataDir: string, env: Record<string, string> = {}) {
  const p = Bun.spawn([process.execPath, join(ROOT, "src/index.ts"), ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      TZ: "UTC",
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      CRON_ENABLED: "false",
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { stdout, stderr, code };
}
