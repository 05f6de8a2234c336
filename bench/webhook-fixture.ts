/**
 * What bench/webhook-parts.ts and bench/webhook-cost.ts share: souk's context on a temp file
 * database, opened as a server opens it (production settings, cron off so nothing else runs),
 * with private urls allowed for loopback receivers; and endpoints made directly.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createContext } from "../src/boot";
import type { AppContext } from "../src/context";
import { write } from "../src/db/write";
import { parseEnv } from "../src/env";
import { createEndpoint } from "../src/modules/platform/webhooks/endpoints";

export function webhookBenchContext(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `souk-${name}-`));
  const env = parseEnv({
    NODE_ENV: "production",
    DATA_DIR: dir,
    LOG_LEVEL: "silent",
    JWT_SECRET: "x".repeat(40),
    CRON_ENABLED: "false",
  });
  const ctx = createContext(env, {});
  ctx.settings.setNow({ webhooks_allow_private_urls: true }, ctx.clock.now());
  return {
    ctx,
    dispose() {
      ctx.sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An enabled endpoint for `url`, subscribed to `eventTypes`. */
export const addEndpoint = (ctx: AppContext, url: string, eventTypes: string[]) =>
  write(ctx, (tx) => createEndpoint(ctx, tx, { url, eventTypes, description: null, enabled: true } as never))
    .endpoint;
