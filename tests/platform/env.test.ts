import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { databaseUrl, jwtSecretFor } from "../../src/boot";
import { parseEnv } from "../../src/env";

const tmp = mkdtempSync(join(tmpdir(), "souk-env-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a throw");
}

describe("parseEnv", () => {
  test("an empty environment gets every default", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      NODE_ENV: "development",
      PORT: 3000,
      HOST: "0.0.0.0",
      DATA_DIR: "./data",
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 30 * 86400,
      TELEGRAM_API_BASE: "https://api.telegram.org",
      STRIPE_API_BASE: "https://api.stripe.com",
      YOOKASSA_API_BASE: "https://api.yookassa.ru",
      PUBLIC_URL: "http://localhost:3000",
      CRON_ENABLED: true,
      LOG_LEVEL: "info",
      CORS_ORIGINS: [],
      BODY_LIMIT_BYTES: 1024 * 1024,
      TRUST_PROXY: 0,
      PASSWORD_MEMORY_KIB: 19456,
      PASSWORD_TIME_COST: 2,
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.JWT_SECRET).toBeUndefined();
    expect(env.TELEGRAM_BOT_TOKEN).toBeUndefined();
    expect(databaseUrl(env)).toBe("file:data/souk.db");
  });

  test("empty strings count as unset", () => {
    const env = parseEnv({ PORT: "", LOG_LEVEL: "", TELEGRAM_BOT_TOKEN: "", CRON_ENABLED: "" });
    expect(env.PORT).toBe(3000);
    expect(env.LOG_LEVEL).toBe("info");
    expect(env.TELEGRAM_BOT_TOKEN).toBeUndefined();
    expect(env.CRON_ENABLED).toBe(true);
  });

  test("values are coerced and parsed", () => {
    const env = parseEnv({
      PORT: "8080",
      DATABASE_URL: "file:/var/lib/souk/souk.db",
      LOG_LEVEL: "warn",
      CRON_ENABLED: "0",
      TRUST_PROXY: "yes",
      CORS_ORIGINS: "https://a.example, https://b.example,,",
      BODY_LIMIT_BYTES: "2048",
      JWT_SECRET: "x".repeat(32),
    });
    expect(env).toMatchObject({
      PORT: 8080,
      DATABASE_URL: "file:/var/lib/souk/souk.db",
      LOG_LEVEL: "warn",
      CRON_ENABLED: false,
      TRUST_PROXY: 1,
      CORS_ORIGINS: ["https://a.example", "https://b.example"],
      BODY_LIMIT_BYTES: 2048,
    });
    expect(databaseUrl(env)).toBe("file:/var/lib/souk/souk.db");
    expect(parseEnv({ DATABASE_URL: ":memory:" }).DATABASE_URL).toBe(":memory:");
    const secret = "s".repeat(32);
    expect(parseEnv({ DATABASE_URL: "libsql://db.example.turso.io", JWT_SECRET: secret }).DATABASE_URL).toBe(
      "libsql://db.example.turso.io",
    );
    const edge = parseEnv({
      DATABASE_URL: "http://sqld:8080",
      JWT_SECRET: secret,
      PRIMARY_URL: "http://p:8080",
    });
    expect(edge.PRIMARY_URL).toBe("http://p:8080");
    expect(edge.LIBSQL_SYNC_INTERVAL_MS).toBe(1000);
    expect(parseEnv({ PORT: "0" }).PORT).toBe(0);
    expect(parseEnv({ TRUST_PROXY: "2" }).TRUST_PROXY).toBe(2);
    expect(parseEnv({ TRUST_PROXY: "fly" }).TRUST_PROXY).toBe("fly");
    expect(parseEnv({ TRUST_PROXY: "false" }).TRUST_PROXY).toBe(0);
    expect(parseEnv({ PORT: "65535" }).PORT).toBe(65535);
  });

  test("libSQL mode needs one JWT_SECRET for every node, and an edge needs a libSQL database", () => {
    expect(() => parseEnv({ DATABASE_URL: "libsql://db.example.turso.io" })).toThrow(/JWT_SECRET/);
    expect(() => parseEnv({ PRIMARY_URL: "http://p:8080" })).toThrow(/PRIMARY_URL/);
    expect(() => parseEnv({ DATABASE_URL: "ftp://x", JWT_SECRET: "s".repeat(32) })).toThrow(/DATABASE_URL/);
  });

  const INVALID: [string, string][] = [
    ["PORT", "abc"],
    ["PORT", "-1"],
    ["PORT", "65536"],
    ["PORT", "3000.5"],
    ["PORT", "80abc"],
    ["PORT", " "],
    ["PORT", "1e3"],
    ["PORT", "0x50"],
    ["DATABASE_URL", "postgres://user:hunter2@db/souk"],
    ["DATABASE_URL", "souk.db"],
    ["DATABASE_URL", "memory"],
    ["LOG_LEVEL", "loud"],
    ["LOG_LEVEL", "verbose"],
    ["NODE_ENV", "prod"],
    ["CRON_ENABLED", "maybe"],
    ["TRUST_PROXY", "maybe"],
    ["TRUST_PROXY", "-1"],
    ["TRUST_PROXY", "100"],
    ["JWT_SECRET", "short-secret"],
    ["TELEGRAM_API_BASE", "not a url"],
    ["ACCESS_TOKEN_TTL_SECONDS", "0"],
    ["BODY_LIMIT_BYTES", "-5"],
    ["PASSWORD_MEMORY_KIB", "8"],
  ];
  test.each(INVALID)("%s=%p throws a one-line message naming the variable", (name, value) => {
    const msg = errorOf(() => parseEnv({ [name]: value }));
    expect(msg).toStartWith(`invalid configuration: ${name}: `);
    expect(msg).not.toContain("\n");
    expect(msg.length).toBeLessThan(300);
  });

  test("the message never echoes a secret value", () => {
    expect(errorOf(() => parseEnv({ JWT_SECRET: "short-secret" }))).not.toContain("short-secret");
    expect(errorOf(() => parseEnv({ DATABASE_URL: "postgres://user:hunter2@db/souk" }))).not.toContain(
      "hunter2",
    );
  });

  test("with several bad variables the first is named", () => {
    const msg = errorOf(() => parseEnv({ PORT: "abc", LOG_LEVEL: "loud" }));
    expect(msg).toContain("PORT");
  });
});

