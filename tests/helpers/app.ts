import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { createContext } from "../../src/boot";
import type { AppContext } from "../../src/context";
import { type Role, users } from "../../src/db/schema";
import { parseEnv } from "../../src/env";
import { ManualClock } from "../../src/lib/time";
import { signAccessToken } from "../../src/modules/accounts/tokens";

export const TEST_BOT_TOKEN = "123456:TEST-bot-token";

export type TestApp = Awaited<ReturnType<typeof makeTestApp>>;

/** A fresh app on its own :memory: database with a manual clock and generous rate limits. */
export function makeTestApp(
  envOverrides: Record<string, string> = {},
  opts: Partial<Pick<AppContext, "fetch" | "lookupHost">> = {},
) {
  const env = parseEnv({
    NODE_ENV: "test",
    DATABASE_URL: ":memory:",
    // Uploads land here; each test app gets its own directory.
    DATA_DIR: mkdtempSync(join(tmpdir(), "souk-test-")),
    LOG_LEVEL: "silent",
    PASSWORD_MEMORY_KIB: "1024",
    PASSWORD_TIME_COST: "1",
    JWT_SECRET: "test-secret-test-secret-test-secret-0123",
    CRON_ENABLED: "false",
    TELEGRAM_BOT_TOKEN: TEST_BOT_TOKEN,
    ...envOverrides,
  });
  const clock = new ManualClock();
  const ctx = createContext(env, { clock, ...opts });
  ctx.settings.setNow(
    {
      RATE_LIMIT_DEFAULT: "100000/minute",
      RATE_LIMIT_AUTH: "100000/minute",
      RATE_LIMIT_REFRESH: "100000/minute",
      RATE_LIMIT_LOGIN_ACCOUNT: "100000/minute",
      RATE_LIMIT_LOGIN_IP: "100000/minute",
    },
    clock.now(),
  );
  const app = createApp(ctx);

  type CallOpts = { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string };
  /** JSON request helper; returns status, parsed body and headers. */
  async function call(method: string, path: string, o: CallOpts = {}) {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
      headers["content-type"] = "application/json";
    }
    const res = await app.request(path, { method, headers, body });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, body: json, headers: res.headers };
  }

  let seq = 0;
  /** Inserts a user directly (no password hashing) and returns it with an access token. */
  async function user(role: Role = "client", extra: Partial<typeof users.$inferInsert> = {}) {
    seq++;
    const now = clock.now();
    const row = ctx.db
      .insert(users)
      .values({
        email: `u${seq}@test.local`,
        username: `user_${seq}`,
        role,
        createdAt: now,
        updatedAt: now,
        ...extra,
      })
      .returning()
      .get();
    // Long-lived so tests can move the clock by days without the token expiring.
    const token = await signAccessToken(ctx.jwtSecret, row.id, row.role, clock.now(), 400 * 86400);
    return { ...row, token };
  }

  return { app, ctx, clock, call, user };
}

/** Asserts the DESIGN.md §3 envelope and returns its error object. */
export function expectError(res: { status: number; body: any }, status: number, code: string) {
  if (res.status !== status || res.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  if (typeof res.body.error.message !== "string" || typeof res.body.error.request_id !== "string") {
    throw new Error(`malformed envelope: ${JSON.stringify(res.body)}`);
  }
  return res.body.error;
}
