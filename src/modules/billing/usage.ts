import type { AppContext } from "../../context";
import { ApiError, notFound } from "../../lib/errors";
import { freeSeconds } from "./balance";
import { type Statements, statements } from "./statements";

export type UsageInput = {
  id: string;
  seconds: number;
  service?: string;
  occurred_at?: string;
  hold_id?: number;
};

export type UsageResult = {
  id: string;
  seconds: number;
  billed_seconds: number;
  remaining_seconds: number;
  allocations: { grant_id: number; seconds: number }[];
};

/** SpeechKit-style blocks: 1 s bills one block, block+1 s bills two. */
export const billedSeconds = (seconds: number, block: number) => Math.ceil(seconds / block) * block;

function replay(s: Statements, prior: NonNullable<ReturnType<Statements["findUsage"]["get"]>>): UsageResult {
  return {
    id: prior.usage_id,
    seconds: prior.seconds,
    billed_seconds: prior.billed_seconds,
    remaining_seconds: prior.remaining_after,
    allocations: s.allocations.all(prior.id),
  };
}

/**
 * One usage, inside a write transaction the caller opened. Every check happens before the first
 * write, so a refusal (ApiError) leaves nothing behind; the usage id is claimed by the same
 * transaction that debits the grants (claiming it first loses usage when the write fails).
 */
export function recordOne(
  ctx: AppContext,
  s: Statements,
  userId: number,
  u: UsageInput,
  now: number,
): { status: 200 | 201; result: UsageResult } {
  const occurredAt = u.occurred_at === undefined ? null : Date.parse(u.occurred_at);
  const prior = s.findUsage.get(userId, u.id);
  if (prior) {
    const same =
      prior.seconds === u.seconds &&
      prior.service === (u.service ?? null) &&
      prior.occurred_at === occurredAt &&
      prior.hold_id === (u.hold_id ?? null);
    if (!same)
      throw new ApiError("idempotency_conflict", "usage id was already recorded with a different body", {
        id: u.id,
      });
    return { status: 200, result: replay(s, prior) };
  }

  const billed = billedSeconds(u.seconds, ctx.settings.get("usage_block_seconds"));
  let fromHold = 0;
  if (u.hold_id !== undefined) {
    const hold = s.hold.get(u.hold_id);
    if (!hold || hold.user_id !== userId) throw notFound("hold");
    if (hold.status !== "open" || hold.expires_at <= now) {
      throw new ApiError("conflict", `hold is ${hold.status === "open" ? "expired" : hold.status}`, {
        hold_id: hold.id,
      });
    }
    fromHold = Math.min(billed, hold.remaining_seconds);
  }
  const { free, spendable } = freeSeconds(s, userId, now);
  // The grants must cover everything billed: a hold can outlive the grants it was taken against.
  if (billed - fromHold > free || billed > spendable) {
    throw new ApiError("insufficient_minutes", "not enough minutes for this usage", {
      available_seconds: Math.min(free + fromHold, spendable),
      required_seconds: billed,
    });
  }

  // Writes start here; nothing below can refuse.
  const allocations: { grant_id: number; seconds: number }[] = [];
  let left = billed;
  for (const g of s.fifo.all(userId, now)) {
    const take = Math.min(left, g.remaining_seconds);
    s.debitGrant.run(take, g.id);
    allocations.push({ grant_id: g.id, seconds: take });
    left -= take;
    if (left === 0) break;
  }
  if (fromHold) s.debitHold.run(fromHold, u.hold_id!);
  const remaining = free - (billed - fromHold);
  const row = s.insertUsage.get(
    userId,
    u.id,
    u.seconds,
    billed,
    u.service ?? null,
    occurredAt,
    u.hold_id ?? null,
    remaining,
    now,
  )!;
  for (const a of allocations) s.insertAllocation.run(row.id, a.grant_id, a.seconds);
  s.insertEvent.run(
    "usage.recorded",
    userId,
    "usage",
    u.id,
    JSON.stringify({ seconds: u.seconds, billed_seconds: billed, hold_id: u.hold_id ?? null }),
    now,
  );
  return {
    status: 201,
    result: {
      id: u.id,
      seconds: u.seconds,
      billed_seconds: billed,
      remaining_seconds: remaining,
      allocations,
    },
  };
}

export function recordUsage(ctx: AppContext, userId: number, u: UsageInput) {
  const s = statements(ctx.sqlite);
  const now = ctx.clock.now();
  return ctx.sqlite.transaction(() => recordOne(ctx, s, userId, u, now)).immediate();
}

export type BatchItem =
  | { id: string | null; status: 200 | 201; result: UsageResult }
  | {
      id: string | null;
      status: number;
      error: { code: string; message: string; details?: Record<string, unknown> };
    };

/**
 * Up to 100 usages in one write transaction; each runs under its own savepoint, so a refused,
 * invalid or duplicate event does not disturb the others.
 */
export function recordBatch(
  ctx: AppContext,
  userId: number,
  items: ({ ok: true; input: UsageInput } | { ok: false; id: string | null; error: ApiError })[],
) {
  const s = statements(ctx.sqlite);
  const now = ctx.clock.now();
  const db = ctx.sqlite;
  return db
    .transaction(() =>
      items.map((it): BatchItem => {
        if (!it.ok) return { id: it.id, status: it.error.status, error: errorJson(it.error) };
        db.run("SAVEPOINT usage_item");
        try {
          const r = recordOne(ctx, s, userId, it.input, now);
          db.run("RELEASE usage_item");
          return { id: it.input.id, ...r };
        } catch (e) {
          db.run("ROLLBACK TO usage_item");
          db.run("RELEASE usage_item");
          if (!(e instanceof ApiError)) throw e;
          return { id: it.input.id, status: e.status, error: errorJson(e) };
        }
      }),
    )
    .immediate();
}

const errorJson = (e: ApiError) => ({
  code: e.code,
  message: e.message,
  ...(e.details ? { details: e.details } : {}),
});
