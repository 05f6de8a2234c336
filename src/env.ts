import { z } from "zod";

/** The only reader of process.env: everything else receives a parsed Env. */
const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  // Digits only: z.coerce would read " " as 0 (a random port) and "1e3" or "0x50" as numbers.
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, "must be a port number 0-65535")
    .transform(Number)
    .pipe(z.number().max(65535, "must be a port number 0-65535"))
    .default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: z
    .string()
    .regex(
      /^(file:|libsql:\/\/|https?:\/\/|:memory:$)/,
      "must start with file:, libsql:// or http(s):// (a libSQL server), or be :memory:",
    )
    .optional(),
  // A libSQL server's access token (a JWT); DATABASE_AUTH_TOKEN is the older name.
  LIBSQL_AUTH_TOKEN: z.string().min(1).optional(),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  // How often an embedded replica pulls new frames from the libSQL server (0: only on demand).
  LIBSQL_SYNC_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(1000),
  // Set on an edge node: the primary souk node that takes its writes (http://primary:8080).
  PRIMARY_URL: z.url({ protocol: /^https?$/ }).optional(),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(30 * 86400),
  TELEGRAM_BOT_TOKEN: z.string().min(1).optional(),
  TELEGRAM_API_BASE: z.url().default("https://api.telegram.org"),
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  STRIPE_API_BASE: z.url().default("https://api.stripe.com"),
  YOOKASSA_SHOP_ID: z.string().min(1).optional(),
  YOOKASSA_SECRET_KEY: z.string().min(1).optional(),
  YOOKASSA_API_BASE: z.url().default("https://api.yookassa.ru"),
  // A fake provider whose pay page is served by souk itself: for trying souk out, never production.
  DEMO_PAYMENTS: bool.default(false),
  PUBLIC_URL: z.url().default("http://localhost:3000"),
  // smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465; email is off without it.
  SMTP_URL: z
    .url({ protocol: /^smtps?$/, hostname: /./, error: "must be smtp://host… or smtps://host…" })
    .optional(),
  EMAIL_FROM: z.string().min(3).max(320).default("souk <no-reply@localhost>"),
  CRON_ENABLED: bool.default(true),
  // Litestream replicates the WAL and must own checkpoints: souk's checkpointer stays off.
  LITESTREAM: bool.default(false),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // A Sentry DSN (https://<public key>@<host>/<project id>): a typo stops souk at start, not at its first error.
  SENTRY_DSN: z
    .string()
    .regex(
      /^https?:\/\/[\w-]+(:[\w-]*)?@[\w.-]+(:\d+)?(\/[^\s?#]*)?\/\d+$/,
      "must be a Sentry DSN: https://<key>@<host>/<project id>",
    )
    .optional(),
  // Sentry's environment and release tags; the environment defaults to NODE_ENV.
  SENTRY_ENVIRONMENT: z.string().min(1).max(64).optional(),
  SENTRY_RELEASE: z.string().min(1).max(200).optional(),
  // When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`.
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : [],
    ),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  // Multipart uploads (payment proofs, expert documents) get their own, larger limit.
  UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  // How the client address is found behind proxies: false (the socket), a number of proxy hops
  // (the X-Forwarded-For entry that many places from the right; true = 1), or fly (Fly-Client-IP).
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|yes|no|fly|\d{1,2})$/, "false, true, a number of proxy hops, or fly")
    .transform((v): number | "fly" =>
      v === "fly" ? "fly" : v === "true" || v === "yes" ? 1 : v === "false" || v === "no" ? 0 : Number(v),
    )
    .default(0),
  // argon2id cost (OWASP minimum: 19 MiB, 2 passes); tests lower it.
  PASSWORD_MEMORY_KIB: z.coerce.number().int().min(1024).default(19456),
  PASSWORD_TIME_COST: z.coerce.number().int().min(1).default(2),
});

export type Env = z.infer<typeof EnvSchema>;

/** Parses an environment record; throws a one-line message naming the first bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`invalid configuration: ${issue.path.join(".")}: ${issue.message}`);
  }
  const url = result.data.DATABASE_URL ?? "";
  if (/^(libsql|https?):/.test(url) && !result.data.JWT_SECRET) {
    throw new Error(
      "invalid configuration: JWT_SECRET: with a libSQL DATABASE_URL every node must sign and verify tokens with the same key; set JWT_SECRET on all of them",
    );
  }
  if (result.data.PRIMARY_URL && !/^(libsql|https?):/.test(url)) {
    throw new Error(
      "invalid configuration: PRIMARY_URL: an edge node reads from a libSQL replica; set DATABASE_URL to the libSQL server",
    );
  }
  if (result.data.DEMO_PAYMENTS && result.data.NODE_ENV === "production") {
    throw new Error(
      "invalid configuration: DEMO_PAYMENTS: demo payments credit minutes and money without a real payment; never enable them with NODE_ENV=production",
    );
  }
  return result.data;
}

export function loadEnv(): Env {
  return parseEnv(process.env);
}
