import type { Database } from "bun:sqlite";
import { Counter, Gauge, type Registry } from "prom-client";
import type { AppContext } from "../../../context";

/**
 * Business figures for /metrics. Counters that the request path feeds are plain in-process
 * counters without labels (an `inc` is a number addition); everything else is read from the
 * database when Prometheus scrapes, so no request pays for it.
 */
export const usageBilledSeconds = new Counter({
  name: "souk_usage_billed_seconds_total",
  help: "Seconds billed for usage (after block rounding) since this process started",
  registers: [],
});

export const jobFailures = new Counter({
  name: "souk_job_failures_total",
  help: "Job attempts that failed (retried or given up) since this process started",
  registers: [],
});

type Row = Record<string, string | number | null>;

/** A gauge whose samples are the rows of one query at scrape time. */
function queried(
  registry: Registry,
  sqlite: Database,
  name: string,
  help: string,
  labelNames: string[],
  sql: string,
  params: () => (string | number)[] = () => [],
) {
  const stmt = sqlite.query<Row & { value: number }, (string | number)[]>(sql);
  registry.registerMetric(
    new Gauge({
      name,
      help,
      labelNames,
      registers: [],
      collect() {
        this.reset();
        for (const r of stmt.all(...params())) {
          const labels = Object.fromEntries(labelNames.map((l) => [l, String(r[l] ?? "")]));
          this.set(labels, Number(r.value ?? 0));
        }
      },
    }),
  );
}

export function registerBusinessMetrics(registry: Registry, ctx: AppContext) {
  registry.registerMetric(usageBilledSeconds);
  registry.registerMetric(jobFailures);
  const q = ctx.sqlite;
  queried(
    registry,
    q,
    "souk_minutes_sold_seconds",
    "Seconds of minute packages sold (grants of paid purchases)",
    [],
    "SELECT COALESCE(SUM(total_seconds), 0) AS value FROM grants WHERE purchase_id IS NOT NULL",
  );
  queried(
    registry,
    q,
    "souk_holds_open",
    "Minute holds open now",
    [],
    "SELECT COUNT(*) AS value FROM holds WHERE status = 'open' AND expires_at > ?",
    () => [ctx.clock.now()],
  );
  queried(
    registry,
    q,
    "souk_payments",
    "Purchases and top-ups by provider and status",
    ["provider", "status"],
    "SELECT provider, status, COUNT(*) AS value FROM purchases GROUP BY provider, status",
  );
  queried(
    registry,
    q,
    "souk_jobs",
    "Background jobs by status (queued is the queue depth; failed gave up)",
    ["status"],
    "SELECT status, COUNT(*) AS value FROM jobs GROUP BY status",
  );
  queried(
    registry,
    q,
    "souk_webhook_queue",
    "Webhook deliveries waiting for an attempt (webhooks are their own queue, not jobs)",
    [],
    // Counted on the partial index of pending deliveries: a few pages however long the log.
    "SELECT COUNT(*) AS value FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL",
  );
  queried(
    registry,
    q,
    "souk_ledger_transfers",
    "Ledger transfers recorded (transfers are never deleted, so the last id counts them)",
    [],
    "SELECT COALESCE(MAX(id), 0) AS value FROM ledger_transfers",
  );
  queried(
    registry,
    q,
    "souk_orders",
    "Marketplace orders by status",
    ["status"],
    "SELECT status, COUNT(*) AS value FROM orders GROUP BY status",
  );
}