describe("jwtSecretFor", () => {
  const envFor = (dir: string, extra: Record<string, string> = {}) => parseEnv({ DATA_DIR: dir, ...extra });

  test("generates a secret once into DATA_DIR (created if missing, file 0600) and reuses it", () => {
    const dir = join(tmp, "nested", "data");
    expect(existsSync(dir)).toBe(false);
    const s1 = jwtSecretFor(envFor(dir));
    expect(s1.length).toBeGreaterThanOrEqual(32);
    const file = join(dir, "jwt_secret");
    expect(readFileSync(file, "utf8")).toBe(s1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const s2 = jwtSecretFor(envFor(dir));
    expect(s2).toBe(s1);
    // Another data dir gets another secret.
    expect(jwtSecretFor(envFor(join(tmp, "other")))).not.toBe(s1);
  });

  test("JWT_SECRET from the environment wins and no file is written", () => {
    const dir = join(tmp, "from-env");
    const secret = "e".repeat(40);
    expect(jwtSecretFor(envFor(dir, { JWT_SECRET: secret }))).toBe(secret);
    expect(existsSync(join(dir, "jwt_secret"))).toBe(false);
  });

  test("a kept secret with surrounding whitespace (edited by hand) is trimmed", () => {
    const dir = join(tmp, "hand-edited");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "jwt_secret"), `  ${"h".repeat(48)}\n`);
    expect(jwtSecretFor(envFor(dir))).toBe("h".repeat(48));
  });

  test.each([
    ["empty (a crash during the first write)", ""],
    ["only whitespace", " \n"],
    ["too short to be safe", "abc123"],
  ])("a kept secret file that is %s is refused, never used as the signing key", (_n, content) => {
    const dir = join(tmp, `bad-${content.length}-${Math.random()}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "jwt_secret"), content);
    const msg = errorOf(() => jwtSecretFor(envFor(dir)));
    expect(msg).toContain("jwt_secret");
    expect(msg).not.toContain("\n");
  });
});
