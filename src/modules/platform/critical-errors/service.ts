import { lte } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { type CRITICAL_ERROR_KINDS, criticalErrors } from "../../../db/schema";
import { write } from "../../../db/write";
import { reportToSentry } from "./sentry";

/** The log keeps the newest rows only: a failure loop must not fill the disk. */
export const KEEP_CRITICAL_ERRORS = 10_000;
/** Pruning runs in the insert that lands on a multiple of this id (one DELETE per 100 rows). */
export const PRUNE_EVERY = 100;

export type CriticalErrorInput = {
  kind: (typeof CRITICAL_ERROR_KINDS)[number];
  error: unknown;
  requestId?: string | null;
  method?: string | null;
  route?: string | null;
  status?: number | null;
  actorId?: number | null;
  jobId?: number | null;
  jobType?: string | null;
  details?: Record<string, unknown>;
};

const MAX_MESSAGE = 2000;
const MAX_STACK = 16_000;

/** Message, class name and stack of anything thrown (a thrown string has no name or stack). */
export function describeError(err: unknown): { message: string; name: string | null; stack: string | null } {
  if (err instanceof Error) {
    return {
      message: (err.message || String(err)).slice(0, MAX_MESSAGE),
      name: err.name || err.constructor?.name || null,
      stack: err.stack ? err.stack.slice(0, MAX_STACK) : null,
    };
  }
  let message: string;
  try {
    message = typeof err === "string" ? err : (JSON.stringify(err) ?? String(err));
  } catch {
    message = String(err);
  }
  return { message: message.slice(0, MAX_MESSAGE), name: null, stack: null };
}

function causeOf(err: unknown): { cause?: string } {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause === undefined ? {} : { cause: describeError(cause).message };
}

function insertRow(tx: Tx, now: number, input: CriticalErrorInput): number {
  const { message, name, stack } = describeError(input.error);
  const { id } = tx
    .insert(criticalErrors)
    .values({
      kind: input.kind,
      message,
      errorName: name,
      stack,
      requestId: input.requestId ?? null,
      method: input.method ?? null,
      route: input.route ?? null,
      status: input.status ?? null,
      actorId: input.actorId ?? null,
      jobId: input.jobId ?? null,
      jobType: input.jobType ?? null,
      // The cause's message: the stack shows the wrapper only.
      details: { ...causeOf(input.error), ...input.details },
      createdAt: now,
    })
    .returning({ id: criticalErrors.id })
    .get();
  // Ids only grow (AUTOINCREMENT), so "the newest N" is "id above this one minus N".
  if (id % PRUNE_EVERY === 0)
    tx.delete(criticalErrors)
      .where(lte(criticalErrors.id, id - KEEP_CRITICAL_ERRORS))
      .run();
  return id;
}

/**
 * Stores a critical error inside the caller's transaction, in a savepoint: a failed insert is
 * logged and leaves the caller's writes alone. Returns the row id, or null when it could not be stored.
 */
export function storeCriticalError(
  ctx: Pick<AppContext, "sqlite" | "logger">,
  tx: Tx,
  now: number,
  input: CriticalErrorInput,
): number | null {
  try {
    return ctx.sqlite.transaction(() => insertRow(tx, now, input))();
  } catch (err) {
    ctx.logger.error({ err, kind: input.kind }, "could not store a critical error");
    return null;
  }
}

/** Sends a stored (or unstorable) critical error to Sentry when SENTRY_DSN is set. */
export function reportCriticalError(
  ctx: Pick<AppContext, "env" | "logger">,
  input: CriticalErrorInput,
  id: number | null,
): void {
  reportToSentry(ctx.env, ctx.logger, {
    error: input.error,
    tags: {
      kind: input.kind,
      request_id: input.requestId,
      route: input.route,
      method: input.method,
      status: input.status,
      job_type: input.jobType,
      job_id: input.jobId,
    },
    userId: input.actorId,
    extra: { critical_error_id: id, ...input.details },
  });
}

// A write that finds a transaction open (someone else's, which may yet roll back) waits for it.
const MAX_DEFERS = 10;

/**
 * Records a critical error in its own small write, then reports it. Never throws: the caller is
 * already failing (an error answer, a dead job), and this must not make it worse.
 */
export function recordCriticalError(ctx: AppContext, input: CriticalErrorInput, defers = 0): void {
  if (ctx.sqlite.inTransaction && defers < MAX_DEFERS) {
    setImmediate(() => recordCriticalError(ctx, input, defers + 1));
    return;
  }
  let id: number | null = null;
  try {
    id = write(ctx, (tx, now) => insertRow(tx, now, input));
  } catch (err) {
    ctx.logger.error({ err, kind: input.kind }, "could not store a critical error");
  }
  // Sentry hears of it even when the database could not store it (a full disk, a locked file).
  reportCriticalError(ctx, input, id);
}
