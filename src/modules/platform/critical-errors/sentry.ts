import type { Logger } from "pino";
import type { Env } from "../../../env";

type SentryApi = typeof import("@sentry/bun");

/** What souk tells Sentry about one critical error (the same facts as its stored row). */
export type SentryReport = {
  error: unknown;
  tags: Record<string, string | number | null | undefined>;
  userId?: number | null;
  extra?: Record<string, unknown>;
};

// One client per process; a different DSN (only ever in tests) replaces it.
let active: { dsn: string; sentry: Promise<SentryApi | null> } | null = null;

/**
 * Sentry's SDK, initialised on first use. Loaded lazily: importing it costs about a second of CPU,
 * which a process without SENTRY_DSN (and every test context) must not pay.
 */
export function sentryFor(env: Env, logger: Logger): Promise<SentryApi | null> | null {
  const dsn = env.SENTRY_DSN;
  if (!dsn) return null;
  if (active?.dsn === dsn) return active.sentry;
  const previous = active?.sentry;
  const sentry = (async () => {
    const old = await previous;
    await old?.close(2000);
    const Sentry = await import("@sentry/bun");
    // No default integrations: they patch fetch, Bun.serve and the console on the hot path and
    // would report errors souk already handles. Sentry receives what the critical errors log holds.
    Sentry.initWithoutDefaultIntegrations({
      dsn,
      environment: env.SENTRY_ENVIRONMENT ?? env.NODE_ENV,
      release: env.SENTRY_RELEASE,
      integrations: [Sentry.linkedErrorsIntegration()],
      sendClientReports: false,
    });
    logger.info({ environment: env.SENTRY_ENVIRONMENT ?? env.NODE_ENV }, "Sentry reporting on");
    return Sentry;
  })().catch((err) => {
    logger.error({ err }, "Sentry could not start; critical errors are only stored");
    return null;
  });
  active = { dsn, sentry };
  return sentry;
}

/** Starts loading the SDK now (after listen), so the first error is not the one that pays for it. */
export function warmSentry(env: Env, logger: Logger): void {
  void sentryFor(env, logger);
}

/** Sends one report when SENTRY_DSN is set; never throws (errors are logged). */
export function reportToSentry(env: Env, logger: Logger, report: SentryReport): void {
  const pending = sentryFor(env, logger);
  if (!pending) return;
  pending
    .then((Sentry) => {
      if (!Sentry) return;
      const tags = Object.fromEntries(
        Object.entries(report.tags)
          .filter(([, v]) => v != null && v !== "")
          .map(([k, v]) => [k, String(v)]),
      );
      Sentry.captureException(report.error, {
        level: "error",
        tags,
        user: report.userId != null ? { id: String(report.userId) } : undefined,
        extra: report.extra,
      });
    })
    .catch((err) => logger.error({ err }, "could not send a critical error to Sentry"));
}

/** Waits until queued reports are sent (shutdown, tests); true when nothing was left behind. */
export async function flushSentry(timeoutMs = 2000): Promise<boolean> {
  const Sentry = await active?.sentry;
  return Sentry ? Sentry.flush(timeoutMs) : true;
}
