import { and, eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import type { AppContext } from "../../../context";
import { webhookDeliveries, webhookEndpoints } from "../../../db/schema";
import { write } from "../../../db/write";
import { iso } from "../../../lib/time";
import { PermanentJobError } from "../jobs/queue";
import { type DeliverJob, type DeliveryRow, WEBHOOK_DELIVER_JOB } from "./deliveries";
import { disableEndpointGone, type EndpointRow } from "./endpoints";
import { openSecret } from "./secrets";
import { invalidateFanout } from "./subscriptions";
import { checkWebhookUrl } from "./url-guard";

export const USER_AGENT = "souk-webhooks/1";
// However the settings are tuned, a retry waits at most a day.
const MAX_BACKOFF_MS = 24 * 3600 * 1000;
const ERROR_BODY_BYTES = 256;

/** base * RETRY_BACKOFF_FACTOR^(try-1): with the defaults 1.5 h, 3 h, 6 h, 12 h after attempts 1-4. */
export function webhookBackoffMs(ctx: Pick<AppContext, "settings">, attempt: number): number {
  const base = ctx.settings.get("webhook_retry_base_delay_seconds") * 1000;
  const factor = ctx.settings.get("RETRY_BACKOFF_FACTOR");
  return Math.min(MAX_BACKOFF_MS, Math.round(base * factor ** Math.max(0, attempt - 1)));
}

/** The request body, the same bytes on every attempt: `timestamp` is when the message was created. */
export const deliveryBody = (d: DeliveryRow) =>
  JSON.stringify({ type: d.eventType, timestamp: iso(d.createdAt), data: d.payload });

type Outcome = {
  /** Whether an HTTP request (or a refused one) counts as an attempt. */
  attempted: boolean;
  status: "succeeded" | "failed" | "retry";
  code: number | null;
  error: string | null;
  durationMs: number | null;
  gone?: boolean;
};

/** The first bytes of an error response, for the delivery log. */
async function errorText(res: Response): Promise<string> {
  try {
    const reader = res.body?.getReader();
    if (!reader) return "";
    const chunks: Uint8Array[] = [];
    let n = 0;
    while (n < ERROR_BODY_BYTES) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      n += value.length;
    }
    await reader.cancel().catch(() => {});
    return Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString("utf8");
  } catch {
    return "";
  }
}

/** One signed POST: never follows redirects (a redirect could lead past the SSRF guard). */
async function post(ctx: AppContext, ep: EndpointRow, d: DeliveryRow, url: URL): Promise<Outcome> {
  const body = deliveryBody(d);
  const sentAt = ctx.clock.now();
  const signature = new Webhook(openSecret(ctx.jwtSecret, ep.secretSealed)).sign(
    d.messageId,
    new Date(sentAt),
    body,
  );
  const timeoutS = ctx.settings.get("webhook_timeout_seconds");
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  try {
    const res = await ctx.fetch(url.href, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": d.messageId,
        "webhook-timestamp": String(Math.floor(sentAt / 1000)),
        "webhook-signature": signature,
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutS * 1000),
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => {});
      return { attempted: true, status: "succeeded", code: res.status, error: null, durationMs: ms() };
    }
    const text = await errorText(res);
    const error = `HTTP ${res.status}${res.status >= 300 && res.status < 400 ? " (redirects are not followed)" : ""}${text ? `: ${text}` : ""}`;
    if (res.status === 410)
      return { attempted: true, status: "failed", code: 410, error, durationMs: ms(), gone: true };
    return { attempted: true, status: "retry", code: res.status, error, durationMs: ms() };
  } catch (err) {
    const name = (err as Error).name;
    const error =
      name === "TimeoutError" || name === "AbortError"
        ? `no answer within ${timeoutS} s`
        : `request failed: ${(err as Error).message}`;
    return { attempted: true, status: "retry", code: null, error, durationMs: ms() };
  }
}

function load(ctx: AppContext, id: number) {
  return ctx.db
    .select({ d: webhookDeliveries, ep: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(eq(webhookDeliveries.id, id))
    .get();
}

/**
 * The `webhook.deliver` job: one attempt of one delivery, outside any transaction. The outcome,
 * the next attempt (a new job at the backoff) or the endpoint's disabling commit together.
 */
export async function deliverWebhookJob(ctx: AppContext, payload: Record<string, unknown>): Promise<void> {
  const job = payload as DeliverJob;
  const row = load(ctx, Number(job.delivery_id));
  if (!row) throw new PermanentJobError(`webhook delivery ${job.delivery_id} does not exist`);
  const { d, ep } = row;
  // Already finished, or another job of it ran: nothing to do.
  if (d.status !== "pending" || d.attempts !== job.attempts) return;

  let outcome: Outcome;
  if (ep.deletedAt !== null || !ep.enabled) {
    const why = ep.deletedAt !== null ? "the endpoint was deleted" : "the endpoint is disabled";
    outcome = { attempted: false, status: "failed", code: null, error: why, durationMs: null };
  } else {
    const check = await checkWebhookUrl(ctx, ep.url);
    if (check.ok) outcome = await post(ctx, ep, d, check.url);
    else if (check.transient)
      outcome = { attempted: true, status: "retry", code: null, error: check.reason, durationMs: null };
    else {
      ctx.logger.warn(
        { delivery_id: d.id, endpoint_id: ep.id, reason: check.reason },
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

  const maxAttempts = ctx.settings.get("webhook_max_attempts");
  const retry = outcome.status === "retry" && job.try < maxAttempts;
  const finalStatus = outcome.status === "succeeded" ? "succeeded" : retry ? "pending" : "failed";
  write(ctx, (tx, now) => {
    const attempts = d.attempts + (outcome.attempted ? 1 : 0);
    const updated = tx
      .update(webhookDeliveries)
      .set({
        status: finalStatus,
        attempts,
        lastStatusCode: outcome.code,
        lastError: outcome.error?.slice(0, 1000) ?? null,
        lastDurationMs: outcome.durationMs,
        ...(finalStatus === "succeeded" && { deliveredAt: now }),
        updatedAt: now,
      })
      // Guarded on what this job read: a concurrent redelivery or duplicate job changes nothing here.
      .where(
        and(
          eq(webhookDeliveries.id, d.id),
          eq(webhookDeliveries.status, "pending"),
          eq(webhookDeliveries.attempts, d.attempts),
        ),
      )
      .returning({ id: webhookDeliveries.id })
      .all();
    if (!updated.length) return;
    if (retry) {
      const next: DeliverJob = { delivery_id: d.id, attempts, try: job.try + 1 };
      ctx.jobs.enqueue(ctx, tx, {
        type: WEBHOOK_DELIVER_JOB,
        payload: next,
        runAt: now + webhookBackoffMs(ctx, job.try),
      });
    }
    if (outcome.gone) disableEndpointGone(ctx, tx, ep, d.id);
  });
  if (outcome.gone) invalidateFanout(ctx);
}
