import type { Database } from "bun:sqlite";
import type { AppContext } from "../../context";
import { groupCommit } from "../../db/group-commit";
import { ApiError, notFound } from "../../lib/errors";
import { emitted } from "../platform/events/service";
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
 * The minutes of one user inside one write transaction: the spendable grants (in spend order)
 * and the holds touched are read once and debited in memory; `flush()` writes each touched
 * grant and hold once. `record()` does every check before its first write, so a refusal
 * (ApiError) leaves nothing behind, and the usage id is claimed by the same transaction that
 * debits the grants (claiming it first loses usage when the write fails: OpenMeter #5118).
 */
export class UsageBook {
  private readonly grants: { id: number; remaining: number; taken: number }[];
  private spendable: number;
  private held: number;
  private readonly holds = new Map<number, { remaining: number; taken: number }>();
  private readonly block: number;
  /** In a batch the usages share one `usage.batch_recorded` event (written by flush). */
  private readonly batched: { id: string; billed_seconds: number }[] | null;

  private readonly sqlite: Database;

  constructor(
    ctx: AppContext,
    private readonly s: Statements,
    private readonly userId: number,
    private readonly now: number,
    batch = false,
  ) {
    this.sqlite = ctx.sqlite;
    this.batched = batch ? [] : null;
    this.grants = s.fifo
      .all(userId, now)
      .map((g) => ({ id: g.id, remaining: g.remaining_seconds, taken: 0 }));
    this.spendable = this.grants.reduce((sum, g) => sum + g.remaining, 0);
    this.held = s.held.get(userId, now)!.s;
    this.block = ctx.settings.get("usage_block_seconds");
  }

  private hold(id: number) {
    let h = this.holds.get(id);
    if (!h) {
      const row = this.s.hold.get(id);
      if (!row || row.user_id !== this.userId) throw notFound("hold");
      if (row.status !== "open" || row.expires_at <= this.now) {
        throw new ApiError("conflict", `hold is ${row.status === "open" ? "expired" : row.status}`, {
          hold_id: id,
        });
      }
      h = { remaining: row.remaining_seconds, taken: 0 };
      this.holds.set(id, h);
    }
    return h;
  }

  record(u: UsageInput): { status: 200 | 201; result: UsageResult } {
    const { s, userId, now } = this;
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

    const billed = billedSeconds(u.seconds, this.block);
    const hold = u.hold_id === undefined ? null : this.hold(u.hold_id);
    const fromHold = hold ? Math.min(billed, hold.remaining) : 0;
    const free = Math.max(0, this.spendable - this.held);
    // The grants must cover everything billed: a hold can outlive the grants it was taken against.
    if (billed - fromHold > free || billed > this.spendable) {
      throw new ApiError("insufficient_minutes", "not enough minutes for this usage", {
        available_seconds: Math.min(free + fromHold, this.spendable),
        required_seconds: billed,
      });
    }

    // Writes start here; nothing below refuses.
    const allocations: { grant_id: number; seconds: number }[] = [];
    let left = billed;
    for (const g of this.grants) {
      if (left === 0) break;
      if (g.remaining === 0) continue;
      const take = Math.min(left, g.remaining);
      g.remaining -= take;
      g.taken += take;
      allocations.push({ grant_id: g.id, seconds: take });
      left -= take;
    }
    if (hold) {
      hold.remaining -= fromHold;
      hold.taken += fromHold;
    }
    this.spendable -= billed;
    this.held -= fromHold;
    const remaining = Math.max(0, this.spendable - this.held);
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
    if (this.batched) this.batched.push({ id: u.id, billed_seconds: billed });
    else {
      // Filed under the user, like a batch: usage ids are client-chosen (random UUIDs from Screph),
      // and an events_subject_idx key on them would dirty one random index page per record.
      const payload = { id: u.id, seconds: u.seconds, billed_seconds: billed, hold_id: u.hold_id ?? null };
      this.writeEvent("usage.recorded", payload);
    }
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

  /** The event row of a usage, handed to the platform's subscribers (rules, webhooks) like any emit. */
  private writeEvent(type: string, payload: Record<string, unknown>) {
    const subject = String(this.userId);
    const row = this.s.insertEvent.get(
      type,
      this.userId,
      "user",
      subject,
      JSON.stringify(payload),
      this.now,
    )!;
    emitted(this.sqlite, {
      id: row.id,
      type,
      actorId: this.userId,
      subjectType: "user",
      subjectId: subject,
      payload,
      createdAt: this.now,
    });
  }

  /** Writes the debits of every touched grant and hold (once each). */
  flush() {
    for (const g of this.grants) {
      if (g.taken) this.s.debitGrant.run(g.taken, g.id);
      g.taken = 0;
    }
    for (const [id, h] of this.holds) {
      if (h.taken) this.s.debitHold.run(h.taken, id);
      h.taken = 0;
    }
    if (this.batched?.length) {
      const billed = this.batched.reduce((sum, u) => sum + u.billed_seconds, 0);
      this.writeEvent("usage.batch_recorded", {
        count: this.batched.length,
        billed_seconds: billed,
        usages: [...this.batched],
      });
      this.batched.length = 0;
    }
  }
}

/**
 * One usage record, committed together with the records that arrive in the same turn of the
 * event loop (db/group-commit.ts): the group's savepoint is this record's transaction.
 */
export function recordUsage(ctx: AppContext, userId: number, u: UsageInput) {
  const s = statements(ctx.sqlite);
  return groupCommit(ctx.sqlite).run(() => {
    const book = new UsageBook(ctx, s, userId, ctx.clock.now());
    const r = book.record(u);
    book.flush();
    return r;
  });
}

export type BatchItem =
  | { id: string | null; status: 200 | 201; result: UsageResult }
  | {
      id: string | null;
      status: number;
      error: { code: string; message: string; details?: Record<string, unknown> };
    };

/**
 * Up to 100 usages in one write transaction. Each is checked in full before it writes anything,
 * so a refused, invalid or duplicate event leaves no trace and does not disturb the others; an
 * unexpected database error rolls the whole batch back (the caller retries; ids make it safe).
 */
export function recordBatch(
  ctx: AppContext,
  userId: number,
  items: ({ ok: true; input: UsageInput } | { ok: false; id: string | null; error: ApiError })[],
) {
  const s = statements(ctx.sqlite);
  const now = ctx.clock.now();
  return ctx.sqlite
    .transaction(() => {
      const book = new UsageBook(ctx, s, userId, now, true);
      const results = items.map((it): BatchItem => {
        if (!it.ok) return { id: it.id, status: it.error.status, error: errorJson(it.error) };
        try {
          return { id: it.input.id, ...book.record(it.input) };
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          return { id: it.input.id, status: e.status, error: errorJson(e) };
        }
      });
      book.flush();
      return results;
    })
    .immediate();
}

const errorJson = (e: ApiError) => ({
  code: e.code,
  message: e.message,
  ...(e.details ? { details: e.details } : {}),
});
