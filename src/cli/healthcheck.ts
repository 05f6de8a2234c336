import { cliEnv, defineCommand } from "./command";

export const healthcheck = defineCommand({
  name: "healthcheck",
  usage: "[--url U]",
  description: [
    "Asks a running server for /healthz (by default http://127.0.0.1:$PORT/healthz) and exits 0",
    "when it answers 200. For container health checks: the slim image has no curl.",
  ].join("\n"),
  options: {
    url: { type: "string", value: "U", help: "the URL to ask instead of the local /healthz" },
  },
  async run(v) {
    const url = v.url ?? `http://127.0.0.1:${cliEnv().PORT}/healthz`;
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch((e: Error) => e);
    if (res instanceof Error) {
      console.error(`unhealthy: ${url}: ${res.message}`);
      return 1;
    }
    if (!res.ok) {
      console.error(`unhealthy: ${url} answered ${res.status}`);
      return 1;
    }
    console.log(`healthy: ${url} answered ${res.status}`);
    return 0;
  },
});
