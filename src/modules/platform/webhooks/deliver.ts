import type { AppContext } from "../../../context";
import { prepare, preparedPer } from "../../../db/prepared";
import { iso } from "../../../lib/time";
import { type JobCommit, PermanentJobError } from "../jobs/queue";
import { type DeliverJob, WEBHOOK_DELIVER_JOB } from "./deliveries";
import { disableEndpointGone } from "./endpoints";
import { secretFor } from "./secrets";
import { senderOf } from "./send";
import { invalidateFanout } from "./subscriptions";
import { checkWebhookUrl } from "./url-guard";

export const USER_AGENT = "souk-webhooks/1";
// However the settings are tuned, a retry waits at most a day.
const MAX_BACKOFF_MS = 24 * 3600 * 1000;

/** base * RETRY_BACKOFF_FACTOR^(try-1): with the defaults 1.5 h, 3 h, 6 h, 12 h after attempts 1-4. */
export function webhookBackoffMs(ctx: Pick<AppContext, "settings">, attempt: number): number {
  const base = ctx.settings.get("webhook_retry_base_delay_seconds") * 1000;
  const factor = ctx.settings.get("RETRY_BACKOFF_FACTOR");
  return Math.min(MAX_BACKOFF_MS, Math.round(base * factor ** Math.max(0, attempt - 1)));
}

type Outcome = {
  /** Whether an HTTP request (or a refused one) counts as an attempt. */
  attempted: boolean;
  status: "succeeded" | "failed" | "retry";
  code: number | null;
  error: string | null;
  durationMs: number | null;
  gone?: boolean;
};

/** One signed POST through the context's sender (the sender thread in a server). */
async function post(ctx: AppContext, d: Loaded, url: URL): Promise<Outcome> {
  const timestamp = Math.floor(ctx.clock.now() / 1000);
  const timeoutS = ctx.settings.get("webhook_timeout_seconds");
  // Signed by the sender (on its thread in a server), over these exact bytes.
  const r = await senderOf(ctx)({
    url: url.href,
    headers: {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      "webhook-id": d.message_id,
      "webhook-timestamp": String(timestamp),
    },
    body: deliveryBody(d),
    timeoutMs: timeoutS * 1000,
    sign: { secret: secretFor(ctx.jwtSecret, d.secret_sealed), msgId: d.message_id, timestamp },
  });
  if (!r.ok) {
    const error = r.timeout ? `no answer within ${timeoutS} s` : `request failed: ${r.error}`;
    return { attempted: true, status: "retry", code: null, error, durationMs: r.ms };
  }
  if (r.status >= 200 && r.status < 300)
    return { attempted: true, status: "succeeded", code: r.status, error: null, durationMs: r.ms };
  const error = `HTTP ${r.status}${r.status >= 300 && r.status < 400 ? " (redirects are not followed)" : ""}${r.text ? `: ${r.text}` : ""}`;
  if (r.status === 410)
    return { attempted: true, status: "failed", code: 410, error, durationMs: r.ms, gone: true };
  return { attempted: true, status: "retry", code: r.status, error, durationMs: r.ms };
}

type Loaded = {
  id: number;
  message_id: string;
  event_type: string;
  /** The stored JSON of `data`, sent as is: the same bytes on every attempt. */
  payload: string;
  status: string;
  attempts: number;
  created_at: number;
  endpoint_id: number;
  url: string;
  enabled: number;
  deleted_at: number | null;
  secret_sealed: string;
};

// One job per delivery: prepared once per connection (Drizzle's query building cost more than the HTTP call).
const stmts = preparedPer((db) => ({
  load: prepare<Loaded, [number]>(
    db,
    `SELECT d.id, d.message_id, d.event_type, d.payload, d.status, d.attempts, d.created_at,
            e.id AS endpoint_id, e.url, e.enabled, e.deleted_at, e.secret_sealed
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ?`,
  ),
  // Guarded on what the job read: a concurrent redelivery or a duplicate job changes nothing.
  finish: prepare<
    { id: number },
    [string, number, number | null, string | null, number | null, number | null, number, number, number]
  >(
    db,
    `UPDATE webhook_deliveries SET status = ?1, attempts = ?2, last_status_code = ?3, last_error = ?4,
       last_duration_ms = ?5, delivered_at = coalesce(?6, delivered_at), updated_at = ?7
     WHERE id = ?8 AND status = 'pending' AND attempts = ?9 RETURNING id`,
  ),
}));

/** The request body `{type, timestamp, data}`; `timestamp` is when the message was created. */
export const deliveryBody = (d: Pick<Loaded, "event_type" | "created_at" | "payload">) =>
  `{"type":${JSON.stringify(d.event_type)},"timestamp":"${iso(d.created_at)}","data":${d.payload}}`;

/**
 * The `webhook.deliver` job: one attempt of one delivery, outside any transaction. The outcome,
 * the next attempt (a new job at the backoff) and the endpoint's disabling commit together, with
 * the job's completion (deliveries run and commit in batches: WEBHOOK_CONCURRENCY).
 */
export async function deliverWebhookJob(
  ctx: AppContext,
  payload: Record<string, unknown>,
): Promise<JobCommit | undefined> {
  const job = payload as DeliverJob;
  const d = stmts(ctx.db).load.get(Number(job.delivery_id));
  if (!d) throw new PermanentJobError(`webhook delivery ${job.delivery_id} does not exist`);
  // Already finished, or another job of it ran: nothing to do.
  if (d.status !== "pending" || d.attempts !== job.attempts) return undefined;

  let outcome: Outcome;
  if (d.deleted_at !== null || !d.enabled) {
    const why = d.deleted_at !== null ? "the endpoint was deleted" : "the endpoint is disabled";
    outcome = { attempted: false, status: "failed", code: null, error: why, durationMs: null };
  } else {
    const check = await checkWebhookUrl(ctx, d.url);
    if (check.ok) outcome = await post(ctx, d, check.url);
    else if (check.transient)
      outcome = { attempted: true, status: "retry", code: null, error: check.reason, durationMs: null };
    else {
      ctx.logger.warn(
        { delivery_id: d.id, endpoint_id: d.endpoint_id, reason: check.reason },
        "webhook delivery refused: the url is not allowed",
      );
      outcome = {
        attempted: true,
        status: "failed",
        code: null,
        error: `refused: the url ${check.reason}`,
        durationMs: null,
      };
    }
  }

  const retry = outcome.status === "retry" && job.try < ctx.settings.get("webhook_max_attempts");
  const status = outcome.status === "succeeded" ? "succeeded" : retry ? "pending" : "failed";
  const attempts = d.attempts + (outcome.attempted ? 1 : 0);
  // Written with the job's own completion, in the queue's batch commit.
  return {
    commit(tx, now) {
      const finished =
        stmts(ctx.db).finish.get(
          status,
          attempts,
          outcome.code,
          outcome.error?.slice(0, 1000) ?? null,
          outcome.durationMs,
          status === "succeeded" ? now : null,
          now,
          d.id,
          d.attempts,
        ) !== null;
      if (!finished) return;
      if (retry) {
        const next: DeliverJob = { delivery_id: d.id, attempts, try: job.try + 1 };
        ctx.jobs.enqueue(ctx, tx, {
          type: WEBHOOK_DELIVER_JOB,
          payload: next,
          runAt: now + webhookBackoffMs(ctx, job.try),
        });
      }
      if (outcome.gone) disableEndpointGone(ctx, tx, { id: d.endpoint_id, url: d.url }, d.id);
    },
    afterCommit: outcome.gone ? () => invalidateFanout(ctx) : undefined,
  };
}
