import type { Database } from "bun:sqlite";
import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import { write } from "../../../db/write";
import { iso } from "../../../lib/time";
import { WEBHOOK_CONCURRENCY } from "./deliveries";
import { disableEndpointGone } from "./endpoints";
import { fanOutPending } from "./fanout";
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
async function post(ctx: AppContext, d: Due, url: URL, address: string | undefined): Promise<Outcome> {
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
    connectTo: address,
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

type Due = {
  id: number;
  message_id: string;
  event_type: string;
  /** The stored JSON of `data`, sent as is: the same bytes on every attempt. */
  payload: string;
  attempts: number;
  round_attempts: number;
  next_attempt_at: number;
  created_at: number;
  endpoint_id: number;
  url: string;
  enabled: number;
  deleted_at: number | null;
  secret_sealed: string;
};

const DUE_COLUMNS = `d.id, d.message_id, d.event_type, d.payload, d.attempts, d.round_attempts,
  d.next_attempt_at, d.created_at, e.id AS endpoint_id, e.url, e.enabled, e.deleted_at, e.secret_sealed
  FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id`;

/**
 * Due rows are picked by id first, from the index alone (it holds next_attempt_at and the rowid),
 * and only the picked ones are read whole: with requests out, the rows still out would otherwise
 * be read with their payloads on every pass only to be dropped.
 */
export const DUE_IDS_SQL =
  "SELECT id FROM webhook_deliveries WHERE next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2";
export const DUE_IN_SQL = `SELECT ${DUE_COLUMNS} WHERE d.id IN (SELECT value FROM json_each(?1)) ORDER BY d.next_attempt_at, d.id`;

// Run on every pass of the worker: prepared once per connection.
const stmts = preparedPer((db) => ({
  // The partial index webhook_deliveries_due_idx holds only pending deliveries.
  dueIds: prepare<{ id: number }, [number, number]>(db, DUE_IDS_SQL),
  dueIn: prepare<Due, [string]>(db, DUE_IN_SQL),
  // Guarded on what the worker read: a delivery changed meanwhile (a CLI, another process) is left alone.
  finish: prepare<
    { id: number },
    [
      string,
      number,
      number,
      number | null,
      number | null,
      string | null,
      number | null,
      number | null,
      number,
      number,
      number,
      number,
    ]
  >(
    db,
    `UPDATE webhook_deliveries SET status = ?1, attempts = ?2, round_attempts = ?3, next_attempt_at = ?4,
       last_status_code = ?5, last_error = ?6, last_duration_ms = ?7, delivered_at = coalesce(?8, delivered_at),
       updated_at = ?9
     WHERE id = ?10 AND status = 'pending' AND attempts = ?11 AND next_attempt_at = ?12 RETURNING id`,
  ),
  postpone: prepare<unknown, [number, number]>(
    db,
    "UPDATE webhook_deliveries SET next_attempt_at = ?1 WHERE id = ?2 AND status = 'pending'",
  ),
}));

/** The request body `{type, timestamp, data}`; `timestamp` is when the message was created. */
export const deliveryBody = (d: Pick<Due, "event_type" | "created_at" | "payload">) =>
  `{"type":${JSON.stringify(d.event_type)},"timestamp":"${iso(d.created_at)}","data":${d.payload}}`;

type UrlCheck = Awaited<ReturnType<typeof checkWebhookUrl>>;

/** One attempt of one delivery, outside any transaction. */
async function attempt(ctx: AppContext, d: Due, check: () => Promise<UrlCheck>): Promise<Outcome> {
  if (d.deleted_at !== null || !d.enabled) {
    const why = d.deleted_at !== null ? "the endpoint was deleted" : "the endpoint is disabled";
    return { attempted: false, status: "failed", code: null, error: why, durationMs: null };
  }
  const c = await check();
  if (c.ok) return post(ctx, d, c.url, c.address);
  if (c.transient) return { attempted: true, status: "retry", code: null, error: c.reason, durationMs: null };
  ctx.logger.warn(
    { delivery_id: d.id, endpoint_id: d.endpoint_id, reason: c.reason },
    "webhook delivery refused: the url is not allowed",
  );
  return {
    attempted: true,
    status: "failed",
    code: null,
    error: `refused: the url ${c.reason}`,
    durationMs: null,
  };
}

/** Writes one attempt's outcome: the delivery's next state, and a 410's disabling of its endpoint. */
function record(ctx: AppContext, tx: Tx, now: number, d: Due, o: Outcome) {
  const roundAttempts = d.round_attempts + (o.attempted ? 1 : 0);
  const retry = o.status === "retry" && roundAttempts < ctx.settings.get("webhook_max_attempts");
  const status = o.status === "succeeded" ? "succeeded" : retry ? "pending" : "failed";
  const finished = stmts(ctx.db).finish.get(
    status,
    d.attempts + (o.attempted ? 1 : 0),
    roundAttempts,
    retry ? now + webhookBackoffMs(ctx, roundAttempts) : null,
    o.code,
    o.error?.slice(0, 1000) ?? null,
    o.durationMs,
    status === "succeeded" ? now : null,
    now,
    d.id,
    d.attempts,
    d.next_attempt_at,
  );
  if (finished && o.gone) disableEndpointGone(ctx, tx, { id: d.endpoint_id, url: d.url }, d.id);
}

// Deliveries whose requests are out, per connection: a pass does not pick them up again meanwhile.
const sending = new WeakMap<Database, Set<number>>();
/** Requests out at once across batches: a few slow receivers cannot take every connection. */
export const MAX_SENDING = 4 * WEBHOOK_CONCURRENCY;

/**
 * The worker's webhook pump: fans out the events committed since the last pass, then starts up to
 * WEBHOOK_CONCURRENCY due deliveries at once and hands the batch to the queue (`track`) rather
 * than waiting for it: a receiver that takes webhook_timeout_seconds to answer holds back its own
 * batch's outcomes, not other receivers' deliveries or the other jobs. The batch's outcomes are
 * recorded in one commit when its last request ends.
 */
export async function runWebhooks(ctx: AppContext, max: number): Promise<{ done: number; more: boolean }> {
  fanOutPending(ctx);
  const busy = sending.get(ctx.sqlite) ?? new Set<number>();
  sending.set(ctx.sqlite, busy);
  const size = Math.min(max, WEBHOOK_CONCURRENCY, MAX_SENDING - busy.size);
  if (size <= 0) return { done: 0, more: false };
  const s = stmts(ctx.db);
  // Due deliveries still out are skipped: ask for as many more ids, then read the picked rows only.
  const ids = s.dueIds.all(ctx.clock.now(), size + busy.size).map((d) => d.id);
  const batch = s.dueIn.all(JSON.stringify(ids.filter((id) => !busy.has(id)).slice(0, size)));
  if (batch.length === 0) return { done: 0, more: false };
  for (const d of batch) busy.add(d.id);
  ctx.jobs.track(
    sendBatch(ctx, batch)
      .catch((err) => ctx.logger.error({ err }, "a webhook batch failed; its deliveries are retried"))
      .finally(() => {
        // At the cap, a pass may have left due deliveries for lack of room: look again.
        if (busy.size >= MAX_SENDING) ctx.jobs.wake();
        for (const d of batch) busy.delete(d.id);
      }),
  );
  return { done: batch.length, more: batch.length === size };
}

/** Sends a batch at once and records every outcome in one commit. */
async function sendBatch(ctx: AppContext, batch: Due[]) {
  // One url check per url and batch: deliveries of one event to one receiver share it.
  const checks = new Map<string, Promise<UrlCheck>>();
  const checkOf = (url: string) => () => {
    const c = checks.get(url) ?? checkWebhookUrl(ctx, url);
    checks.set(url, c);
    return c;
  };
  const outcomes = await Promise.all(
    batch.map((d) =>
      attempt(ctx, d, checkOf(d.url)).catch((err): Outcome => {
        ctx.logger.error({ err, delivery_id: d.id }, "webhook delivery attempt failed");
        return { attempted: true, status: "retry", code: null, error: "internal error", durationMs: null };
      }),
    ),
  );
  try {
    write(ctx, (tx, now) => {
      for (const [i, d] of batch.entries()) record(ctx, tx, now, d, outcomes[i]!);
    });
  } catch (err) {
    // One outcome that cannot be written must not hold back the rest: record them one by one.
    ctx.logger.error({ err }, "could not record a batch of webhook outcomes; recording one by one");
    batch.forEach((d, i) => {
      try {
        write(ctx, (tx, now) => record(ctx, tx, now, d, outcomes[i]!));
      } catch (err) {
        ctx.logger.error({ err, delivery_id: d.id }, "could not record a webhook outcome; retried later");
        try {
          stmts(ctx.db).postpone.run(ctx.clock.now() + webhookBackoffMs(ctx, d.round_attempts + 1), d.id);
        } catch {}
      }
    });
  }
  if (outcomes.some((o) => o.gone)) invalidateFanout(ctx);
}
